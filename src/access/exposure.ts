/**
 * Questions about exposure answered from the access model: what a chain decides along one line of
 * the packet space (every peer, one port or ICMP type), and at which ports the accepted peers add up to
 * the whole internet. Exposure is the union of what is accepted, whatever the number of rules,
 * services, networks or exclusions that make it up.
 *
 * The answers read the class's terms (its rules in chain order, what the layers partition), not the
 * layers, so a question never pays for the class's whole partition: along one line, first match is a
 * sweep over the address ranges of the terms holding the value (line.ts).
 *
 * Complexity, for T terms of the class and k of them holding a value: `cutAt` is O(T + k log k)
 * (the terms found by a scan, or through an index by value once a class is asked often, line.ts),
 * cached per chain and value. `internetValues` is computed once per chain, family and class and
 * clipped to the asked values: it sweeps the accepting terms' value boundaries with a running upper
 * bound of accepted public addresses (their public sizes added up, cached per address list) and cuts
 * exactly, as `cutAt` does, only the elementary intervals where the bound reaches the internet
 * threshold. `acceptanceOver` keeps the terms meeting its box (R of them) and cuts each elementary
 * interval of the box over them: O(T + intervals · R log R), stopping once the answer is known.
 */
import type { ResolvedRule, Verdict } from '../model/index.js';
import { fullRange, rangesOverlap } from '../net/address-set.js';
import type { AddressRange, Family } from '../net/address.js';
import { type AccessClass, type ChainAccess, type Region, VALUE_MAX } from './index.js';
import { internetThreshold, isInternetSize, publicSize } from './internet.js';
import { type LineTerm, firstMatchLine, holdsValue, termsMeeting } from './line.js';
import { memoPerObject } from '../model/memo.js';

/** A piece of one line of the packet space with its verdict; `rule` is absent for the baseline. */
export interface CutPiece {
  start: bigint;
  end: bigint;
  verdict: Verdict;
  rule?: ResolvedRule;
}

/**
 * What the chain decides for new connections from (ingress) or to (egress) every peer at one value;
 * gaps are the default drop. Pieces are sorted and maximal: one piece per run of peers one rule decides.
 */
export function cutAt(chain: ChainAccess, family: Family, cls: AccessClass, value: number): CutPiece[] {
  // Several lint rules ask the same chain about the same ports (22, 3389, …): cut each line once.
  let cuts = CUTS.get(chain);
  if (!cuts) CUTS.set(chain, (cuts = new Map()));
  const key = `${family} ${cls} ${value}`;
  let pieces = cuts.get(key);
  if (!pieces) cuts.set(key, (pieces = cutTerms(chain, family, cls, termsMeeting(chain.families[family].classes[cls].terms, value, value), value)));
  return pieces;
}

const CUTS = new WeakMap<ChainAccess, Map<string, CutPiece[]>>();

/** `cutAt` from the terms holding the value (all of the class's, or those that matter to a question). */
function cutTerms(chain: ChainAccess, family: Family, cls: AccessClass, holding: readonly LineTerm[], value: number): CutPiece[] {
  if (cls === 'icmp' && chain.families[family].baseline.icmpTypes.has(value)) {
    const full = fullRange(family);
    return [{ start: full.start, end: full.end, verdict: 'accept' }];
  }
  return firstMatchLine(holding).map((p) => ({ start: p.start, end: p.end, verdict: p.label.action, rule: p.label }));
}

/** Value intervals of a class on which one decision over the peers holds, inside [from, to]. */
export function valueIntervals(chain: ChainAccess, family: Family, cls: AccessClass, from = 0, to = VALUE_MAX[cls]): Array<{ from: number; to: number }> {
  return intervalsOf(chain, family, cls, chain.families[family].classes[cls].layers, from, to);
}

function intervalsOf(chain: ChainAccess, family: Family, cls: AccessClass, layers: readonly Region[][], from: number, to: number): Array<{ from: number; to: number }> {
  const bounds = new Set<number>([from, to + 1]);
  for (const layer of layers) {
    for (const r of layer) {
      if (r.from > from && r.from <= to) bounds.add(r.from);
      if (r.to + 1 > from && r.to + 1 <= to) bounds.add(r.to + 1);
    }
  }
  addBaselineBounds(chain, family, cls, bounds, from, to);
  const sorted = [...bounds].sort((a, b) => a - b);
  return sorted.slice(0, -1).map((b, i) => ({ from: b, to: sorted[i + 1]! - 1 }));
}

function addBaselineBounds(chain: ChainAccess, family: Family, cls: AccessClass, bounds: Set<number>, from: number, to: number): void {
  if (cls !== 'icmp') return;
  for (const t of chain.families[family].baseline.icmpTypes) {
    if (t > from && t <= to) bounds.add(t);
    if (t + 1 > from && t + 1 <= to) bounds.add(t + 1);
  }
}

/**
 * How much of the traffic from or to `peers` (normalised, one family) on values [from, to] the chain
 * accepts: `some` when any of it, `all` when every peer on every value. Only the terms meeting that
 * box can decide inside it, so only they are cut, and the cost follows the box, not the chain.
 */
export function acceptanceOver(chain: ChainAccess, family: Family, cls: AccessClass, peers: readonly AddressRange[], from: number, to: number): { some: boolean; all: boolean } {
  const terms = termsMeeting(chain.families[family].classes[cls].terms, from, to).filter((t) => rangesOverlap(t.addresses, peers));
  if (terms.length === 0 && cls !== 'icmp') return { some: false, all: peers.length === 0 };
  let starts = [from];
  if (terms.length > 1 || cls === 'icmp' || terms[0]!.values.some((v) => v.from > from || v.to < to)) {
    const bounds = new Set<number>([from, to + 1]);
    for (const t of terms) {
      for (const v of t.values) {
        if (v.from > from && v.from <= to) bounds.add(v.from);
        if (v.to + 1 > from && v.to + 1 <= to) bounds.add(v.to + 1);
      }
    }
    addBaselineBounds(chain, family, cls, bounds, from, to);
    starts = [...bounds].sort((a, b) => a - b).slice(0, -1);
  }
  let some = false;
  let all = true;
  for (const value of starts) {
    const accepted = mergedAccepted(cutTerms(chain, family, cls, terms.filter((t) => holdsValue(t, value)), value));
    for (const p of peers) {
      const inside = accepted.find((a) => a.start <= p.start && p.start <= a.end);
      if (!inside || inside.end < p.end) all = false;
      if (accepted.some((a) => a.start <= p.end && p.start <= a.end)) some = true;
    }
    if (some && !all) break;
  }
  return { some, all };
}

/** The accepted pieces of a cut (sorted, disjoint) as normalised ranges. */
function mergedAccepted(pieces: readonly CutPiece[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (const p of pieces) {
    if (p.verdict !== 'accept') continue;
    const last = out[out.length - 1];
    if (last && last.end + 1n === p.start) last.end = p.end;
    else out.push({ start: p.start, end: p.end });
  }
  return out;
}

export interface InternetExposure {
  from: number;
  to: number;
  /**
   * The accepting rules that make the exposure, in chain order: the fewest, largest contributors whose
   * accepted public addresses reach the internet threshold together (rules adding a sliver, such as an
   * admin network's, are left out).
   */
  rules: ResolvedRule[];
  /** The baseline accepts these values from everyone (ICMP). */
  baseline: boolean;
}

/** The values of a class on which the accepted peers count as the whole internet (see internet.ts). */
export function internetValues(chain: ChainAccess, family: Family, cls: AccessClass, from = 0, to = VALUE_MAX[cls]): InternetExposure[] {
  const out: InternetExposure[] = [];
  for (const e of classExposures(chain, family, cls)) {
    if (e.to < from || e.from > to) continue;
    out.push({ from: Math.max(e.from, from), to: Math.min(e.to, to), rules: [...e.rules], baseline: e.baseline });
  }
  return out;
}

const exposuresMemo = memoPerObject<ChainAccess, InternetExposure[]>();

/** `internetValues` over the class's whole value range, computed once per chain, family and class. */
function classExposures(chain: ChainAccess, family: Family, cls: AccessClass): readonly InternetExposure[] {
  return exposuresMemo(chain, `${family} ${cls}`, () => sweepExposures(chain, family, cls));
}

function sweepExposures(chain: ChainAccess, family: Family, cls: AccessClass): InternetExposure[] {
  const access = chain.families[family];
  const terms = access.classes[cls].terms;
  const max = VALUE_MAX[cls];
  const baselineTypes = cls === 'icmp' ? access.baseline.icmpTypes : NO_TYPES;
  // An upper bound of the accepted public addresses at each value: the accepting terms' public sizes.
  // Most chains accept far less than the internet in all: the accepting terms' total size (in
  // doubles, off by far less than half the threshold) settles it without counting public addresses.
  const accepting = terms.filter((t) => t.label.action === 'accept');
  let total = 0;
  for (const t of accepting) total += sizeOf(t.addresses);
  /** Flattened [from, to] pairs of the stretches where the bound reaches the threshold. */
  const stretches: number[] = [];
  if (total >= HALF_THRESHOLD[family]) {
    const events: Array<{ value: number; delta: bigint }> = [];
    for (const t of accepting) {
      const size = publicSizeOf(t.addresses, family);
      if (size === 0n) continue;
      for (const v of t.values) events.push({ value: v.from, delta: size }, { value: v.to + 1, delta: -size });
    }
    events.sort((a, b) => a.value - b.value);
    let bound = 0n;
    for (let e = 0; e < events.length; ) {
      const value = events[e]!.value;
      while (e < events.length && events[e]!.value === value) bound += events[e++]!.delta;
      const open = stretches.length % 2 === 1;
      if (isInternetSize(bound, family) !== open) stretches.push(open ? value - 1 : value);
    }
  }
  if (stretches.length === 0 && baselineTypes.size === 0) return [];

  const bounds = new Set<number>([0, max + 1]);
  for (const t of terms) {
    for (const v of t.values) bounds.add(v.from).add(v.to + 1);
  }
  for (const s of stretches) bounds.add(s);
  addBaselineBounds(chain, family, cls, bounds, 0, max);
  const sorted = Float64Array.from(bounds).sort();
  const out: InternetExposure[] = [];
  let s = 0;
  for (let k = 0; k + 1 < sorted.length && sorted[k]! <= max; k++) {
    const value = sorted[k]!;
    while (s < stretches.length && stretches[s + 1]! < value) s += 2;
    const baseline = baselineTypes.has(value);
    if (!baseline && !(s < stretches.length && stretches[s]! <= value)) continue;
    let rules: ResolvedRule[] = [];
    if (!baseline) {
      const pieces = cutTerms(chain, family, cls, termsMeeting(terms, value, value), value).filter((p) => p.verdict === 'accept');
      let size = 0n;
      for (const p of pieces) size += publicSize([p], family);
      if (!isInternetSize(size, family)) continue;
      rules = mainContributors(chain, family, pieces);
    }
    const interval = { from: value, to: Math.min(sorted[k + 1]! - 1, max) };
    const last = out[out.length - 1];
    if (last && last.to + 1 === interval.from && last.baseline === baseline && sameRules(last.rules, rules)) last.to = interval.to;
    else out.push({ from: interval.from, to: interval.to, rules, baseline });
  }
  return out;
}

const NO_TYPES: ReadonlySet<number> = new Set();

/** Half the internet threshold of each family, as a double. */
const HALF_THRESHOLD: Record<Family, number> = { ipv4: Number(internetThreshold('ipv4')) / 2, ipv6: Number(internetThreshold('ipv6')) / 2 };

const PUBLIC_SIZES: Record<Family, WeakMap<readonly AddressRange[], bigint>> = { ipv4: new WeakMap(), ipv6: new WeakMap() };

const SIZES = new WeakMap<readonly AddressRange[], number>();

/** The number of addresses in a term's list, as a double, once per list. */
function sizeOf(addresses: readonly AddressRange[]): number {
  let size = SIZES.get(addresses);
  if (size === undefined) {
    size = 0;
    for (const r of addresses) size += Number(r.end) - Number(r.start) + 1;
    SIZES.set(addresses, size);
  }
  return size;
}

/** `publicSize` of a term's addresses, once per list: a rule's peers are one list on every host it lands on. */
function publicSizeOf(addresses: readonly AddressRange[], family: Family): bigint {
  let size = PUBLIC_SIZES[family].get(addresses);
  if (size === undefined) PUBLIC_SIZES[family].set(addresses, (size = publicSize(addresses, family)));
  return size;
}

/** The fewest accepting rules (chosen largest first, returned in chain order) whose public addresses reach the internet threshold. */
function mainContributors(chain: ChainAccess, family: Family, pieces: readonly CutPiece[]): ResolvedRule[] {
  const sizes = new Map<ResolvedRule, bigint>();
  for (const p of pieces) if (p.rule) sizes.set(p.rule, (sizes.get(p.rule) ?? 0n) + publicSize([p], family));
  const order = chainOrder(chain);
  const ranked = [...sizes].sort(([a, x], [b, y]) => (x > y ? -1 : x < y ? 1 : order.get(a)! - order.get(b)!));
  const out: ResolvedRule[] = [];
  let total = 0n;
  for (const [rule, size] of ranked) {
    out.push(rule);
    total += size;
    if (isInternetSize(total, family)) break;
  }
  return out.sort((a, b) => order.get(a)! - order.get(b)!);
}

const ORDERS = new WeakMap<ChainAccess, Map<ResolvedRule, number>>();

/** Each rule's position in the chain. */
function chainOrder(chain: ChainAccess): Map<ResolvedRule, number> {
  let order = ORDERS.get(chain);
  if (!order) ORDERS.set(chain, (order = new Map(chain.rules.map((r, i) => [r, i]))));
  return order;
}

function sameRules(a: readonly ResolvedRule[], b: readonly ResolvedRule[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
