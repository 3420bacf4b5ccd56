/**
 * Questions about exposure answered from the access model: what a chain decides along one line of
 * the packet space (every peer, one port or ICMP type), and at which ports the accepted peers add up to
 * the whole internet. Exposure is the union of what is accepted, whatever the number of rules,
 * services, networks or exclusions that make it up.
 *
 * Complexity: `cutAt` is O(regions of the class); `internetValues` sweeps the class's value
 * boundaries once with a running upper bound of accepted public addresses and cuts exactly only where
 * the bound reaches the internet threshold.
 */
import type { ResolvedRule, Verdict } from '../model/index.js';
import { fullRange, normalizeRanges, subtractRanges } from '../net/address-set.js';
import type { AddressRange, Family } from '../net/address.js';
import { type AccessClass, type ChainAccess, type Region, VALUE_MAX } from './index.js';
import { coversInternet, isInternetSize, publicSize } from './internet.js';

/** A piece of one line of the packet space with its verdict; `rule` is absent for the baseline. */
export interface CutPiece {
  start: bigint;
  end: bigint;
  verdict: Verdict;
  rule?: ResolvedRule;
}

/** What the chain decides for new connections from (ingress) or to (egress) every peer at one value; gaps are the default drop. */
export function cutAt(chain: ChainAccess, family: Family, cls: AccessClass, value: number): CutPiece[] {
  // Several lint rules ask the same chain about the same ports (22, 3389, …): cut each line once.
  let cuts = CUTS.get(chain);
  if (!cuts) CUTS.set(chain, (cuts = new Map()));
  const key = `${family} ${cls} ${value}`;
  let pieces = cuts.get(key);
  if (!pieces) cuts.set(key, (pieces = cutLayers(chain, family, cls, chain.families[family].classes[cls].layers, value)));
  return pieces;
}

const CUTS = new WeakMap<ChainAccess, Map<string, CutPiece[]>>();

/** `cutAt` over the given layers (the chain's, or a subset of their regions). */
function cutLayers(chain: ChainAccess, family: Family, cls: AccessClass, layers: readonly Region[][], value: number): CutPiece[] {
  const access = chain.families[family];
  if (cls === 'icmp' && access.baseline.icmpTypes.has(value)) {
    const full = fullRange(family);
    return [{ start: full.start, end: full.end, verdict: 'accept' }];
  }
  const out: CutPiece[] = [];
  let decided: AddressRange[] = [];
  for (const layer of layers) {
    const hits = layer.filter((r) => r.from <= value && value <= r.to);
    if (hits.length === 0) continue;
    for (const hit of hits) {
      const pieces = decided.length === 0 ? [hit] : subtractRanges([hit], decided);
      for (const p of pieces) out.push({ start: p.start, end: p.end, verdict: hit.label.action, rule: hit.label });
    }
    decided = normalizeRanges([...decided, ...hits]);
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
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
  if (cls === 'icmp') {
    for (const t of chain.families[family].baseline.icmpTypes) {
      if (t > from && t <= to) bounds.add(t);
      if (t + 1 > from && t + 1 <= to) bounds.add(t + 1);
    }
  }
  const sorted = [...bounds].sort((a, b) => a - b);
  return sorted.slice(0, -1).map((b, i) => ({ from: b, to: sorted[i + 1]! - 1 }));
}

/**
 * How much of the traffic from or to `peers` (normalised, one family) on values [from, to] the chain
 * accepts: `some` when any of it, `all` when every peer on every value. Only the regions meeting that
 * box are cut, so the cost follows the box, not the chain.
 */
export function acceptanceOver(chain: ChainAccess, family: Family, cls: AccessClass, peers: readonly AddressRange[], from: number, to: number): { some: boolean; all: boolean } {
  const meets = (r: Region) => r.to >= from && r.from <= to && peers.some((p) => p.start <= r.end && r.start <= p.end);
  const layers = chain.families[family].classes[cls].layers.map((layer) => layer.filter(meets));
  let some = false;
  let all = true;
  for (const interval of intervalsOf(chain, family, cls, layers, from, to)) {
    const accepted = normalizeRanges(cutLayers(chain, family, cls, layers, interval.from).filter((p) => p.verdict === 'accept'));
    for (const p of peers) {
      const inside = accepted.find((a) => a.start <= p.start && p.start <= a.end);
      if (!inside || inside.end < p.end) all = false;
      if (accepted.some((a) => a.start <= p.end && p.start <= a.end)) some = true;
    }
    if (some && !all) break;
  }
  return { some, all };
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
  const access = chain.families[family];
  const events: Array<{ value: number; delta: bigint }> = [];
  for (const layer of access.classes[cls].layers) {
    for (const r of layer) {
      if (r.label.action !== 'accept' || r.to < from || r.from > to) continue;
      const size = publicSize([{ start: r.start, end: r.end }], family);
      if (size === 0n) continue;
      events.push({ value: r.from, delta: size }, { value: r.to + 1, delta: -size });
    }
  }
  events.sort((a, b) => a.value - b.value);
  const out: InternetExposure[] = [];
  let bound = 0n;
  let e = 0;
  for (const interval of valueIntervals(chain, family, cls, from, to)) {
    while (e < events.length && events[e]!.value <= interval.from) bound += events[e++]!.delta;
    const baseline = cls === 'icmp' && access.baseline.icmpTypes.has(interval.from);
    if (!baseline && !isInternetSize(bound, family)) continue;
    const pieces = cutAt(chain, family, cls, interval.from).filter((p) => p.verdict === 'accept');
    if (!coversInternet(normalizeRanges(pieces), family)) continue;
    const rules = baseline ? [] : mainContributors(chain, family, pieces);
    const last = out[out.length - 1];
    if (last && last.to + 1 === interval.from && last.baseline === baseline && sameRules(last.rules, rules)) last.to = interval.to;
    else out.push({ from: interval.from, to: interval.to, rules, baseline });
  }
  return out;
}

/** The fewest accepting rules (chosen largest first, returned in chain order) whose public addresses reach the internet threshold. */
function mainContributors(chain: ChainAccess, family: Family, pieces: readonly CutPiece[]): ResolvedRule[] {
  const sizes = new Map<ResolvedRule, bigint>();
  for (const p of pieces) if (p.rule) sizes.set(p.rule, (sizes.get(p.rule) ?? 0n) + publicSize([p], family));
  const order = new Map(chain.rules.map((r, i) => [r, i]));
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

function sameRules(a: readonly ResolvedRule[], b: readonly ResolvedRule[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
