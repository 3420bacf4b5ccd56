/**
 * First-match partition of ordered two-dimensional terms by an incremental sweep.
 *
 * A term is a union of boxes: leaf intervals (compressed address coordinates) × value intervals
 * (ports or ICMP types). Terms are given in priority order: term 0 wins over term 1 where both match.
 * The result is a list of disjoint boxes covering exactly the union of the terms, each labelled with
 * the first term that covers it, which is what "first match wins" decides for every packet.
 *
 * Method: sweep over the value dimension; at each value where terms enter or leave, update a segment
 * tree over the address leaves. Every node keeps the terms whose canonical decomposition includes it
 * (a lazily pruned min-heap), the largest winner below it (to prune subtrees that cannot change) and,
 * where all its leaves share one (winner, since) pair, that pair (so a change to a whole subtree is
 * one box, not one per leaf). A box is closed only where the winner changes, so a wide rule cut by a
 * narrow earlier one is split around it, not at every port boundary of the policy.
 *
 * Complexity: O(E log E) to sort the E = Σ value intervals events, plus O((L + B) · log M · log H) for
 * L leaf intervals entered/left, B boxes produced, M address leaves and H the heap sizes: linear in
 * input plus output up to log factors. The output itself can be quadratic in the worst case (every
 * term cutting every other); `budget` bounds it: past it the sweep stops and returns `undefined`, and
 * the caller splits the terms into ordered layers (see layers.ts).
 */

export interface SweepTerm {
  /** Disjoint, sorted leaf intervals, flattened: [lo0, hi0, lo1, hi1, ...], inclusive. */
  leaves: readonly number[];
  /** Disjoint, sorted, non-adjacent inclusive value intervals. */
  values: ReadonlyArray<{ from: number; to: number }>;
}

export interface SweepBox {
  lo: number;
  hi: number;
  from: number;
  to: number;
  /** Index of the deciding term. */
  term: number;
}

const NONE = 0x7fffffff;
const MIXED = -1;

/** Min-heap of term indices with lazy deletion (entries whose term is inactive are skipped). */
function heapPush(heap: number[], value: number): void {
  heap.push(value);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  let i = 0;
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && heap[r]! < heap[l]! ? r : l;
    if (heap[c]! >= last) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = last;
}

interface SweepEvent {
  value: number;
  term: number;
  enter: boolean;
}

/**
 * Disjoint boxes labelled by their first-matching term, or `undefined` when more than `budget` boxes
 * would be produced. Boxes of one term that form a larger box are merged.
 */
export function sweepFirstMatch(leafCount: number, terms: readonly SweepTerm[], budget = Infinity): SweepBox[] | undefined {
  if (leafCount === 0 || terms.length === 0) return [];
  const size = 4 * leafCount;
  const heaps: Array<number[] | undefined> = new Array(size);
  const below = new Int32Array(size);
  const uw = new Int32Array(size).fill(NONE);
  const us = new Int32Array(size);
  const maxw = new Int32Array(size).fill(NONE);
  const active = new Uint8Array(terms.length);
  let batch: SweepBox[] = [];
  const out: SweepBox[] = [];

  let term = 0;
  let value = 0;
  let lo = 0;
  let hi = 0;

  const top = (node: number): number => {
    const heap = heaps[node];
    if (!heap) return NONE;
    while (heap.length > 0 && active[heap[0]!] === 0) heapPop(heap);
    return heap.length > 0 ? heap[0]! : NONE;
  };
  const close = (l: number, h: number, since: number, winner: number) => {
    if (winner !== NONE && since <= value - 1) batch.push({ lo: l, hi: h, from: since, to: value - 1, term: winner });
  };
  const pushdown = (node: number) => {
    const w = uw[node]!;
    if (w === MIXED) return;
    for (const c of [2 * node, 2 * node + 1]) {
      uw[c] = w;
      us[c] = us[node]!;
      maxw[c] = maxw[node]!;
    }
  };
  const pull = (node: number) => {
    const l = 2 * node;
    const r = l + 1;
    maxw[node] = Math.max(maxw[l]!, maxw[r]!);
    uw[node] = uw[l] !== MIXED && uw[l] === uw[r] && us[l] === us[r] ? uw[l]! : MIXED;
    us[node] = us[l]!;
  };

  /** `term` now covers every leaf of the node: leaves whose winner is later become `term`'s. */
  const raise = (node: number, nl: number, nr: number): void => {
    if (maxw[node]! < term) return;
    if (uw[node] !== MIXED) {
      close(nl, nr, us[node]!, uw[node]!);
      uw[node] = term;
      us[node] = value;
      maxw[node] = term;
      return;
    }
    const mid = (nl + nr) >> 1;
    raise(2 * node, nl, mid);
    raise(2 * node + 1, mid + 1, nr);
    pull(node);
  };
  const enter = (node: number, nl: number, nr: number): number => {
    if (hi < nl || nr < lo) return 0;
    if (lo <= nl && nr <= hi) {
      heapPush((heaps[node] ??= []), term);
      raise(node, nl, nr);
      return 1;
    }
    pushdown(node);
    const mid = (nl + nr) >> 1;
    const count = enter(2 * node, nl, mid) + enter(2 * node + 1, mid + 1, nr);
    below[node] = below[node]! + count;
    pull(node);
    return count;
  };

  /** `term` no longer covers the node: its leaves fall to the best term still covering them. */
  const lower = (node: number, nl: number, nr: number, best: number): void => {
    if (maxw[node]! < term) return;
    const here = Math.min(best, top(node));
    if (uw[node] !== MIXED && below[node] === 0) {
      close(nl, nr, us[node]!, uw[node]!);
      uw[node] = here;
      us[node] = value;
      maxw[node] = here;
      return;
    }
    pushdown(node);
    const mid = (nl + nr) >> 1;
    lower(2 * node, nl, mid, here);
    lower(2 * node + 1, mid + 1, nr, here);
    pull(node);
  };
  const leave = (node: number, nl: number, nr: number, best: number): number => {
    if (hi < nl || nr < lo) return 0;
    if (lo <= nl && nr <= hi) {
      lower(node, nl, nr, best);
      return 1;
    }
    pushdown(node);
    const here = Math.min(best, top(node));
    const mid = (nl + nr) >> 1;
    const count = leave(2 * node, nl, mid, here) + leave(2 * node + 1, mid + 1, nr, here);
    below[node] = below[node]! - count;
    pull(node);
    return count;
  };

  const events: SweepEvent[] = [];
  terms.forEach((t, index) => {
    for (const v of t.values) {
      events.push({ value: v.from, term: index, enter: true }, { value: v.to + 1, term: index, enter: false });
    }
  });
  events.sort((a, b) => a.value - b.value || Number(a.enter) - Number(b.enter) || a.term - b.term);

  let produced = 0;
  const flush = () => {
    if (batch.length === 0) return;
    batch.sort((a, b) => a.lo - b.lo);
    let last: SweepBox | undefined;
    for (const box of batch) {
      if (last && last.term === box.term && last.from === box.from && last.hi + 1 === box.lo) last.hi = box.hi;
      else {
        out.push(box);
        last = box;
        produced++;
      }
    }
    batch = [];
  };

  for (let e = 0; e < events.length; ) {
    value = events[e]!.value;
    for (; e < events.length && events[e]!.value === value; e++) {
      const event = events[e]!;
      term = event.term;
      const leaves = terms[term]!.leaves;
      if (event.enter) active[term] = 1;
      else active[term] = 0;
      for (let k = 0; k < leaves.length; k += 2) {
        lo = leaves[k]!;
        hi = leaves[k + 1]!;
        if (event.enter) enter(1, 0, leafCount - 1);
        else leave(1, 0, leafCount - 1, NONE);
      }
    }
    flush();
    if (produced > budget) return undefined;
  }
  return mergeTouching(out);
}

/** Joins boxes of one term over the same leaves whose values touch (a winner closed and reopened). */
function mergeTouching(boxes: SweepBox[]): SweepBox[] {
  boxes.sort((a, b) => a.term - b.term || a.lo - b.lo || a.hi - b.hi || a.from - b.from);
  const out: SweepBox[] = [];
  for (const box of boxes) {
    const last = out[out.length - 1];
    if (last && last.term === box.term && last.lo === box.lo && last.hi === box.hi && last.to + 1 === box.from) last.to = box.to;
    else out.push(box);
  }
  return out;
}
