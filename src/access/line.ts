/**
 * First match along one line of the packet space: the address ranges of the terms holding one value
 * (one port or ICMP type), cut into the pieces each term decides. This answers "what happens at this
 * port, peer by peer" from a class's terms alone, without building its two-dimensional partition
 * (layers.ts), which is what `cutAt`, `internetValues` and `acceptanceOver` (exposure.ts) ask.
 *
 * Method: the ranges sorted by start, swept left to right with a min-heap of the covering terms by
 * chain position (entries that ended are dropped when they surface). O(n log n) for n ranges.
 */
import type { ResolvedRule } from '../model/index.js';
import type { LayerTerm } from './layers.js';

export type LineTerm = LayerTerm<ResolvedRule>;

/** A run of peers decided by one term, inclusive. */
export interface LinePiece {
  start: bigint;
  end: bigint;
  label: ResolvedRule;
}

/** Whether one of the term's (sorted, disjoint) value ranges holds `value`. */
export function holdsValue(term: LineTerm, value: number): boolean {
  for (const v of term.values) {
    if (value < v.from) return false;
    if (value <= v.to) return true;
  }
  return false;
}

/** Value span up to which a term is filed under each of its values; wider terms are checked on every question. */
const BUCKET_SPAN = 64;
/** Questions wider than this scan the terms: walking the index would visit as much. */
const INDEXED_SPAN = 1024;

interface ValueIndex {
  /** (value, term) of the terms of span up to BUCKET_SPAN, packed as value · `radix` + term, sorted. */
  keys: Float64Array;
  radix: number;
  /** The other terms, in chain order. */
  wide: number[];
}

const INDEXES = new WeakMap<readonly LineTerm[], ValueIndex>();
/** Questions answered by scanning before the terms are indexed: one or two ports are cheaper to scan for. */
const SCANS_BEFORE_INDEX = 2;
const QUESTIONS = new WeakMap<readonly LineTerm[], number>();

function valueIndex(terms: readonly LineTerm[]): ValueIndex {
  let index = INDEXES.get(terms);
  if (index) return index;
  const radix = 2 ** Math.ceil(Math.log2(terms.length + 1));
  const keys: number[] = [];
  const wide: number[] = [];
  terms.forEach((t, k) => {
    let span = 0;
    for (const v of t.values) span += v.to - v.from + 1;
    if (span > BUCKET_SPAN) wide.push(k);
    else for (const v of t.values) for (let value = v.from; value <= v.to; value++) keys.push(value * radix + k);
  });
  index = { keys: Float64Array.from(keys).sort(), radix, wide };
  INDEXES.set(terms, index);
  return index;
}

/** First position of `keys` holding at least `key`. */
function lowerBound(keys: Float64Array, key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The terms (of one class, in chain order) with a value in [from, to]. The first questions about the
 * terms scan them (O(T)); later ones read an index of the terms by value, built once (O(S log S) for S
 * = Σ spans of the narrow terms): O(log S + m log m) for the m entries found and the wide terms. A
 * question wider than INDEXED_SPAN scans the terms.
 */
export function termsMeeting(terms: readonly LineTerm[], from: number, to: number): LineTerm[] {
  const meets = (t: LineTerm) => t.values.some((v) => v.to >= from && v.from <= to);
  if (to - from >= INDEXED_SPAN) return terms.filter(meets);
  const asked = (QUESTIONS.get(terms) ?? 0) + 1;
  if (asked <= SCANS_BEFORE_INDEX) {
    QUESTIONS.set(terms, asked);
    return terms.filter(meets);
  }
  const { keys, radix, wide } = valueIndex(terms);
  const found = wide.filter((k) => meets(terms[k]!));
  const end = lowerBound(keys, (to + 1) * radix);
  for (let i = lowerBound(keys, from * radix); i < end; i++) found.push(keys[i]! % radix);
  const sorted = from === to && wide.length === 0 ? found : [...new Set(found)].sort((a, b) => a - b);
  return sorted.map((k) => terms[k]!);
}

/**
 * The first-match partition of the terms' address ranges (terms in chain order: the first covering
 * term decides): sorted, disjoint, maximal pieces (neighbours decided by the same term are joined).
 */
export function firstMatchLine(terms: readonly LineTerm[]): LinePiece[] {
  if (terms.length === 0) return [];
  if (terms.length === 1) return terms[0]!.addresses.map((r) => ({ start: r.start, end: r.end, label: terms[0]!.label }));
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  const owners: number[] = [];
  terms.forEach((t, index) => {
    for (const r of t.addresses) {
      starts.push(r.start);
      ends.push(r.end);
      owners.push(index);
    }
  });
  const n = starts.length;
  // Sorted by the starts' nearest doubles (rounding keeps the order), exactly only where those tie.
  const keys = Float64Array.from(starts, (v) => Number(v));
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => keys[a]! - keys[b]! || (starts[a]! < starts[b]! ? -1 : starts[a]! > starts[b]! ? 1 : owners[a]! - owners[b]!),
  );
  /** Min-heap of range indices by owner. */
  const heap: number[] = [];
  const push = (item: number): void => {
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (owners[heap[parent]!]! <= owners[item]!) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  };
  const pop = (): void => {
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && owners[heap[r]!]! < owners[heap[l]!]! ? r : l;
      if (owners[heap[c]!]! >= owners[last]!) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  };

  const out: Array<LinePiece & { term: number }> = [];
  let last: (LinePiece & { term: number }) | undefined;
  let next = 0;
  let at = 0n;
  while (next < n || heap.length > 0) {
    if (heap.length === 0) at = starts[order[next]!]!;
    while (next < n && starts[order[next]!]! <= at) push(order[next++]!);
    while (heap.length > 0 && ends[heap[0]!]! < at) pop();
    if (heap.length === 0) continue;
    const top = heap[0]!;
    let end = ends[top]!;
    if (next < n && starts[order[next]!]! <= end) end = starts[order[next]!]! - 1n;
    const term = owners[top]!;
    if (last && last.term === term && last.end + 1n === at) last.end = end;
    else {
      last = { start: at, end, label: terms[term]!.label, term };
      out.push(last);
    }
    at = end + 1n;
  }
  return out.map(({ start, end, label }) => ({ start, end, label }));
}
