import { type BoxTable, GROUPS } from './box.js';

const LEAF = 8;
const NO_NODE = -1;

/**
 * A static index of a chain's boxes for overlap queries: per group, a k-d tree over the boxes as points
 * (address start, address end, port start, port end). Box B overlaps query Q exactly when
 * B.aLo ≤ Q.aHi, B.aHi ≥ Q.aLo, B.pLo ≤ Q.pHi and B.pHi ≥ Q.pLo: a range query in that 4-d space. Each
 * node splits its boxes at the median of the coordinate with the widest spread (relative to its rank
 * count), and keeps the bounds its subtree can answer, so a query visits only subtrees that can hold
 * an overlapping box. Splitting on ends as well as starts keeps wide boxes (any address, all ports) in
 * subtrees of their own, so narrow queries skip them and wide queries stay output-sensitive.
 *
 * Everything is in flat typed arrays; a query appends box numbers to `found`.
 */
export class BoxIndex {
  /** Box numbers in tree order; a node holds the run `first[node]` to `last[node] - 1`. */
  private readonly order: Int32Array;
  /** The boxes' coordinates in tree order, so that a leaf reads contiguous memory. */
  private readonly aLo: Int32Array;
  private readonly aHi: Int32Array;
  private readonly pLo: Int32Array;
  private readonly pHi: Int32Array;
  private readonly first: Int32Array;
  private readonly last: Int32Array;
  /** The right child (the left one is the next node), or `NO_NODE` for a leaf. */
  private readonly right: Int32Array;
  private readonly minALo: Int32Array;
  private readonly maxAHi: Int32Array;
  private readonly minPLo: Int32Array;
  private readonly maxPHi: Int32Array;
  private readonly roots = new Int32Array(GROUPS).fill(NO_NODE);
  private nodes = 0;
  private stack: Int32Array = new Int32Array(64);
  /** Answers of the queries since the last `clear`. */
  found: Int32Array = new Int32Array(64);
  foundCount = 0;

  constructor(private readonly table: BoxTable) {
    const { count } = table;
    this.order = new Int32Array(count);
    const groupStart = new Int32Array(GROUPS + 1);
    for (let b = 0; b < count; b++) groupStart[table.group[b]! + 1]!++;
    for (let g = 0; g < GROUPS; g++) groupStart[g + 1]! += groupStart[g]!;
    const next = groupStart.slice(0, GROUPS);
    for (let b = 0; b < count; b++) this.order[next[table.group[b]!]!++] = b;
    const capacity = 4 * Math.ceil(count / LEAF) + 2 * GROUPS;
    this.first = new Int32Array(capacity);
    this.last = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.minALo = new Int32Array(capacity);
    this.maxAHi = new Int32Array(capacity);
    this.minPLo = new Int32Array(capacity);
    this.maxPHi = new Int32Array(capacity);
    const keys = [table.aLo, table.aHi, table.pLo, table.pHi] as const;
    for (let g = 0; g < GROUPS; g++) {
      if (groupStart[g] === groupStart[g + 1]) continue;
      const addressRanks = Math.max(1, table.addressRanks[g < 5 ? 0 : 1]);
      const scale = [addressRanks, addressRanks, Math.max(1, table.portRanks), Math.max(1, table.portRanks)] as const;
      this.roots[g] = this.build(groupStart[g]!, groupStart[g + 1]!, keys, scale);
    }
    this.aLo = new Int32Array(count);
    this.aHi = new Int32Array(count);
    this.pLo = new Int32Array(count);
    this.pHi = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const b = this.order[i]!;
      this.aLo[i] = table.aLo[b]!;
      this.aHi[i] = table.aHi[b]!;
      this.pLo[i] = table.pLo[b]!;
      this.pHi[i] = table.pHi[b]!;
    }
  }

  private build(from: number, to: number, keys: readonly [Int32Array, Int32Array, Int32Array, Int32Array], scale: readonly [number, number, number, number]): number {
    const node = this.nodes++;
    this.first[node] = from;
    this.last[node] = to;
    const min = [0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff];
    const max = [-1, -1, -1, -1];
    for (let i = from; i < to; i++) {
      const b = this.order[i]!;
      for (let k = 0; k < 4; k++) {
        const v = keys[k]![b]!;
        if (v < min[k]!) min[k] = v;
        if (v > max[k]!) max[k] = v;
      }
    }
    this.minALo[node] = min[0]!;
    this.maxAHi[node] = max[1]!;
    this.minPLo[node] = min[2]!;
    this.maxPHi[node] = max[3]!;
    let axis = -1;
    let widest = 0;
    for (let k = 0; k < 4; k++) {
      const spread = (max[k]! - min[k]!) / scale[k]!;
      if (spread > widest) {
        widest = spread;
        axis = k;
      }
    }
    if (to - from <= LEAF || axis < 0) {
      // A leaf, or boxes that are all the same: their run stays one leaf however long.
      this.right[node] = NO_NODE;
      return node;
    }
    const mid = (from + to) >> 1;
    this.select(from, to, mid, keys[axis]!);
    this.build(from, mid, keys, scale);
    this.right[node] = this.build(mid, to, keys, scale);
    return node;
  }

  /** Reorders `order[from..to)` so that position `nth` holds its median by `key`, smaller keys before. */
  private select(from: number, to: number, nth: number, key: Int32Array): void {
    const order = this.order;
    let lo = from;
    let hi = to - 1;
    while (lo < hi) {
      const pivot = key[order[(lo + hi) >> 1]!]!;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (key[order[i]!]! < pivot) i++;
        while (key[order[j]!]! > pivot) j--;
        if (i <= j) {
          const t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
          i++;
          j--;
        }
      }
      if (nth <= j) hi = j;
      else if (nth >= i) lo = i;
      else return;
    }
  }

  clear(): void {
    this.foundCount = 0;
  }

  /** Appends to `found` every box overlapping box `query` of the table (the query itself included). */
  query(query: number): void {
    const t = this.table;
    let node = this.roots[t.group[query]!]!;
    if (node === NO_NODE) return;
    const qALo = t.aLo[query]!;
    const qAHi = t.aHi[query]!;
    const qPLo = t.pLo[query]!;
    const qPHi = t.pHi[query]!;
    let depth = 0;
    for (;;) {
      if (this.minALo[node]! <= qAHi && this.maxAHi[node]! >= qALo && this.minPLo[node]! <= qPHi && this.maxPHi[node]! >= qPLo) {
        const right = this.right[node]!;
        if (right !== NO_NODE) {
          if (depth === this.stack.length) this.stack = growInt32(this.stack, depth * 2);
          this.stack[depth++] = right;
          node = node + 1;
          continue;
        }
        for (let i = this.first[node]!, end = this.last[node]!; i < end; i++) {
          if (this.aLo[i]! <= qAHi && this.aHi[i]! >= qALo && this.pLo[i]! <= qPHi && this.pHi[i]! >= qPLo) {
            if (this.foundCount === this.found.length) this.found = growInt32(this.found, this.foundCount * 2);
            this.found[this.foundCount++] = this.order[i]!;
          }
        }
      }
      if (depth === 0) return;
      node = this.stack[--depth]!;
    }
  }
}

function growInt32(old: Int32Array, size: number): Int32Array {
  const copy = new Int32Array(size);
  copy.set(old);
  return copy;
}
