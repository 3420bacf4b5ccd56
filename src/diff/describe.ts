/**
 * Words for the parts of an access change, shared by the diff formatters: peers as CIDRs (or "any
 * except …" when the complement is shorter), ports and ICMP types, decisions and rule locations.
 */
import type { AccessClass } from '../access/index.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { PortRange, Verdict } from '../model/index.js';
import { fullRange } from '../net/address-set.js';
import { type AddressRange, type Family, rangeToCidrs } from '../net/address.js';
import { icmpTypeName } from '../net/port.js';
import type { AccessChange, AccessDiff, RuleRef, SensitiveOpening, SideDecision } from './index.js';

export const FAMILY_NAME: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/** The labels of the two trees, for headings and locations. */
export interface DiffLabels {
  /** The old tree: a directory, or a revision such as `HEAD (1a2b3c4)`. */
  base: string;
  /** The new tree's policies directory. */
  policies: string;
  /** Set when the old tree is a git revision: old-side locations are read "at <revision>". */
  revision?: string;
}

/** The addresses of `family` outside the normalised ranges. */
export function complement(family: Family, ranges: readonly AddressRange[]): AddressRange[] {
  const full = fullRange(family);
  const out: AddressRange[] = [];
  let next = full.start;
  for (const r of ranges) {
    if (r.start > next) out.push({ start: next, end: r.start - 1n });
    next = r.end + 1n;
  }
  if (next <= full.end) out.push({ start: next, end: full.end });
  return out;
}

export function cidrs(family: Family, ranges: readonly AddressRange[]): string[] {
  return ranges.flatMap((r) => rangeToCidrs(family, r));
}

function list(items: readonly string[], limit: number): string {
  if (items.length <= limit) return items.join(', ');
  return `${items.slice(0, limit).join(', ')}, … (${items.length - limit} more)`;
}

/** The peers in the fewest words: `any`, `any except A, B`, or the CIDR list, at most `limit` blocks shown. */
export function peersText(family: Family, peers: readonly AddressRange[], limit = 8): string {
  const outside = cidrs(family, complement(family, peers));
  if (outside.length === 0) return 'any';
  const inside = cidrs(family, peers);
  return outside.length < inside.length ? `any except ${list(outside, limit)}` : list(inside, limit);
}

function rangeText(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`;
}

/** `tcp/80,443`, `udp (all ports)`, `icmp echo-request`, `icmpv6 types echo-request, 133-136`, `other protocols (…)`. */
export function trafficText(family: Family, protocol: AccessClass, values: readonly PortRange[]): string {
  const whole = values.length === 1 && values[0]!.from === 0;
  switch (protocol) {
    case 'tcp':
    case 'udp':
      return whole && values[0]!.to === 65535 ? `${protocol} (all ports)` : `${protocol}/${values.map(rangeText).join(',')}`;
    case 'icmp': {
      const name = family === 'ipv4' ? 'icmp' : 'icmpv6';
      if (whole && values[0]!.to === 255) return `${name} (all types)`;
      const single = values.length === 1 && values[0]!.from === values[0]!.to;
      const text = values.map((r) => (r.from === r.to ? (icmpTypeName(name, r.from) ?? String(r.from)) : rangeText(r))).join(', ');
      return single ? `${name} ${text}` : `${name} types ${text}`;
    }
    case 'other':
      return `other protocols (not tcp, udp or ${family === 'ipv4' ? 'icmp' : 'icmpv6'})`;
    default: {
      const never: never = protocol;
      throw new Error(`unexpected protocol class ${String(never)}`);
    }
  }
}

export function locationText(span: Span): string {
  return `${span.file}:${span.start.line}:${span.start.column}`;
}

/** `accept by web/ingress/0`, `drop (default: no rule matches)`, … without the location. */
export function decisionText(side: SideDecision): string {
  switch (side.reason) {
    case 'rule':
      return `${side.verdict} by ${side.rule!.id}`;
    case 'blocklist':
      return 'drop (blocklist.yaml)';
    case 'icmp-baseline':
      return 'accept (essential ICMP baseline)';
    case 'default-drop':
      return 'drop (default: no rule matches)';
    case 'no-host':
      return 'nothing (host not deployed)';
    default: {
      const never: never = side.reason;
      throw new Error(`unexpected decision reason ${String(never)}`);
    }
  }
}

/** The location of a side's rule, read "at <revision>" on the old side of a git comparison. */
export function sideLocation(side: SideDecision, which: 'old' | 'new', labels: DiffLabels): string | undefined {
  if (!side.rule) return undefined;
  const at = which === 'old' && labels.revision ? ` at ${labels.revision}` : '';
  return `${locationText(side.rule.span)}${at}`;
}

/** Set when the change is between drop and reject, which refuse the same traffic in different ways. */
export function verdictNote(from: Verdict, to: Verdict): string | undefined {
  if ((from === 'drop' && to === 'reject') || (from === 'reject' && to === 'drop')) {
    return 'drop and reject both refuse the traffic: drop stays silent, reject answers with an error';
  }
  return undefined;
}

export function peerWord(direction: 'ingress' | 'egress'): 'from' | 'to' {
  return direction === 'ingress' ? 'from' : 'to';
}

/** `IPv4 tcp/443 from any except 10.0.0.0/8` */
export function changeTitle(change: AccessChange, direction: 'ingress' | 'egress', limit?: number): string {
  return `${FAMILY_NAME[change.family]} ${trafficText(change.family, change.protocol, change.values)} ${peerWord(direction)} ${peersText(change.family, change.peers, limit)}`;
}

/** Newly opened sensitive ports as shown: the families of one host, port and set of rules together. */
export interface SensitiveLine {
  host: string;
  protocol: 'tcp' | 'udp';
  port: number;
  name: string;
  families: Family[];
  rules: RuleRef[];
}

export function sensitiveLines(list: readonly SensitiveOpening[]): SensitiveLine[] {
  const lines = new Map<string, SensitiveLine>();
  for (const s of list) {
    const key = `${s.host}|${s.protocol}|${s.port}|${s.rules.map((r) => r.id).join(',')}`;
    const line = lines.get(key);
    if (line) line.families.push(s.family);
    else lines.set(key, { host: s.host, protocol: s.protocol, port: s.port, name: s.name, families: [s.family], rules: s.rules });
  }
  return [...lines.values()];
}

/** `PostgreSQL (tcp/5432) from the whole IPv4 and IPv6 internet on db-01` */
export function sensitiveText(s: SensitiveLine): string {
  return `${s.name} (${s.protocol}/${s.port}) from the whole ${s.families.map((f) => FAMILY_NAME[f]).join(' and ')} internet on ${s.host}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Counts for the summary lines of every format. */
export function diffCounts(diff: AccessDiff): { changes: number; hosts: number; added: number; removed: number; sensitive: number } {
  return {
    changes: diff.hosts.reduce((n, h) => n + h.chains.reduce((m, c) => m + c.changes.length, 0), 0),
    hosts: diff.hosts.length,
    added: diff.hosts.filter((h) => h.status === 'added').length,
    removed: diff.hosts.filter((h) => h.status === 'removed').length,
    sensitive: diff.sensitive.length,
  };
}

/** `3 changes on 2 hosts (1 added)` or `no access changes`. */
export function summaryText(diff: AccessDiff): string {
  const c = diffCounts(diff);
  if (c.hosts === 0 && diff.baseline.length === 0) return 'no access changes';
  const parts = [`${plural(c.changes, 'change')} on ${plural(c.hosts, 'host')}`];
  if (c.added > 0) parts.push(`${c.added} added`);
  if (c.removed > 0) parts.push(`${c.removed} removed`);
  if (diff.baseline.length > 0) parts.push(`${plural(diff.baseline.length, 'baseline setting')} changed`);
  return parts.length === 1 ? parts[0]! : `${parts[0]} (${parts.slice(1).join(', ')})`;
}

/** What a baseline setting means, for the fleet-wide lines. */
export const BASELINE_MEANING: Record<'established' | 'loopback', string> = {
  established: 'packets of established and related connections accepted before any rule',
  loopback: 'traffic on the loopback interface accepted before any rule',
};
