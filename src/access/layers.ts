/**
 * Ordered layers of first-match partitions over (address × value), with a bounded size.
 *
 * The full first-match partition of a chain can be quadratic in its rules (every rule cutting every
 * other). Each layer is the partition of a consecutive run of the rules; a packet is decided by the
 * first layer with a region containing it, which is exactly first match over the whole run, because a
 * packet no rule of a layer matches falls through to the next layer. A layer's regions are at most
 * `REGIONS_PER_TERM` times its rules' own boxes (addresses × value ranges); a run that would exceed it
 * is split in halves, so the number of layers grows only where rules interact heavily, and every
 * packet takes at most one lookup per layer.
 *
 * Complexity: each attempt is bounded by its budget, and a run is split at most log₂(rules) deep, so
 * the whole costs O(S · log R) sweeps' worth of work for S = Σ rule boxes and R rules.
 */
import type { AddressRange } from '../net/address.js';
import { type SweepTerm, sweepFirstMatch } from './sweep.js';

/** Regions a layer may hold per box of its rules before it is split. */
export const REGIONS_PER_TERM = 4;
/** Regions every layer may hold whatever its size, so tiny runs are never split. */
const REGIONS_FLOOR = 64;

export interface LayerTerm<T> {
  label: T;
  /** Normalised address ranges of one family. */
  addresses: readonly AddressRange[];
  /** Normalised inclusive value ranges. */
  values: ReadonlyArray<{ from: number; to: number }>;
}

export interface LayerRegion<T> {
  label: T;
  start: bigint;
  end: bigint;
  from: number;
  to: number;
}

/**
 * Sorted distinct values. Values that fit a double (IPv4) sort natively as numbers; wider ones (IPv6)
 * with a bigint comparison, measured about 3× faster than sorting them as fixed-width hex strings (the
 * conversions both ways cost more than the comparisons).
 */
function sortedDistinct(values: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  if (values.every((v) => v <= NUMBER_SAFE)) {
    const numbers = Float64Array.from(values, (v) => Number(v)).sort();
    for (let i = 0; i < numbers.length; i++) if (i === 0 || numbers[i] !== numbers[i - 1]) out.push(BigInt(numbers[i]!));
    return out;
  }
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]!);
  return out;
}

const NUMBER_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The first-match partition of `terms` (in order), as one or more ordered layers. `compressed`, when
 * the caller already holds `compressTerms(terms)` (the access stage shares it with the anomaly
 * analysis), saves compressing the whole run again for the first attempt.
 */
export function layeredPartition<T>(terms: ReadonlyArray<LayerTerm<T>>, limits: LayerLimits = DEFAULT_LIMITS, compressed?: CompressedTerms): LayerRegion<T>[][] {
  const used = terms.filter((t) => t.addresses.length > 0 && t.values.length > 0);
  if (used.length === 0) return [];
  return split(used, limits, used.length === terms.length ? compressed : undefined);
}

export interface LayerLimits {
  /** Regions a layer may hold per box of its rules before it is split. */
  perTerm: number;
  /** Regions every layer may hold whatever its size, so tiny runs are never split. */
  floor: number;
}

const DEFAULT_LIMITS: LayerLimits = { perTerm: REGIONS_PER_TERM, floor: REGIONS_FLOOR };

function split<T>(terms: ReadonlyArray<LayerTerm<T>>, limits: LayerLimits, compressed?: CompressedTerms): LayerRegion<T>[][] {
  const natural = terms.reduce((n, t) => n + t.addresses.length * t.values.length, 0);
  const budget = terms.length === 1 ? Infinity : Math.max(limits.floor, limits.perTerm * natural);
  const layer = partition(terms, budget, compressed);
  if (layer) return [layer];
  const mid = terms.length >> 1;
  return [...split(terms.slice(0, mid), limits), ...split(terms.slice(mid), limits)];
}

/** Terms in compressed address coordinates: leaf i is [points[i], points[i + 1] - 1]. */
export interface CompressedTerms {
  points: bigint[];
  leafCount: number;
  terms: SweepTerm[];
}

/** Compresses the terms' address ranges to leaf intervals over the sorted distinct range edges. */
export function compressTerms<T>(terms: ReadonlyArray<LayerTerm<T>>): CompressedTerms {
  const all: bigint[] = [];
  for (const t of terms) {
    for (const r of t.addresses) all.push(r.start, r.end + 1n);
  }
  const points = sortedDistinct(all);
  // Binary search, not a Map: V8 hashes bigints poorly (IPv6 addresses sharing their low bits collide).
  const index = (value: bigint): number => {
    let lo = 0;
    let hi = points.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const sweepTerms: SweepTerm[] = terms.map((t) => {
    const leaves: number[] = [];
    for (const r of t.addresses) leaves.push(index(r.start), index(r.end + 1n) - 1);
    return { leaves, values: t.values };
  });
  return { points, leafCount: Math.max(0, points.length - 1), terms: sweepTerms };
}

/** One layer: the first-match partition of the terms, or `undefined` past the budget (`compressed`: `compressTerms(terms)`, when known). */
export function partition<T>(terms: ReadonlyArray<LayerTerm<T>>, budget = Infinity, compressed = compressTerms(terms)): LayerRegion<T>[] | undefined {
  const { points, leafCount, terms: sweepTerms } = compressed;
  const boxes = sweepFirstMatch(leafCount, sweepTerms, budget);
  if (!boxes) return undefined;
  return boxes.map((b) => ({ label: terms[b.term]!.label, start: points[b.lo]!, end: points[b.hi + 1]! - 1n, from: b.from, to: b.to }));
}
