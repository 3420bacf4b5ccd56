/**
 * Translation: flat first-match lists (`flatten.ts`) and the chosen baseline (`baseline.ts`) →
 * benteng rules in order, per direction, both families merged where the same rule stands in both.
 * Each rule keeps the source rules it came from. A region benteng cannot write (every protocol except
 * some, ICMP types without a name, connection states with `established` off, loopback-only rules
 * without the loopback baseline) is not translated and is returned as a problem for the report.
 */
import { ICMP_TYPES, icmpTypeName } from '../net/port.js';
import type { AddressRange } from '../net/address.js';
import { normalizeRanges } from '../net/address-set.js';
import type { ImportBaseline } from './baseline.js';
import type { FlatList, FlatRule, TerminalVerdict } from './flatten.js';
import type { ImportedRule, ImportFamily } from './ruleset.js';
import { type Box, fullBox, intersectBox, subtractAll, LOOPBACK, NOT_LOOPBACK, PORTS_FULL, protocolsFull, sameRanges, stateMask, ALL_STATES, TYPES_FULL, type ProtocolSpace } from './space.js';

export type Direction = 'ingress' | 'egress';

/** One benteng rule before naming: peers per family (absent: not in that family), ports, action. */
export interface DraftRule {
  direction: Direction;
  peers: Partial<Record<ImportFamily, AddressRange[]>>;
  /** Port specs (`tcp/22`, `icmp/echo-request`); undefined: every protocol. */
  ports?: string[];
  action: TerminalVerdict;
  /** The source rules it came from (absent for a chain policy). */
  origins: ImportedRule[];
  /** For each origin, the jumps that led to it (outermost first). */
  via: Map<ImportedRule, ImportedRule[]>;
  /** The chain whose policy it stands for (`filter INPUT policy ACCEPT`). */
  policyOf?: string;
  /** The boxes it stands for, per family, to check ordering against other rules. */
  boxes: Box[];
}

export interface TranslationProblem {
  rule: FlatRule;
  reason: string;
}

function portText(protocol: 'tcp' | 'udp', [from, to]: [number, number]): string {
  const f = Math.max(from, 1);
  return f === to ? `${protocol}/${f}` : `${protocol}/${f}-${to}`;
}

/** The protocols of one box as benteng port specs, or why they cannot be written. */
function portsOf(family: ImportFamily, protocols: ProtocolSpace): { ports?: string[] } | { problem: string } {
  if (protocolsFull(protocols)) return {};
  if (protocols.other) return { problem: 'it matches every protocol except some, which benteng cannot write (it names tcp, udp and ICMP, or every protocol)' };
  const ports: string[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const ranges = protocols[protocol].filter(([, to]) => to >= 1);
    if (ranges.length === 0) continue;
    if (sameRanges(protocols[protocol], PORTS_FULL) || (ranges.length === 1 && ranges[0]![0] <= 1 && ranges[0]![1] === 65535)) ports.push(protocol);
    else ports.push(...ranges.map((r) => portText(protocol, r)));
  }
  const icmp = family === 'ipv4' ? 'icmp' : 'icmpv6';
  if (protocols.icmp.length > 0) {
    if (sameRanges(protocols.icmp, TYPES_FULL)) ports.push(icmp);
    else {
      for (const [from, to] of protocols.icmp) {
        for (let type = from; type <= to; type++) {
          const name = icmpTypeName(icmp, type);
          if (!name) return { problem: `${icmp} type ${type} has no name in benteng (it knows ${Object.keys(ICMP_TYPES[icmp]).join(', ')})` };
          ports.push(`${icmp}/${name}`);
        }
      }
    }
  }
  return { ports };
}

/** The first-match lists of one direction → draft rules in order (one family). */
export function translateList(list: FlatList, baseline: ImportBaseline): { rules: DraftRule[]; problems: TranslationProblem[] } {
  const direction: Direction = list.hook === 'input' ? 'ingress' : 'egress';
  const rules: DraftRule[] = [];
  const problems: TranslationProblem[] = [];
  if (list.bases.length === 0) {
    return { rules: [{ direction, peers: { [list.family]: [{ start: 0n, end: list.family === 'ipv4' ? 2n ** 32n - 1n : 2n ** 128n - 1n }] }, action: 'accept', origins: [], via: new Map(), policyOf: `no ${list.hook} filter chain (everything accepted)`, boxes: [fullBox(list.family)] }], problems };
  }
  const seen = baseline.established ? stateMask(['new']) : ALL_STATES;
  const interfaces = baseline.loopback ? NOT_LOOPBACK : LOOPBACK | NOT_LOOPBACK;
  let covered: Box[] | undefined = [];
  for (const flat of list.rules) {
    const pieces = flat.boxes.map((b) => intersectBox(b, { ...b, states: seen, interfaces })).filter((b): b is Box => b !== undefined);
    if (pieces.length === 0) continue;
    if (covered) {
      // A rule whose every packet an earlier rule decides is dead in the source too: leave it out (bounded work).
      const live = subtractAll(pieces, covered);
      const dead = live.length === 0;
      covered.push(...pieces);
      if (covered.length > 400 || live.length > 400) covered = undefined;
      if (dead) continue;
    }
    const origins = 'rule' in flat.origin ? [flat.origin.rule] : [];
    const via = new Map(origins.map((o) => [o, flat.path] as [ImportedRule, ImportedRule[]]));
    const policyOf = 'chain' in flat.origin ? `${flat.origin.chain.table} ${flat.origin.chain.name} policy ${flat.origin.chain.policy ?? 'accept'}` : undefined;
    if (policyOf && flat.verdict === 'drop') continue;
    for (const piece of pieces) {
      if (!baseline.established && piece.states !== ALL_STATES) {
        problems.push({ rule: flat, reason: 'it matches connection states, and `established` is off (the source has no rule accepting established connections), so benteng rules cannot tell states apart' });
        continue;
      }
      if (!baseline.loopback && piece.interfaces !== (LOOPBACK | NOT_LOOPBACK)) {
        problems.push({ rule: flat, reason: 'it tells loopback from other interfaces, and the loopback baseline is off (the source has no `-i lo -j ACCEPT`)' });
        continue;
      }
      const ports = portsOf(list.family, piece.protocols);
      if ('problem' in ports) {
        problems.push({ rule: flat, reason: ports.problem });
        continue;
      }
      const rule: DraftRule = { direction, peers: { [list.family]: normalizeRanges(piece.peer) }, action: flat.verdict, origins, via, boxes: [piece] };
      if (ports.ports) rule.ports = ports.ports;
      if (policyOf) rule.policyOf = policyOf;
      rules.push(rule);
    }
  }
  return { rules: mergeAdjacent(rules), problems };
}

/** Joins consecutive drafts that differ only in peers (pieces of one source rule split by a RETURN). */
function mergeAdjacent(rules: DraftRule[]): DraftRule[] {
  const out: DraftRule[] = [];
  for (const rule of rules) {
    const last = out[out.length - 1];
    if (last && last.action === rule.action && last.origins.length === rule.origins.length && last.origins.every((o, i) => o === rule.origins[i]) && JSON.stringify(last.ports) === JSON.stringify(rule.ports) && last.policyOf === rule.policyOf) {
      const family = Object.keys(rule.peers)[0] as ImportFamily;
      if (last.peers[family] && Object.keys(last.peers).length === 1) {
        last.peers[family] = normalizeRanges([...last.peers[family]!, ...rule.peers[family]!]);
        last.boxes.push(...rule.boxes);
        continue;
      }
    }
    out.push({ ...rule, peers: { ...rule.peers }, boxes: [...rule.boxes] });
  }
  return out;
}

const isFull = (family: ImportFamily, ranges: AddressRange[] | undefined): boolean =>
  ranges !== undefined && ranges.length === 1 && ranges[0]!.start === 0n && ranges[0]!.end === (family === 'ipv4' ? 2n ** 32n - 1n : 2n ** 128n - 1n);

function mergeKey(rule: DraftRule, family: ImportFamily): string | undefined {
  if (!isFull(family, rule.peers[family])) return undefined;
  const ports = rule.ports?.map((p) => p.replace(/^icmpv6/, 'icmp')).join(',');
  return `${rule.action}|${ports ?? '*'}|${rule.policyOf ?? rule.origins.map((o) => o.comment ?? '').join('')}`;
}

/**
 * Merges the IPv4 and IPv6 drafts of one direction into one list that keeps each family's order:
 * rules with the same action and ports from every address of both families become one rule from
 * `any` (a longest common subsequence on that key); the rest interleave in their families' order.
 */
export function mergeFamilies(v4: DraftRule[], v6: DraftRule[]): DraftRule[] {
  const n = v4.length;
  const m = v6.length;
  const key4 = v4.map((r) => mergeKey(r, 'ipv4'));
  const key6 = v6.map((r) => mergeKey(r, 'ipv6'));
  const icmpOnly = (r: DraftRule) => r.ports !== undefined && r.ports.every((p) => p.startsWith('icmp'));
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const same = key4[i] !== undefined && key4[i] === key6[j] && !icmpOnly(v4[i]!);
      lcs[i]![j] = same ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DraftRule[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && key4[i] !== undefined && key4[i] === key6[j] && !icmpOnly(v4[i]!) && lcs[i]![j] === lcs[i + 1]![j + 1]! + 1) {
      const a = v4[i++]!;
      const b = v6[j++]!;
      out.push({ ...a, peers: { ipv4: a.peers.ipv4!, ipv6: b.peers.ipv6! }, origins: [...a.origins, ...b.origins], via: new Map([...a.via, ...b.via]), boxes: [...a.boxes, ...b.boxes] });
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(v4[i++]!);
    else out.push(v6[j++]!);
  }
  return out;
}

/** Whether two drafts could decide a common packet (same family, overlapping boxes). */
export function draftsOverlap(a: DraftRule, b: DraftRule): boolean {
  return a.boxes.some((x) => b.boxes.some((y) => x.family === y.family && intersectBox(x, y) !== undefined));
}

/** Whether the region is only loopback packets (for messages). */
export function isLoopbackOnly(box: Box): boolean {
  return box.interfaces === LOOPBACK;
}
