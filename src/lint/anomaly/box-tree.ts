/**
 * A static k-d tree over the disjoint boxes of one partition (compressed address leaves × values),
 * answering "which boxes meet this box?" with bounding-box pruning and early exit. Splits alternate
 * between the two dimensions at the median (found by selection, not sorting: O(n log n) to build);
 * a query visits O(√n + k) nodes for k boxes met.
 */
import type { SweepBox } from '../../access/sweep.js';

const LEAF_SIZE = 8;

export class BoxTree {
  private readonly order: SweepBox[];
  /** Per node: [from, to) slice of `order`, children, and the bounding box of its boxes. */
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly minLo: number[] = [];
  private readonly maxHi: number[] = [];
  private readonly minFrom: number[] = [];
  private readonly maxTo: number[] = [];
  /** Per node: the term every box below it belongs to, or -1 when they differ. */
  private readonly uniform: number[] = [];

  constructor(boxes: readonly SweepBox[]) {
    this.order = [...boxes];
    if (this.order.length > 0) this.build(0, this.order.length, 0);
  }

  private build(from: number, to: number, depth: number): number {
    const node = this.start.length;
    this.start.push(from);
    this.end.push(to);
    this.left.push(-1);
    this.right.push(-1);
    let minLo = Infinity;
    let maxHi = -Infinity;
    let minFrom = Infinity;
    let maxTo = -Infinity;
    for (let i = from; i < to; i++) {
      const b = this.order[i]!;
      if (b.lo < minLo) minLo = b.lo;
      if (b.hi > maxHi) maxHi = b.hi;
      if (b.from < minFrom) minFrom = b.from;
      if (b.to > maxTo) maxTo = b.to;
    }
    this.minLo.push(minLo);
    this.maxHi.push(maxHi);
    this.minFrom.push(minFrom);
    this.maxTo.push(maxTo);
    this.uniform.push(-1);
    if (to - from > LEAF_SIZE) {
      const mid = (from + to) >> 1;
      selectNth(this.order, from, to, mid, depth % 2 === 0 ? (b) => b.lo : (b) => b.from);
      const left = (this.left[node] = this.build(from, mid, depth + 1));
      const right = (this.right[node] = this.build(mid, to, depth + 1));
      if (this.uniform[left] === this.uniform[right]) this.uniform[node] = this.uniform[left]!;
    } else {
      const term = this.order[from]!.term;
      let same = true;
      for (let i = from + 1; i < to && same; i++) same = this.order[i]!.term === term;
      if (same) this.uniform[node] = term;
    }
    return node;
  }

  /**
   * Calls `visit` for every box meeting [lo, hi] × [from, to] until it returns true (stop). Returns
   * whether stopped. With `known`, a subtree whose boxes all belong to one term it accepts is skipped
   * (the caller already has that term: "which terms meet this box?" stops walking the ones it found).
   */
  query(lo: number, hi: number, from: number, to: number, visit: (box: SweepBox) => boolean, known?: (term: number) => boolean): boolean {
    if (this.order.length === 0) return false;
    const stack = [0];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (this.minLo[node]! > hi || this.maxHi[node]! < lo || this.minFrom[node]! > to || this.maxTo[node]! < from) continue;
      const uniform = this.uniform[node]!;
      if (uniform !== -1 && known?.(uniform)) continue;
      if (this.left[node] === -1) {
        for (let i = this.start[node]!; i < this.end[node]!; i++) {
          const b = this.order[i]!;
          if (b.lo <= hi && lo <= b.hi && b.from <= to && from <= b.to && visit(b)) return true;
        }
      } else stack.push(this.right[node]!, this.left[node]!);
    }
    return false;
  }
}

/**
 * Reorders `items[from, to)` so that the item at `nth` is the one a sort by `key` would put there, with
 * no larger key before it and no smaller one after (Hoare's selection: O(n) on average, where a sort
 * at every level of the tree would cost O(n log n)).
 */
function selectNth<T>(items: T[], from: number, to: number, nth: number, key: (item: T) => number): void {
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const pivot = key(items[(lo + hi) >> 1]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key(items[i]!) < pivot) i++;
      while (key(items[j]!) > pivot) j--;
      if (i <= j) {
        const t = items[i]!;
        items[i] = items[j]!;
        items[j] = t;
        i++;
        j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return;
  }
}
