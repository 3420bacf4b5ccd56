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
  /** With `runnerUp`: the first term after `term` covering the box (-1: none); otherwise -1. */
  second: number;
}

export interface SweepOptions {
  /** Stop and return `undefined` past this many boxes. */
  budget?: number;
  /**
   * Also track the runner-up (the second-best covering term) and split boxes where it changes: what
   * would decide the box if its winner were removed (the anomaly analysis's "redundant" question).
   */
  runnerUp?: boolean;
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

/**
 * Disjoint boxes labelled by their first-matching term (and, with `runnerUp`, the second), or
 * `undefined` when more than `budget` boxes would be produced. Boxes with the same labels that form a
 * larger box are merged.
 */
export function sweepFirstMatch(leafCount: number, terms: readonly SweepTerm[], options: SweepOptions | number = {}): SweepBox[] | undefined {
  const { budget = Infinity, runnerUp = false } = typeof options === 'number' ? { budget: options } : options;
  if (leafCount === 0 || terms.length === 0) return [];
  const size = 4 * leafCount;
  const heaps: Array<number[] | undefined> = new Array(size);
  const below = new Int32Array(size);
  const uw = new Int32Array(size).fill(NONE);
  const u2 = new Int32Array(size).fill(NONE);
  const us = new Int32Array(size);
  const maxw = new Int32Array(size).fill(NONE);
  const max2 = new Int32Array(size).fill(NONE);
  // The two smallest active terms of each node's heap, kept current: a heap changes only where a term
  // enters (pushed there) or leaves (its canonical nodes, recomputed then).
  const h1 = new Int32Array(size).fill(NONE);
  const h2 = new Int32Array(size).fill(NONE);
  const active = new Uint8Array(terms.length);
  /** Subtrees whose largest value of this array is below the term cannot change. */
  const pruneBy = runnerUp ? max2 : maxw;
  let batch: SweepBox[] = [];
  const out: SweepBox[] = [];

  let term = 0;
  let value = 0;
  let lo = 0;
  let hi = 0;
  /** Recomputes a node's two smallest active terms after one of its terms left. */
  const refresh = (node: number): void => {
    let first = NONE;
    let second = NONE;
    const heap = heaps[node];
    if (heap) {
      while (heap.length > 0 && active[heap[0]!] === 0) heapPop(heap);
      if (heap.length > 0) {
        first = heap[0]!;
        if (runnerUp) {
          heapPop(heap);
          // A term that left and came back (several value ranges) may sit in the heap twice: skip its copy.
          while (heap.length > 0 && (active[heap[0]!] === 0 || heap[0] === first)) heapPop(heap);
          if (heap.length > 0) second = heap[0]!;
          heapPush(heap, first);
        }
      }
    }
    h1[node] = first;
    h2[node] = second;
  };
  const close = (l: number, h: number, since: number, winner: number, runner: number) => {
    if (winner !== NONE && since <= value - 1) batch.push({ lo: l, hi: h, from: since, to: value - 1, term: winner, second: runner === NONE ? -1 : runner });
  };
  const assign = (node: number, winner: number, runner: number) => {
    uw[node] = winner;
    u2[node] = runner;
    us[node] = value;
    maxw[node] = winner;
    max2[node] = runner;
  };
  const copy = (from: number, to: number) => {
    uw[to] = uw[from]!;
    u2[to] = u2[from]!;
    us[to] = us[from]!;
    maxw[to] = maxw[from]!;
    max2[to] = max2[from]!;
  };
  const pushdown = (node: number) => {
    if (uw[node] === MIXED) return;
    copy(node, 2 * node);
    copy(node, 2 * node + 1);
  };
  const pull = (node: number) => {
    const l = 2 * node;
    const r = l + 1;
    maxw[node] = Math.max(maxw[l]!, maxw[r]!);
    max2[node] = Math.max(max2[l]!, max2[r]!);
    const uniform = uw[l] !== MIXED && uw[l] === uw[r] && u2[l] === u2[r] && us[l] === us[r];
    uw[node] = uniform ? uw[l]! : MIXED;
    u2[node] = u2[l]!;
    us[node] = us[l]!;
  };

  /** `term` now covers every leaf of the node: it becomes the winner (or runner-up) where it is better. */
  const raise = (node: number, nl: number, nr: number): void => {
    if (pruneBy[node]! < term) return;
    if (uw[node] !== MIXED) {
      const w = uw[node]!;
      const r = u2[node]!;
      close(nl, nr, us[node]!, w, r);
      if (term < w) assign(node, term, runnerUp ? w : NONE);
      else assign(node, w, term);
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
      if (term < h1[node]!) {
        h2[node] = h1[node]!;
        h1[node] = term;
      } else if (term < h2[node]!) h2[node] = term;
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

  /**
   * `term` no longer covers the node: its leaves fall to the best terms still covering them; `a1`,
   * `a2` are the two smallest terms of the ancestors' heaps.
   */
  const lower = (node: number, nl: number, nr: number, a1: number, a2: number): void => {
    if (pruneBy[node]! < term) return;
    const first = h1[node]!;
    const m1 = Math.min(a1, first);
    const m2 = runnerUp ? Math.min(Math.max(a1, first), a2, h2[node]!) : NONE;
    if (uw[node] !== MIXED && below[node] === 0) {
      if (uw[node] === m1 && u2[node] === m2) return;
      close(nl, nr, us[node]!, uw[node]!, u2[node]!);
      assign(node, m1, m2);
      return;
    }
    pushdown(node);
    const mid = (nl + nr) >> 1;
    lower(2 * node, nl, mid, m1, m2);
    lower(2 * node + 1, mid + 1, nr, m1, m2);
    pull(node);
  };
  const leave = (node: number, nl: number, nr: number, a1: number, a2: number): number => {
    if (hi < nl || nr < lo) return 0;
    if (lo <= nl && nr <= hi) {
      refresh(node);
      lower(node, nl, nr, a1, a2);
      return 1;
    }
    pushdown(node);
    const first = h1[node]!;
    const m1 = Math.min(a1, first);
    const m2 = runnerUp ? Math.min(Math.max(a1, first), a2, h2[node]!) : NONE;
    const mid = (nl + nr) >> 1;
    const count = leave(2 * node, nl, mid, m1, m2) + leave(2 * node + 1, mid + 1, nr, m1, m2);
    below[node] = below[node]! - count;
    pull(node);
    return count;
  };

  // Events packed in one number each and sorted natively: value, then leave before enter, then term.
  const TERM_BITS = 2 ** Math.max(1, Math.ceil(Math.log2(terms.length + 1)));
  let count = 0;
  for (const t of terms) count += 2 * t.values.length;
  const events = new Float64Array(count);
  let at = 0;
  terms.forEach((t, index) => {
    for (const v of t.values) {
      events[at++] = (v.from * 2 + 1) * TERM_BITS + index;
      events[at++] = ((v.to + 1) * 2) * TERM_BITS + index;
    }
  });
  events.sort();

  let produced = 0;
  const flush = () => {
    if (batch.length === 0) return;
    batch.sort((a, b) => a.lo - b.lo);
    let last: SweepBox | undefined;
    for (const box of batch) {
      if (last && last.term === box.term && last.second === box.second && last.from === box.from && last.hi + 1 === box.lo) last.hi = box.hi;
      else {
        out.push(box);
        last = box;
        produced++;
      }
    }
    batch = [];
  };

  for (let e = 0; e < events.length; ) {
    value = Math.floor(events[e]! / TERM_BITS / 2);
    for (; e < events.length && Math.floor(events[e]! / TERM_BITS / 2) === value; e++) {
      const key = events[e]!;
      term = key % TERM_BITS;
      const enters = Math.floor(key / TERM_BITS) % 2 === 1;
      const leaves = terms[term]!.leaves;
      active[term] = enters ? 1 : 0;
      for (let k = 0; k < leaves.length; k += 2) {
        lo = leaves[k]!;
        hi = leaves[k + 1]!;
        if (enters) enter(1, 0, leafCount - 1);
        else leave(1, 0, leafCount - 1, NONE, NONE);
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
    if (last && last.term === box.term && last.second === box.second && last.lo === box.lo && last.hi === box.hi && last.to + 1 === box.from) last.to = box.to;
    else out.push(box);
  }
  return out;
}
