/**
 * The packet space the importer reasons in: boxes over the dimensions a benteng policy can express
 * (peer address, protocol with ports or ICMP types, conntrack state, loopback), for one family and
 * one direction. Matches of a chain of jumps are intersected; a conditional `RETURN` or `-g` is
 * subtracted from the rules after it, which splits a box into at most one piece per dimension.
 * Every set here is exact: nothing is approximated in this module.
 */
import type { AddressRange } from '../net/address.js';
import { fullRange, normalizeRanges, subtractRanges } from '../net/address-set.js';
import type { ConntrackStateName, ImportFamily } from './ruleset.js';

/** Inclusive integer ranges, sorted, disjoint and not adjacent. */
export type Ranges = Array<[number, number]>;

export const PORTS_FULL: Ranges = [[0, 65535]];
export const TYPES_FULL: Ranges = [[0, 255]];

export function normalize(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Ranges = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

export function intersectRanges(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = [];
  for (const [af, at] of a) for (const [bf, bt] of b) if (Math.max(af, bf) <= Math.min(at, bt)) out.push([Math.max(af, bf), Math.min(at, bt)]);
  return normalize(out);
}

export function subtractNumberRanges(a: Ranges, b: Ranges): Ranges {
  let out = a;
  for (const [bf, bt] of b) {
    const next: Ranges = [];
    for (const [af, at] of out) {
      if (bt < af || bf > at) next.push([af, at]);
      else {
        if (af < bf) next.push([af, bf - 1]);
        if (bt < at) next.push([bt + 1, at]);
      }
    }
    out = next;
  }
  return normalize(out);
}

export function sameRanges(a: Ranges, b: Ranges): boolean {
  return a.length === b.length && a.every((r, i) => r[0] === b[i]![0] && r[1] === b[i]![1]);
}

export function inRanges(ranges: Ranges, value: number): boolean {
  return ranges.some(([from, to]) => value >= from && value <= to);
}

/**
 * Protocols: tcp and udp by destination port, `icmp` by type (ICMP in an IPv4 box, ICMPv6 in an IPv6
 * box), `other` for every other protocol (all or nothing: benteng names no other protocol).
 */
export interface ProtocolSpace {
  tcp: Ranges;
  udp: Ranges;
  icmp: Ranges;
  other: boolean;
}

export const STATES: readonly ConntrackStateName[] = ['new', 'established', 'related', 'invalid', 'untracked'];
export const ALL_STATES = 0b11111;
export const NEW_STATES = stateMask(['new', 'untracked']);
export const REPLY_STATES = stateMask(['established', 'related']);

export function stateMask(names: readonly ConntrackStateName[]): number {
  return names.reduce((mask, name) => mask | (1 << STATES.indexOf(name)), 0);
}

/** Loopback dimension: bit 1 = on the loopback interface, bit 2 = any other interface. */
export const LOOPBACK = 1;
export const NOT_LOOPBACK = 2;
export const ANY_INTERFACE = 3;

export interface Box {
  family: ImportFamily;
  /** The remote side: the source of an input packet, the destination of an output packet. */
  peer: AddressRange[];
  protocols: ProtocolSpace;
  states: number;
  interfaces: number;
}

export function fullProtocols(): ProtocolSpace {
  return { tcp: [...PORTS_FULL.map((r) => [...r] as [number, number])], udp: [[0, 65535]], icmp: [[0, 255]], other: true };
}

export function fullBox(family: ImportFamily): Box {
  return { family, peer: [fullRange(family)], protocols: fullProtocols(), states: ALL_STATES, interfaces: ANY_INTERFACE };
}

export function protocolsEmpty(p: ProtocolSpace): boolean {
  return p.tcp.length === 0 && p.udp.length === 0 && p.icmp.length === 0 && !p.other;
}

export function protocolsFull(p: ProtocolSpace): boolean {
  return sameRanges(p.tcp, PORTS_FULL) && sameRanges(p.udp, PORTS_FULL) && sameRanges(p.icmp, TYPES_FULL) && p.other;
}

function intersectProtocols(a: ProtocolSpace, b: ProtocolSpace): ProtocolSpace {
  return { tcp: intersectRanges(a.tcp, b.tcp), udp: intersectRanges(a.udp, b.udp), icmp: intersectRanges(a.icmp, b.icmp), other: a.other && b.other };
}

function subtractProtocols(a: ProtocolSpace, b: ProtocolSpace): ProtocolSpace {
  return { tcp: subtractNumberRanges(a.tcp, b.tcp), udp: subtractNumberRanges(a.udp, b.udp), icmp: subtractNumberRanges(a.icmp, b.icmp), other: a.other && !b.other };
}

function intersectAddresses(a: AddressRange[], b: AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (const x of a) for (const y of b) if ((x.start > y.start ? x.start : y.start) <= (x.end < y.end ? x.end : y.end)) out.push({ start: x.start > y.start ? x.start : y.start, end: x.end < y.end ? x.end : y.end });
  return normalizeRanges(out);
}

export function isEmptyBox(box: Box): boolean {
  return box.peer.length === 0 || protocolsEmpty(box.protocols) || box.states === 0 || box.interfaces === 0;
}

/** The packets in both boxes, or undefined when none. */
export function intersectBox(a: Box, b: Box): Box | undefined {
  const box: Box = {
    family: a.family,
    peer: intersectAddresses(a.peer, b.peer),
    protocols: intersectProtocols(a.protocols, b.protocols),
    states: a.states & b.states,
    interfaces: a.interfaces & b.interfaces,
  };
  return isEmptyBox(box) ? undefined : box;
}

/** The packets of `a` not in `b`, as disjoint boxes (at most one per dimension). */
export function subtractBox(a: Box, b: Box): Box[] {
  if (!intersectBox(a, b)) return [a];
  const out: Box[] = [];
  let rest: Box = a;
  const peerOut = subtractRanges(rest.peer, b.peer);
  if (peerOut.length > 0) out.push({ ...rest, peer: peerOut });
  rest = { ...rest, peer: intersectAddresses(rest.peer, b.peer) };
  const protocolsOut = subtractProtocols(rest.protocols, b.protocols);
  if (!protocolsEmpty(protocolsOut)) out.push({ ...rest, protocols: protocolsOut });
  rest = { ...rest, protocols: intersectProtocols(rest.protocols, b.protocols) };
  if (rest.states & ~b.states) out.push({ ...rest, states: rest.states & ~b.states });
  rest = { ...rest, states: rest.states & b.states };
  if (rest.interfaces & ~b.interfaces) out.push({ ...rest, interfaces: rest.interfaces & ~b.interfaces });
  return out;
}

/** `boxes` minus every box of `remove`. */
export function subtractAll(boxes: Box[], remove: readonly Box[]): Box[] {
  let out = boxes;
  for (const r of remove) out = out.flatMap((b) => subtractBox(b, r));
  return out;
}

/** A concrete packet as the importer's evaluators see it (one family, one direction). */
export interface SpacePacket {
  peer: bigint;
  protocol: 'tcp' | 'udp' | 'icmp' | 'other';
  port?: number;
  icmpType?: number;
  state: ConntrackStateName;
  loopback: boolean;
}

export function boxContains(box: Box, packet: SpacePacket): boolean {
  if (!box.peer.some((r) => packet.peer >= r.start && packet.peer <= r.end)) return false;
  if (!(box.states & stateMask([packet.state]))) return false;
  if (!(box.interfaces & (packet.loopback ? LOOPBACK : NOT_LOOPBACK))) return false;
  switch (packet.protocol) {
    case 'tcp':
    case 'udp':
      return packet.port !== undefined && inRanges(box.protocols[packet.protocol], packet.port);
    case 'icmp':
      return packet.icmpType !== undefined && inRanges(box.protocols.icmp, packet.icmpType);
    case 'other':
      return box.protocols.other;
  }
}
