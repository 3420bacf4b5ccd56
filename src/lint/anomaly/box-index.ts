import type { Box } from './box.js';

const LEAF = 8;

/** A box of the index, tagged with the position of its rule in the chain. */
export interface IndexedBox extends Box {
  rule: number;
  /** Position in the index's box list, for de-duplicating query answers. */
  id: number;
}

const ADDRESS_ORDER = (a: IndexedBox, b: IndexedBox): number => a.group - b.group || a.aLo - b.aLo || a.pLo - b.pLo;
const PORT_ORDER = (a: IndexedBox, b: IndexedBox): number => a.group - b.group || a.pLo - b.pLo || a.aLo - b.aLo;

/** Which dimension the index sorts by first (after the group): its subtrees are tight in that one. */
export type IndexOrder = 'address' | 'port';

/**
 * A static index of boxes for overlap queries restricted to a range of rule positions. Boxes are
 * sorted by group, then by address or port start (`order`), and a balanced tree over that order keeps
 * each subtree's bounds in every dimension (address, port, rule position), so a query visits only
 * subtrees that can hold an overlapping box. Query a wide-address box (`any`) in a port-ordered index
 * and a wide-port box in an address-ordered one, and a query stays output-sensitive on realistic policies.
 */
export class BoxIndex {
  readonly boxes: IndexedBox[];
  private readonly size: number;
  private readonly minALo: Float64Array;
  private readonly maxAHi: Float64Array;
  private readonly minPLo: Int32Array;
  private readonly maxPHi: Int32Array;
  private readonly minGroup: Int32Array;
  private readonly maxGroup: Int32Array;
  private readonly minRule: Int32Array;
  private readonly maxRule: Int32Array;

  constructor(boxes: IndexedBox[], order: IndexOrder = 'address') {
    this.boxes = [...boxes].sort(order === 'address' ? ADDRESS_ORDER : PORT_ORDER);
    const leaves = Math.max(1, Math.ceil(this.boxes.length / LEAF));
    let size = 1;
    while (size < leaves) size *= 2;
    this.size = size;
    const nodes = 2 * size;
    this.minALo = new Float64Array(nodes).fill(0);
    this.maxAHi = new Float64Array(nodes).fill(-1);
    this.minPLo = new Int32Array(nodes).fill(0x7fffffff);
    this.maxPHi = new Int32Array(nodes).fill(-1);
    this.minGroup = new Int32Array(nodes).fill(0x7fffffff);
    this.maxGroup = new Int32Array(nodes).fill(-1);
    this.minRule = new Int32Array(nodes).fill(0x7fffffff);
    this.maxRule = new Int32Array(nodes).fill(-1);
    for (let leaf = 0; leaf < leaves; leaf++) {
      const node = size + leaf;
      let first = true;
      for (let i = leaf * LEAF; i < Math.min(this.boxes.length, (leaf + 1) * LEAF); i++) {
        const b = this.boxes[i]!;
        if (first || b.aLo < this.minALo[node]!) this.minALo[node] = b.aLo;
        if (first || b.aHi > this.maxAHi[node]!) this.maxAHi[node] = b.aHi;
        first = false;
        this.absorb(node, b.pLo, b.pHi, b.group, b.group, b.rule, b.rule);
      }
    }
    for (let node = size - 1; node >= 1; node--) {
      const l = 2 * node;
      const r = l + 1;
      const lEmpty = this.maxRule[l]! < 0;
      const rEmpty = this.maxRule[r]! < 0;
      if (lEmpty && rEmpty) continue;
      const from = lEmpty ? r : l;
      this.minALo[node] = this.minALo[from]!;
      this.maxAHi[node] = this.maxAHi[from]!;
      if (!lEmpty && !rEmpty) {
        if (this.minALo[r]! < this.minALo[node]!) this.minALo[node] = this.minALo[r]!;
        if (this.maxAHi[r]! > this.maxAHi[node]!) this.maxAHi[node] = this.maxAHi[r]!;
      }
      this.absorb(node, this.minPLo[l]!, this.maxPHi[l]!, this.minGroup[l]!, this.maxGroup[l]!, this.minRule[l]!, this.maxRule[l]!);
      this.absorb(node, this.minPLo[r]!, this.maxPHi[r]!, this.minGroup[r]!, this.maxGroup[r]!, this.minRule[r]!, this.maxRule[r]!);
    }
  }

  private absorb(node: number, pLo: number, pHi: number, gLo: number, gHi: number, rLo: number, rHi: number): void {
    if (pLo < this.minPLo[node]!) this.minPLo[node] = pLo;
    if (pHi > this.maxPHi[node]!) this.maxPHi[node] = pHi;
    if (gLo < this.minGroup[node]!) this.minGroup[node] = gLo;
    if (gHi > this.maxGroup[node]!) this.maxGroup[node] = gHi;
    if (rLo < this.minRule[node]!) this.minRule[node] = rLo;
    if (rHi > this.maxRule[node]!) this.maxRule[node] = rHi;
  }

  /** Calls `visit` for every box overlapping `query` whose rule position lies in [ruleFrom, ruleTo]. */
  query(query: Box, ruleFrom: number, ruleTo: number, visit: (box: IndexedBox) => void): void {
    const stack = [1];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (this.maxRule[node]! < ruleFrom || this.minRule[node]! > ruleTo) continue;
      if (this.maxGroup[node]! < query.group || this.minGroup[node]! > query.group) continue;
      if (this.maxPHi[node]! < query.pLo || this.minPLo[node]! > query.pHi) continue;
      if (this.maxAHi[node]! < query.aLo || this.minALo[node]! > query.aHi) continue;
      if (node >= this.size) {
        const leaf = node - this.size;
        for (let i = leaf * LEAF; i < Math.min(this.boxes.length, (leaf + 1) * LEAF); i++) {
          const b = this.boxes[i]!;
          if (b.rule < ruleFrom || b.rule > ruleTo || b.group !== query.group) continue;
          if (b.aLo <= query.aHi && query.aLo <= b.aHi && b.pLo <= query.pHi && query.pLo <= b.pHi) visit(b);
        }
      } else {
        stack.push(2 * node + 1, 2 * node);
      }
    }
  }
}
