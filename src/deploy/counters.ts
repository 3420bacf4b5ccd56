import type { Backend } from '../build/compiled-host.js';

/**
 * Packet and byte counters since the last deploy (a deploy recreates benteng's table or chains, which
 * resets them), summed per service, direction and verdict. Each live counter belongs to a rule whose
 * comment starts with the rule id the emitter wrote (`service/direction/index: description`); the
 * baseline's rules carry `defaults: …`, the blocklists `blocklist…`, the default drop `defaults:
 * default drop`. Those become the pseudo-services `(baseline)`, `(blocklist)` and `(default drop)`.
 */
export interface CounterRow {
  service: string;
  direction: 'ingress' | 'egress';
  verdict: 'accept' | 'drop';
  packets: number;
  bytes: number;
}

function serviceOf(comment: string): string {
  const id = /^([a-z0-9][a-z0-9-]*)\/(ingress|egress)\/\d+/.exec(comment);
  if (id) return id[1]!;
  if (/^defaults: default drop/.test(comment)) return '(default drop)';
  if (/^blocklist/.test(comment)) return '(blocklist)';
  if (/^defaults: log/.test(comment)) return '';
  return '(baseline)';
}

/** A rule id names its direction; otherwise the enclosing map or chain does. */
function directionOf(comment: string, fallback: CounterRow['direction']): CounterRow['direction'] {
  const id = /^[a-z0-9][a-z0-9-]*\/(ingress|egress)\/\d+/.exec(comment);
  return id ? (id[1] as CounterRow['direction']) : fallback;
}

function verdictOf(text: string): 'accept' | 'drop' | undefined {
  if (/^(accept|ACCEPT)$/.test(text)) return 'accept';
  if (/^(drop|DROP|reject|REJECT)/.test(text)) return 'drop';
  // A per-rule chain that logs, then drops or rejects (explicit drop rules).
  if (/^(jump|goto) \S*(drop|reject)/i.test(text)) return 'drop';
  return undefined;
}

export function parseCounters(backend: Backend, raw: string): CounterRow[] {
  const sums = new Map<string, CounterRow>();
  const add = (service: string, direction: CounterRow['direction'], verdict: CounterRow['verdict'] | undefined, packets: number, bytes: number) => {
    if (!service || !verdict) return;
    const key = `${service}\u0000${direction}\u0000${verdict}`;
    const row = sums.get(key) ?? { service, direction, verdict, packets: 0, bytes: 0 };
    row.packets += packets;
    row.bytes += bytes;
    sums.set(key, row);
  };
  if (backend === 'nftables') {
    let direction: CounterRow['direction'] = 'ingress';
    for (const line of raw.split('\n')) {
      const block = /^\s*(?:map|chain|set) (\S+) \{/.exec(line);
      if (block) direction = /^(output|out)/.test(block[1]!) ? 'egress' : 'ingress';
      // Map elements: `KEY counter packets N bytes M comment "ID: …" : VERDICT`. An element that goes
      // to a rule's logging chain (`goto log_…`) is counted there, once.
      for (const m of line.matchAll(/counter packets (\d+) bytes (\d+) comment "([^"]*)" : ((?:jump|goto) [\w-]+|\w+)/g)) {
        if (/^(jump|goto) log_/.test(m[4]!)) continue;
        add(serviceOf(m[3]!), directionOf(m[3]!, direction), verdictOf(m[4]!), Number(m[1]), Number(m[2]));
      }
      // Chain rules: `… counter packets N bytes M VERDICT comment "…"` (a logging chain's comment is its rule id).
      const rule = /counter packets (\d+) bytes (\d+) (accept|drop|reject[^"]*?|(?:jump|goto) [\w-]+) comment "([^"]*)"/.exec(line);
      if (rule) add(serviceOf(rule[4]!), directionOf(rule[4]!, direction), verdictOf(rule[3]!.trim()), Number(rule[1]), Number(rule[2]));
    }
  } else {
    for (const line of raw.split('\n')) {
      const m = /^\[(\d+):(\d+)\] -A (BENTENG-\S+) (.*)$/.exec(line);
      if (!m) continue;
      const target = / -j (\S+)/.exec(m[4]!)?.[1] ?? '';
      const comment = / --comment "([^"]*)"/.exec(m[4]!)?.[1] ?? / --comment (\S+)/.exec(m[4]!)?.[1] ?? '';
      const chain = m[3]!;
      const block = chain.startsWith('BENTENG-BLOCK');
      const direction = /^BENTENG-(IN|INPUT)\b/.test(chain) || (block && !/OUT/.test(chain)) ? 'ingress' : /^BENTENG-(OUT|OUTPUT)\b/.test(chain) || block ? 'egress' : undefined;
      if (!direction || target.startsWith('BENTENG-') || target === 'LOG' || target === 'RETURN') continue;
      add(block ? '(blocklist)' : serviceOf(comment), direction, verdictOf(target), Number(m[1]), Number(m[2]));
    }
  }
  return [...sums.values()].sort((a, b) =>
    a.service === b.service ? (a.direction === b.direction ? a.verdict.localeCompare(b.verdict) : a.direction.localeCompare(b.direction)) : a.service.localeCompare(b.service),
  );
}
