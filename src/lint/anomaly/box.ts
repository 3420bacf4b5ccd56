import type { ProtocolMatch, ResolvedRule } from '../../model/index.js';
import type { AddressRange } from '../../net/address.js';

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

/**
 * One box of the packet space: a family and protocol class (together `group`), an interval of peer
 * addresses and an interval of ports (or ICMP types). A rule matches the union of its boxes.
 * Addresses and ports are ranks (see `compressBoxes`), so every comparison is on small integers.
 */
export interface Box {
  /** `family * 5 + protocol class`: boxes of different groups never overlap. */
  group: number;
  aLo: number;
  aHi: number;
  pLo: number;
  pHi: number;
}

/** A box with real addresses and ports, before `compressBoxes`. */
export interface RawBox {
  group: number;
  aLo: bigint;
  aHi: bigint;
  pLo: number;
  pHi: number;
}

function compareBigints(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted distinct values and a lookup of a value's position among them. */
function ranking<T extends number | bigint>(values: T[]): { count: number; rank: (value: T) => number } {
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const distinct = values.filter((v, i) => i === 0 || v !== values[i - 1]);
  return {
    count: distinct.length,
    rank: (value) => {
      let lo = 0;
      let hi = distinct.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (distinct[mid]! < value) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}

/** Boxes in rank space, and how many address (per family) and port ranks there are. */
export interface CompressedBoxes {
  boxes: Box[][];
  addressRanks: [number, number];
  portRanks: number;
}

/**
 * Replaces addresses (per family) and ports by their ranks among the boxes' interval bounds. The
 * mapping keeps the order of every bound, so overlap, containment and subtraction give the same
 * answers, exactly; and a box's share of the ranks estimates how many boxes it overlaps.
 */
export function compressBoxes(raw: readonly RawBox[][]): CompressedBoxes {
  const addresses: [bigint[], bigint[]] = [[], []];
  const ports: number[] = [];
  for (const boxes of raw) {
    for (const b of boxes) {
      addresses[b.group < 5 ? 0 : 1].push(b.aLo, b.aHi + 1n);
      ports.push(b.pLo, b.pHi + 1);
    }
  }
  const byFamily = [ranking(addresses[0]), ranking(addresses[1])] as const;
  const port = ranking(ports);
  const boxes = raw.map((list) =>
    list.map((b) => {
      const a = byFamily[b.group < 5 ? 0 : 1];
      return { group: b.group, aLo: a.rank(b.aLo), aHi: a.rank(b.aHi + 1n) - 1, pLo: port.rank(b.pLo), pHi: port.rank(b.pHi + 1) - 1 };
    }),
  );
  return { boxes, addressRanks: [byFamily[0].count, byFamily[1].count], portRanks: port.count };
}

export function overlaps(a: Box, b: Box): boolean {
  return a.group === b.group && a.aLo <= b.aHi && b.aLo <= a.aHi && a.pLo <= b.pHi && b.pLo <= a.pHi;
}

/** `piece` minus `cut`, as at most four disjoint boxes appended to `out`. */
export function subtractBox(piece: Box, cut: Box, out: Box[]): void {
  if (!overlaps(piece, cut)) {
    out.push(piece);
    return;
  }
  const { group } = piece;
  if (piece.aLo < cut.aLo) out.push({ group, aLo: piece.aLo, aHi: cut.aLo - 1, pLo: piece.pLo, pHi: piece.pHi });
  if (piece.aHi > cut.aHi) out.push({ group, aLo: cut.aHi + 1, aHi: piece.aHi, pLo: piece.pLo, pHi: piece.pHi });
  const aLo = Math.max(piece.aLo, cut.aLo);
  const aHi = Math.min(piece.aHi, cut.aHi);
  if (piece.pLo < cut.pLo) out.push({ group, aLo, aHi, pLo: piece.pLo, pHi: cut.pLo - 1 });
  if (piece.pHi > cut.pHi) out.push({ group, aLo, aHi, pLo: cut.pHi + 1, pHi: piece.pHi });
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

/** The boxes a resolved rule matches; empty when it matches no packet. */
export function ruleBoxes(rule: Pick<ResolvedRule, 'peers' | 'protocols'>): RawBox[] {
  const boxes: RawBox[] = [];
  const families: Array<[0 | 1, AddressRange[]]> = [
    [0, rule.peers.ipv4],
    [1, rule.peers.ipv6],
  ];
  for (const [family, ranges] of families) {
    if (ranges.length === 0) continue;
    for (const match of rule.protocols) {
      for (const [cls, pLo, pHi] of protocolPieces(match, family)) {
        for (const r of ranges) boxes.push({ group: family * 5 + cls, aLo: r.start, aHi: r.end, pLo, pHi });
      }
    }
  }
  return boxes;
}
