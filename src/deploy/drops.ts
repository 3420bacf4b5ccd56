import type { CompiledHost, LogKey } from '../build/compiled-host.js';
import { AgentSession, first } from './agent/protocol.js';
import { fanOut } from './fan-out.js';
import { serverPaths } from './host-deploy.js';
import { connectSsh, type Connect } from './ssh/transport.js';
import type { DeployError, DeployOptions } from './types.js';

/**
 * `benteng drops`: what the firewalls dropped (and logged) lately, per host: top sources, top
 * destination ports, and which rule or default drop dropped them. Each log line starts with the
 * prefix of a `LogKey` of the compiled host (`bt i r3: `), so attribution comes from the compiled IR,
 * not from text on the server.
 */
export interface Count<T> {
  value: T;
  count: number;
}

export interface DropAttribution {
  key: string;
  direction: LogKey['direction'];
  /** `default drop`, or the rule's service and id. */
  what: string;
  service?: string;
  ruleId?: string;
  count: number;
}

export interface DropsReport {
  host: string;
  ok: boolean;
  /** Where the server read its log: `journal` or `dmesg`. */
  logSource?: string;
  total: number;
  sources: Count<string>[];
  ports: Count<string>[];
  rules: DropAttribution[];
  error?: DeployError;
}

interface DropLine {
  direction: 'i' | 'o';
  key: string;
  src: string;
  dst: string;
  proto: string;
  dport?: string;
}

export function parseDropLines(text: string): DropLine[] {
  const lines: DropLine[] = [];
  for (const line of text.split('\n')) {
    const m = / bt ([io]) (default|r\d+): (.*)$/.exec(line);
    if (!m) continue;
    const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(m[3]!)?.[1];
    const src = field('SRC');
    const dst = field('DST');
    if (!src || !dst) continue;
    const dport = field('DPT');
    lines.push({ direction: m[1] as 'i' | 'o', key: m[2]!, src, dst, proto: (field('PROTO') ?? '?').toLowerCase(), ...(dport ? { dport } : {}) });
  }
  return lines;
}

function top<T>(values: T[], limit: number): Count<T>[] {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value)))
    .slice(0, limit);
}

/** Summarises one host's drop-log lines with its compiled log keys. */
export function summariseDrops(
  target: Pick<CompiledHost, 'host' | 'logKeys'>,
  text: string,
  limit = 10,
  peer?: string,
): Omit<DropsReport, 'ok' | 'logSource'> {
  const keys = new Map((target.logKeys ?? []).map((k) => [`${k.direction === 'ingress' ? 'i' : 'o'} ${k.key}`, k]));
  // Rules with `log: true` log what they accept under their own keys: not drops.
  const lines = parseDropLines(text).filter(
    (l) => keys.get(`${l.direction} ${l.key}`)?.action !== 'accept' && (!peer || sameAddress(l.direction === 'i' ? l.src : l.dst, peer)),
  );
  const rules = top(lines.map((l) => `${l.direction} ${l.key}`), 1000).map(({ value, count }): DropAttribution => {
    const [dir, key] = value.split(' ') as ['i' | 'o', string];
    const known = keys.get(value);
    const direction = dir === 'i' ? 'ingress' : 'egress';
    if (known?.kind === 'rule') {
      return { key, direction, what: `${known.service} (${known.ruleId})`, ...(known.service ? { service: known.service } : {}), ...(known.ruleId ? { ruleId: known.ruleId } : {}), count };
    }
    return { key, direction, what: known || key === 'default' ? 'default drop' : `unknown key ${key} (ruleset older or newer than the policies?)`, count };
  });
  return {
    host: target.host,
    total: lines.length,
    sources: top(lines.map((l) => (l.direction === 'i' ? l.src : l.dst)), limit),
    ports: top(lines.filter((l) => l.dport).map((l) => `${l.proto}/${l.dport}`), limit),
    rules,
  };
}

/** The kernel log writes IPv6 addresses in full (`2001:0db8:0000:…`); compare by value. */
function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const expand = (x: string) => {
    if (!x.includes(':')) return x;
    const [head = '', tail = ''] = x.split('::');
    const h = head ? head.split(':') : [];
    const t = x.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = x.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  };
  return expand(a) === expand(b);
}

/** Reads the drop log of every target (read-only: uploads nothing), in parallel. */
export async function readDrops(
  targets: CompiledHost[],
  sinceSeconds: number,
  options: Pick<DeployOptions, 'ssh' | 'server'> & { top?: number; parallel?: number; peer?: string } = {},
  connect: Connect = connectSsh,
): Promise<DropsReport[]> {
  const one = async (target: CompiledHost): Promise<DropsReport> => {
    const empty = { host: target.host, total: 0, sources: [], ports: [], rules: [] };
    const connected = await connect(target.ssh, options.ssh ?? {});
    if (!connected.ok) return { ...empty, ok: false, error: connected.error };
    try {
      const agent = new AgentSession(connected.value, serverPaths({ confirmTimeoutSeconds: 0, ...options }));
      const result = await agent.runInline('drops', [String(sinceSeconds)]);
      if (result.exec.code !== 0) return { ...empty, ok: false, error: agent.failure(result.exec, 'reading the drop log') };
      const logSource = first(result.output, 'log-source');
      return { ...summariseDrops(target, result.output.blocks.get('log') ?? '', options.top ?? 10, options.peer), ok: true, ...(logSource ? { logSource } : {}) };
    } finally {
      connected.value.close();
    }
  };
  return fanOut(targets, options.parallel ?? 32, one);
}
