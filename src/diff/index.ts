/**
 * The diff stage: the semantic difference in access between two checked policy trees, as data.
 *
 * For every host and direction, family and protocol class, the packet space of new connections is
 * compared point by point through the access model (src/access): the value axis (port or ICMP type) is
 * split at the union of both sides' `valueIntervals` boundaries into elementary intervals, on each of
 * which both chains decide the same over the peers; both sides are cut at the interval with `cutAt`
 * (gaps are the default drop, a piece without a rule is the ICMP baseline, `blocklist.yaml`'s addresses
 * are dropped before all of it) and walked together along the address line. Where the verdicts differ the traffic changed; 'drop' and 'reject' are different
 * verdicts. Changes are grouped by (old decision, new decision, peers), and intervals with the same
 * group are joined into one list of values, so a group reads as "these peers, this protocol, these
 * ports: old verdict → new verdict, decided by these rules". Only the verdict counts: a rule that
 * moved, was renamed or changed its logging without changing what passes is no change.
 *
 * A host present only in the new tree is compared against "nothing deployed" (nothing reachable): what
 * it accepts is new. A host present only in the old tree is reported as removed, without detail.
 * The baseline's `established` and `loopback` settings are outside the access model and reported as
 * fleet-wide changes. Newly opened sensitive ports are a separate list: a port of SENSITIVE_PORTS
 * (tcp or udp) that a host's ingress accepts from the whole internet in the new tree and did not in the
 * old one (src/access/internet.ts decides what counts as the whole internet).
 *
 * Complexity per chain, family and class: O(E · R log R) for E elementary value intervals (at most the
 * sum of both sides' value boundaries) and R regions of the class on both sides (one `cutAt` per side
 * and interval, then a linear walk along the address line). The output is deterministic: hosts by
 * name, ingress before egress, IPv4 before IPv6, tcp, udp, icmp, other, then by first value and first
 * peer address.
 */
import { type AccessClass, ACCESS_CLASSES, type ChainAccess, VALUE_MAX } from '../access/index.js';
import { cutAt, internetValues, valueIntervals } from '../access/exposure.js';
import { SENSITIVE_PORTS } from '../access/internet.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { Direction, FleetModel, HostModel, PortRange, ResolvedRule, Verdict } from '../model/index.js';
import { fullRange, normalizeRanges } from '../net/address-set.js';
import type { AddressRange, Family } from '../net/address.js';
import type { CheckResult } from '../pipeline.js';

/** Why a side decides as it does: a rule, `blocklist.yaml`, the ICMP baseline, the default drop, or no such host. */
export type DecisionReason = 'rule' | 'blocklist' | 'icmp-baseline' | 'default-drop' | 'no-host';

/** A policy rule as the diff reports it: its id and where it is written. */
export interface RuleRef {
  id: string;
  service: string;
  description?: string;
  span: Span;
}

/** What one side decides for a group of traffic. `rule` is present exactly when `reason` is 'rule'. */
export interface SideDecision {
  verdict: Verdict;
  reason: DecisionReason;
  rule?: RuleRef;
}

/** Traffic whose verdict changed: these peers, this protocol class, these values (ports or ICMP types). */
export interface AccessChange {
  family: Family;
  protocol: AccessClass;
  /** Sorted, disjoint, non-adjacent; ports for tcp/udp, types for ICMP, `[{0,0}]` for other protocols. */
  values: PortRange[];
  /** Sorted, disjoint, non-adjacent peer address ranges of `family`. */
  peers: AddressRange[];
  old: SideDecision;
  new: SideDecision;
}

export interface ChainDiff {
  direction: Direction;
  changes: AccessChange[];
}

export type HostStatus = 'added' | 'removed' | 'changed';

/** One host whose access changed; unchanged hosts are absent. `chains` is empty for a removed host. */
export interface HostDiff {
  host: string;
  status: HostStatus;
  chains: ChainDiff[];
}

/** A sensitive port the new tree opens to the whole internet on a host that was not open before. */
export interface SensitiveOpening {
  host: string;
  family: Family;
  protocol: 'tcp' | 'udp';
  port: number;
  /** The service usually behind the port (`PostgreSQL`). */
  name: string;
  /** The accepting rules that make the exposure (see `internetValues`), in chain order. */
  rules: RuleRef[];
}

/** A change of a fleet-wide baseline setting that the access model does not cover. */
export interface BaselineChange {
  setting: 'established' | 'loopback';
  old: boolean;
  new: boolean;
}

export interface AccessDiff {
  hosts: HostDiff[];
  baseline: BaselineChange[];
  sensitive: SensitiveOpening[];
}

export interface DiffOptions {
  /** Maps a file of the old tree to the name to report (e.g. from a temporary checkout to the repository path). */
  oldFileName?: (file: string) => string;
  /** Maps a file of the new tree to the name to report. */
  newFileName?: (file: string) => string;
}

/** Whether the diff found nothing: no host, baseline or access change. */
export function isEmptyDiff(diff: AccessDiff): boolean {
  return diff.hosts.length === 0 && diff.baseline.length === 0;
}

interface Checked {
  model: FleetModel;
  access: NonNullable<CheckResult['access']>;
}

function checked(result: CheckResult, side: string): Checked {
  if (!result.model || !result.access) throw new Error(`diffAccess: the ${side} tree has no model; check its diagnostics before diffing`);
  return { model: result.model, access: result.access };
}

/** A decision with the rule object of its own tree, before it is turned into data. */
interface Decided {
  verdict: Verdict;
  reason: DecisionReason;
  rule?: ResolvedRule;
}

interface LinePiece extends AddressRange {
  decided: Decided;
}

const DEFAULT_DROP: Decided = { verdict: 'drop', reason: 'default-drop' };
const NO_HOST: Decided = { verdict: 'drop', reason: 'no-host' };
const ICMP_BASELINE: Decided = { verdict: 'accept', reason: 'icmp-baseline' };
const BLOCKLIST: Decided = { verdict: 'drop', reason: 'blocklist' };

/** The host's `blocklist.yaml` addresses of one family, merged: they are dropped before any rule. */
function blockedRanges(chain: ChainAccess, family: Family): AddressRange[] {
  return normalizeRanges(chain.host.blocklist.flatMap((entry) => entry.addresses[family]));
}

/** The line with the blocked ranges decided by the blocklist (both are sorted and cover disjoint ranges). */
function overlayBlocked(line: readonly LinePiece[], blocked: readonly AddressRange[]): LinePiece[] {
  if (blocked.length === 0) return [...line];
  const out: LinePiece[] = [];
  const push = (start: bigint, end: bigint, decided: Decided) => {
    const last = out[out.length - 1];
    if (last && last.decided === decided && last.end + 1n === start) last.end = end;
    else out.push({ start, end, decided });
  };
  let k = 0;
  for (const piece of line) {
    let at = piece.start;
    while (at <= piece.end) {
      while (k < blocked.length && blocked[k]!.end < at) k++;
      const block = blocked[k];
      if (!block || block.start > piece.end) {
        push(at, piece.end, piece.decided);
        break;
      }
      if (block.start > at) {
        push(at, block.start - 1n, piece.decided);
        at = block.start;
      }
      const end = block.end < piece.end ? block.end : piece.end;
      push(at, end, BLOCKLIST);
      at = end + 1n;
    }
  }
  return out;
}

function decidedKey(d: Decided): string {
  return `${d.verdict}|${d.reason}|${d.rule?.id ?? ''}`;
}

/** The whole address line of one family at one value, gaps filled with the default drop. */
function addressLine(chain: ChainAccess | undefined, family: Family, cls: AccessClass, value: number): LinePiece[] {
  const full = fullRange(family);
  if (!chain) return [{ ...full, decided: NO_HOST }];
  const out: LinePiece[] = [];
  let next = full.start;
  for (const piece of cutAt(chain, family, cls, value)) {
    if (piece.start > next) out.push({ start: next, end: piece.start - 1n, decided: DEFAULT_DROP });
    out.push({ start: piece.start, end: piece.end, decided: piece.rule ? { verdict: piece.verdict, reason: 'rule', rule: piece.rule } : ICMP_BASELINE });
    next = piece.end + 1n;
  }
  if (next <= full.end) out.push({ start: next, end: full.end, decided: DEFAULT_DROP });
  return overlayBlocked(out, blockedRanges(chain, family));
}

interface PairChange {
  old: Decided;
  new: Decided;
  peers: AddressRange[];
}

/** Walks both address lines together; the pieces where the verdicts differ, grouped by the pair of decisions. */
function compareLines(oldLine: readonly LinePiece[], newLine: readonly LinePiece[], keep: (d: PairChange) => boolean): PairChange[] {
  const pairs = new Map<string, PairChange>();
  let i = 0;
  let j = 0;
  let start = oldLine[0]?.start ?? 0n;
  while (i < oldLine.length && j < newLine.length) {
    const o = oldLine[i]!;
    const n = newLine[j]!;
    const end = o.end < n.end ? o.end : n.end;
    if (o.decided.verdict !== n.decided.verdict) {
      const key = `${decidedKey(o.decided)}>${decidedKey(n.decided)}`;
      let pair = pairs.get(key);
      if (!pair) pairs.set(key, (pair = { old: o.decided, new: n.decided, peers: [] }));
      const last = pair.peers[pair.peers.length - 1];
      if (last && last.end + 1n === start) last.end = end;
      else pair.peers.push({ start, end });
    }
    start = end + 1n;
    if (o.end === end) i++;
    if (n.end === end) j++;
  }
  return [...pairs.values()].filter(keep);
}

/** The union of both sides' value boundaries: intervals on which both chains decide the same over the peers. */
function elementaryIntervals(oldChain: ChainAccess | undefined, newChain: ChainAccess, family: Family, cls: AccessClass): PortRange[] {
  const bounds = new Set<number>([VALUE_MAX[cls] + 1]);
  for (const chain of oldChain ? [oldChain, newChain] : [newChain]) {
    for (const interval of valueIntervals(chain, family, cls)) bounds.add(interval.from);
  }
  const sorted = [...bounds].sort((a, b) => a - b);
  return sorted.slice(0, -1).map((from, k) => ({ from, to: sorted[k + 1]! - 1 }));
}

function rangesKey(ranges: readonly AddressRange[]): string {
  return ranges.map((r) => `${r.start.toString(16)}-${r.end.toString(16)}`).join(',');
}

interface RawChange {
  family: Family;
  protocol: AccessClass;
  values: PortRange[];
  peers: AddressRange[];
  old: Decided;
  new: Decided;
}

/** The changes of one chain, family and class; an absent old chain is "nothing deployed". */
function compareClass(oldChain: ChainAccess | undefined, newChain: ChainAccess, family: Family, cls: AccessClass): RawChange[] {
  const keep = oldChain ? () => true : (p: PairChange) => p.new.verdict === 'accept';
  const groups = new Map<string, RawChange>();
  for (const interval of elementaryIntervals(oldChain, newChain, family, cls)) {
    const pairs = compareLines(addressLine(oldChain, family, cls, interval.from), addressLine(newChain, family, cls, interval.from), keep);
    for (const pair of pairs) {
      const key = `${decidedKey(pair.old)}>${decidedKey(pair.new)}@${rangesKey(pair.peers)}`;
      const group = groups.get(key);
      if (!group) {
        groups.set(key, { family, protocol: cls, values: [{ ...interval }], peers: pair.peers, old: pair.old, new: pair.new });
        continue;
      }
      const last = group.values[group.values.length - 1]!;
      if (last.to + 1 === interval.from) last.to = interval.to;
      else group.values.push({ ...interval });
    }
  }
  return [...groups.values()];
}

const FAMILY_ORDER: Record<Family, number> = { ipv4: 0, ipv6: 1 };
const CLASS_ORDER: Record<AccessClass, number> = { tcp: 0, udp: 1, icmp: 2, other: 3 };

function compareChanges(a: RawChange, b: RawChange): number {
  return (
    FAMILY_ORDER[a.family] - FAMILY_ORDER[b.family] ||
    CLASS_ORDER[a.protocol] - CLASS_ORDER[b.protocol] ||
    a.values[0]!.from - b.values[0]!.from ||
    (a.peers[0]!.start < b.peers[0]!.start ? -1 : a.peers[0]!.start > b.peers[0]!.start ? 1 : 0) ||
    compareText(decidedKey(a.old), decidedKey(b.old)) ||
    compareText(decidedKey(a.new), decidedKey(b.new))
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function chainChanges(oldChain: ChainAccess | undefined, newChain: ChainAccess): RawChange[] {
  const out: RawChange[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const cls of ACCESS_CLASSES) out.push(...compareClass(oldChain, newChain, family, cls));
  }
  return out.sort(compareChanges);
}

/** Turns rule objects of one tree into `RuleRef`s, once per rule. */
function ruleRefs(fileName: (file: string) => string): (rule: ResolvedRule) => RuleRef {
  const cache = new Map<ResolvedRule, RuleRef>();
  return (rule) => {
    let ref = cache.get(rule);
    if (!ref) {
      ref = { id: rule.id, service: rule.service, span: { ...rule.span, file: fileName(rule.span.file) } };
      if (rule.description !== undefined) ref.description = rule.description;
      cache.set(rule, ref);
    }
    return ref;
  };
}

function sideDecision(d: Decided, ref: (rule: ResolvedRule) => RuleRef): SideDecision {
  return d.rule ? { verdict: d.verdict, reason: d.reason, rule: ref(d.rule) } : { verdict: d.verdict, reason: d.reason };
}

/** Sensitive ports the new chain exposes to the whole internet and the old one did not. */
function sensitiveOpenings(host: HostModel, oldChain: ChainAccess | undefined, newChain: ChainAccess, ref: (rule: ResolvedRule) => RuleRef): SensitiveOpening[] {
  const out: SensitiveOpening[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const protocol of ['tcp', 'udp'] as const) {
      for (const [port, name] of [...SENSITIVE_PORTS].sort(([a], [b]) => a - b)) {
        const now = internetValues(newChain, family, protocol, port, port);
        if (now.length === 0) continue;
        if (oldChain && internetValues(oldChain, family, protocol, port, port).length > 0) continue;
        out.push({ host: host.name, family, protocol, port, name, rules: now[0]!.rules.map(ref) });
      }
    }
  }
  return out;
}

/**
 * The access difference between an old and a new checked tree (both must carry a model: check their
 * diagnostics first). Pure: reads the models and access, prints nothing.
 */
export function diffAccess(oldCheck: CheckResult, newCheck: CheckResult, options: DiffOptions = {}): AccessDiff {
  const before = checked(oldCheck, 'old');
  const after = checked(newCheck, 'new');
  const oldRef = ruleRefs(options.oldFileName ?? ((f) => f));
  const newRef = ruleRefs(options.newFileName ?? ((f) => f));

  const baseline: BaselineChange[] = [];
  for (const setting of ['established', 'loopback'] as const) {
    if (before.model.baseline[setting] !== after.model.baseline[setting]) baseline.push({ setting, old: before.model.baseline[setting], new: after.model.baseline[setting] });
  }

  const oldHosts = new Map(before.model.hosts.map((h) => [h.name, h]));
  const newHosts = new Map(after.model.hosts.map((h) => [h.name, h]));
  const names = [...new Set([...oldHosts.keys(), ...newHosts.keys()])].sort(compareText);
  const hosts: HostDiff[] = [];
  const sensitive: SensitiveOpening[] = [];
  for (const name of names) {
    const oldHost = oldHosts.get(name);
    const newHost = newHosts.get(name);
    if (!newHost) {
      hosts.push({ host: name, status: 'removed', chains: [] });
      continue;
    }
    const chains: ChainDiff[] = [];
    for (const direction of ['ingress', 'egress'] as const) {
      const oldChain = oldHost ? before.access.chain(oldHost, direction) : undefined;
      const changes = chainChanges(oldChain, after.access.chain(newHost, direction)).map(
        (c): AccessChange => ({ family: c.family, protocol: c.protocol, values: c.values, peers: c.peers, old: sideDecision(c.old, oldRef), new: sideDecision(c.new, newRef) }),
      );
      if (changes.length > 0) chains.push({ direction, changes });
    }
    const oldIngress = oldHost ? before.access.chain(oldHost, 'ingress') : undefined;
    sensitive.push(...sensitiveOpenings(newHost, oldIngress, after.access.chain(newHost, 'ingress'), newRef));
    if (!oldHost) hosts.push({ host: name, status: 'added', chains });
    else if (chains.length > 0) hosts.push({ host: name, status: 'changed', chains });
  }
  return { hosts, baseline, sensitive };
}
