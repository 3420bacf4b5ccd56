import type { Box } from './box.js';

const LEAF = 8;

/** A box of the index, tagged with the position of its rule in the chain. */
export interface IndexedBox extends Box {
  rule: number;
  /** Position in the index's box list, for de-duplicating query answers. */
  id: number;
}

/**
 * A static index of boxes for overlap queries restricted to a range of rule positions. Boxes are
 * sorted by (group, address start, port start) and a balanced tree over that order keeps each
 * subtree's bounds in every dimension (address, port, rule position), so a query visits only
 * subtrees that can hold an overlapping box: output-sensitive on realistic policies.
 */
export class BoxIndex {
  readonly boxes: IndexedBox[];
  private readonly size: number;
  private readonly minALo: bigint[];
  private readonly maxAHi: bigint[];
  private readonly minPLo: Int32Array;
  private readonly maxPHi: Int32Array;
  private readonly minGroup: Int32Array;
  private readonly maxGroup: Int32Array;
  private readonly minRule: Int32Array;
  private readonly maxRule: Int32Array;

  constructor(boxes: IndexedBox[]) {
    this.boxes = [...boxes].sort((a, b) => a.group - b.group || (a.aLo < b.aLo ? -1 : a.aLo > b.aLo ? 1 : 0) || a.pLo - b.pLo);
    const leaves = Math.max(1, Math.ceil(this.boxes.length / LEAF));
    let size = 1;
    while (size < leaves) size *= 2;
    this.size = size;
    const nodes = 2 * size;
    this.minALo = new Array<bigint>(nodes).fill(0n);
    this.maxAHi = new Array<bigint>(nodes).fill(-1n);
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
      for (const child of [l, r]) {
        this.absorb(node, this.minPLo[child]!, this.maxPHi[child]!, this.minGroup[child]!, this.maxGroup[child]!, this.minRule[child]!, this.maxRule[child]!);
      }
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
