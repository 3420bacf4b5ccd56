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
 */
export interface Box {
  /** `family * 5 + protocol class`: boxes of different groups never overlap. */
  group: number;
  aLo: bigint;
  aHi: bigint;
  pLo: number;
  pHi: number;
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
  if (piece.aLo < cut.aLo) out.push({ group, aLo: piece.aLo, aHi: cut.aLo - 1n, pLo: piece.pLo, pHi: piece.pHi });
  if (piece.aHi > cut.aHi) out.push({ group, aLo: cut.aHi + 1n, aHi: piece.aHi, pLo: piece.pLo, pHi: piece.pHi });
  const aLo = piece.aLo > cut.aLo ? piece.aLo : cut.aLo;
  const aHi = piece.aHi < cut.aHi ? piece.aHi : cut.aHi;
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
export function ruleBoxes(rule: Pick<ResolvedRule, 'peers' | 'protocols'>): Box[] {
  const boxes: Box[] = [];
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
