import type { ProtocolMatch, ResolvedRule } from '../../model/index.js';

/**
 * Protocol classes of the packet space, per family: tcp and udp (dimension: destination port),
 * icmp on IPv4 and icmpv6 on IPv6 (dimension: type), and every other protocol (one point).
 */
export const PROTOCOL_CLASSES = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;
const TCP = 0;
const UDP = 1;
const ICMP = 2;
const ICMPV6 = 3;
const OTHER = 4;
export const PORT_MAX = 65535;
export const ICMP_TYPE_MAX = 255;
/** Groups are `family * 5 + protocol class`: boxes of different groups never overlap. */
export const GROUPS = 10;

/**
 * The boxes of every rule of a chain, in flat arrays. A box is a group (family and protocol class), an
 * interval of peer addresses and an interval of ports (or ICMP types); a rule matches the union of its
 * boxes. Boxes are numbered in chain order (the boxes of rule `r` are `ruleStart[r]` to
 * `ruleStart[r + 1] - 1`), so ordering box numbers orders their rules too. Addresses (per family) and
 * ports are ranks among the boxes' interval bounds: the mapping keeps the order of every bound, so
 * overlap, containment and subtraction give the same answers, exactly, on small integers.
 */
export interface BoxTable {
  count: number;
  group: Uint8Array;
  aLo: Int32Array;
  aHi: Int32Array;
  pLo: Int32Array;
  pHi: Int32Array;
  rule: Int32Array;
  ruleStart: Int32Array;
  /** How many address ranks there are, per family. */
  addressRanks: [number, number];
  portRanks: number;
}

/** Port (or type) intervals of one protocol match within one family, by protocol class. */
function protocolPieces(match: ProtocolMatch, family: 0 | 1): Array<[number, number, number]> {
  switch (match.protocol) {
    case 'any':
      return [
        [TCP, 0, PORT_MAX],
        [UDP, 0, PORT_MAX],
        [family === 0 ? ICMP : ICMPV6, 0, ICMP_TYPE_MAX],
        [OTHER, 0, 0],
      ];
    case 'tcp':
    case 'udp':
      return match.ports.map((r) => [match.protocol === 'tcp' ? TCP : UDP, r.from, r.to]);
    case 'icmp':
    case 'icmpv6': {
      if ((match.protocol === 'icmp') !== (family === 0)) return [];
      const cls = match.protocol === 'icmp' ? ICMP : ICMPV6;
      if (match.types === 'any') return [[cls, 0, ICMP_TYPE_MAX]];
      const out: Array<[number, number, number]> = [];
      for (const t of match.types) {
        const last = out[out.length - 1];
        if (last && last[2] + 1 === t) last[2] = t;
        else out.push([cls, t, t]);
      }
      return out;
    }
    default: {
      const never: never = match;
      throw new Error(`unexpected protocol match ${JSON.stringify(never)}`);
    }
  }
}

/** Position of `value` in the sorted distinct `values` (which hold it). */
function rankOf<T extends number | bigint>(values: ArrayLike<T>, count: number, value: T): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sorts and removes repeats in place; returns how many distinct values remain. */
function distinct<T extends number | bigint>(values: { [index: number]: T; length: number }): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (count === 0 || values[i] !== values[count - 1]) values[count++] = values[i]!;
  return count;
}

/**
 * The boxes of every rule of a chain, in rank space. IPv4 bounds are exact as doubles; IPv6 bounds stay
 * bigints until ranked.
 */
export function boxTable(rules: ReadonlyArray<Pick<ResolvedRule, 'peers' | 'protocols'>>): BoxTable {
  const groups: number[] = [];
  const ports: number[] = [];
  const boxRule: number[] = [];
  /** Per box, two numbers: its IPv4 bounds (`start`, `end + 1`), or where its IPv6 bounds are in `v6`. */
  const bounds: number[] = [];
  const v6: bigint[] = [];
  const ruleStart = new Int32Array(rules.length + 1);
  rules.forEach((rule, r) => {
    ruleStart[r] = groups.length;
    for (const family of [0, 1] as const) {
      const ranges = family === 0 ? rule.peers.ipv4 : rule.peers.ipv6;
      if (ranges.length === 0) continue;
      for (const match of rule.protocols) {
        for (const [cls, pLo, pHi] of protocolPieces(match, family)) {
          for (const range of ranges) {
            groups.push(family * 5 + cls);
            ports.push(pLo, pHi + 1);
            boxRule.push(r);
            if (family === 0) bounds.push(Number(range.start), Number(range.end) + 1);
            else {
              bounds.push(v6.length, v6.length + 1);
              v6.push(range.start, range.end + 1n);
            }
          }
        }
      }
    }
  });
  const count = groups.length;
  ruleStart[rules.length] = count;

  const v4Sorted = new Float64Array(count * 2);
  let v4Count = 0;
  for (let b = 0; b < count; b++) {
    if (groups[b]! >= 5) continue;
    v4Sorted[v4Count++] = bounds[2 * b]!;
    v4Sorted[v4Count++] = bounds[2 * b + 1]!;
  }
  const v4Distinct = v4Sorted.subarray(0, v4Count).sort();
  const v4Ranks = distinct(v4Distinct);
  const v6Distinct = [...v6].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const v6Ranks = distinct(v6Distinct);

  const portRank = new Int32Array(PORT_MAX + 2).fill(-1);
  for (const p of ports) portRank[p] = 0;
  let portRanks = 0;
  for (let p = 0; p < portRank.length; p++) if (portRank[p] === 0) portRank[p] = portRanks++;

  const table: BoxTable = {
    count,
    group: Uint8Array.from(groups),
    aLo: new Int32Array(count),
    aHi: new Int32Array(count),
    pLo: new Int32Array(count),
    pHi: new Int32Array(count),
    rule: Int32Array.from(boxRule),
    ruleStart,
    addressRanks: [v4Ranks, v6Ranks],
    portRanks,
  };
  for (let b = 0; b < count; b++) {
    if (groups[b]! < 5) {
      table.aLo[b] = rankOf(v4Distinct, v4Ranks, bounds[2 * b]!);
      table.aHi[b] = rankOf(v4Distinct, v4Ranks, bounds[2 * b + 1]!) - 1;
    } else {
      table.aLo[b] = rankOf(v6Distinct, v6Ranks, v6[bounds[2 * b]!]!);
      table.aHi[b] = rankOf(v6Distinct, v6Ranks, v6[bounds[2 * b + 1]!]!) - 1;
    }
    table.pLo[b] = portRank[ports[2 * b]!]!;
    table.pHi[b] = portRank[ports[2 * b + 1]!]! - 1;
  }
  return table;
}

/** A growable list of disjoint boxes (what is left of a rule after subtracting others). */
export class Pieces {
  length = 0;
  group = new Int32Array(16);
  aLo = new Int32Array(16);
  aHi = new Int32Array(16);
  pLo = new Int32Array(16);
  pHi = new Int32Array(16);

  push(group: number, aLo: number, aHi: number, pLo: number, pHi: number): void {
    if (this.length === this.group.length) this.grow();
    const i = this.length++;
    this.group[i] = group;
    this.aLo[i] = aLo;
    this.aHi[i] = aHi;
    this.pLo[i] = pLo;
    this.pHi[i] = pHi;
  }

  /** Replaces the list by boxes `from` to `to - 1` of `table`. */
  setBoxes(table: BoxTable, from: number, to: number): void {
    this.length = 0;
    for (let b = from; b < to; b++) this.push(table.group[b]!, table.aLo[b]!, table.aHi[b]!, table.pLo[b]!, table.pHi[b]!);
  }

  private grow(): void {
    const size = this.group.length * 2;
    const grown = (old: Int32Array) => {
      const copy = new Int32Array(size);
      copy.set(old);
      return copy;
    };
    this.group = grown(this.group);
    this.aLo = grown(this.aLo);
    this.aHi = grown(this.aHi);
    this.pLo = grown(this.pLo);
    this.pHi = grown(this.pHi);
  }
}

/**
 * Writes `from` minus box `cut` of `table` to `to` (each piece as at most four disjoint boxes, in
 * order); returns whether any piece overlapped the cut.
 */
export function subtractBox(from: Pieces, table: BoxTable, cut: number, to: Pieces): boolean {
  const group = table.group[cut]!;
  const cALo = table.aLo[cut]!;
  const cAHi = table.aHi[cut]!;
  const cPLo = table.pLo[cut]!;
  const cPHi = table.pHi[cut]!;
  let hit = false;
  to.length = 0;
  for (let i = 0; i < from.length; i++) {
    const g = from.group[i]!;
    const aLo = from.aLo[i]!;
    const aHi = from.aHi[i]!;
    const pLo = from.pLo[i]!;
    const pHi = from.pHi[i]!;
    if (g !== group || aLo > cAHi || cALo > aHi || pLo > cPHi || cPLo > pHi) {
      to.push(g, aLo, aHi, pLo, pHi);
      continue;
    }
    hit = true;
    if (aLo < cALo) to.push(g, aLo, cALo - 1, pLo, pHi);
    if (aHi > cAHi) to.push(g, cAHi + 1, aHi, pLo, pHi);
    const midLo = aLo > cALo ? aLo : cALo;
    const midHi = aHi < cAHi ? aHi : cAHi;
    if (pLo < cPLo) to.push(g, midLo, midHi, pLo, cPLo - 1);
    if (pHi > cPHi) to.push(g, midLo, midHi, cPHi + 1, pHi);
  }
  return hit;
}
