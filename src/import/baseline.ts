/**
 * Choosing `defaults.yaml`'s baseline from the source: `established`, `loopback` and `icmp` are set so
 * that benteng's baseline decides what the source's own early rules decided, and every packet the
 * baseline would decide differently is named as a region with the source rules responsible, so the
 * report can say so and the equivalence check can tell an explained difference from a bug.
 */
import { ESSENTIAL_ICMP_TYPES } from '../model/baseline.js';
import type { BaselineSettings } from '../model/index.js';
import type { FlatList, FlatRule } from './flatten.js';
import type { ImportFamily } from './ruleset.js';
import type { AddressRange } from '../net/address.js';
import { normalizeRanges } from '../net/address-set.js';
import { type Box, fullBox, intersectBox, LOOPBACK, NOT_LOOPBACK, protocolsFull, REPLY_STATES, ALL_STATES, subtractAll, sameRanges, PORTS_FULL, TYPES_FULL, stateMask } from './space.js';

export type ImportBaseline = Pick<BaselineSettings, 'established' | 'loopback' | 'icmp'>;

/** Packets of `region` the flat list does not accept, with the rule that refuses each part. */
export function refusedIn(list: FlatList, region: Box): Array<{ boxes: Box[]; rule: FlatRule }> {
  let remaining = [region];
  const refused: Array<{ boxes: Box[]; rule: FlatRule }> = [];
  for (const rule of list.rules) {
    if (remaining.length === 0) break;
    const overlap = remaining.flatMap((r) => rule.boxes.map((b) => intersectBox(r, b)).filter((b): b is Box => b !== undefined));
    if (overlap.length === 0) continue;
    if (rule.verdict !== 'accept') refused.push({ boxes: overlap, rule });
    remaining = subtractAll(remaining, rule.boxes);
  }
  return refused;
}

function everythingBut(box: Box, keep: (b: Box) => boolean): boolean {
  return keep(box) && sameRanges(box.protocols.tcp, PORTS_FULL) && sameRanges(box.protocols.udp, PORTS_FULL) && sameRanges(box.protocols.icmp, TYPES_FULL) && box.protocols.other;
}

/** An accept rule matching every packet of the given states and interfaces (`-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`). */
function hasAcceptAll(list: FlatList, states: number, interfaces: number): boolean {
  return list.reached.some(
    ({ rule, box }) => rule.verdict.kind === 'accept' && everythingBut(box, (b) => (b.states & states) === states && (b.interfaces & interfaces) === interfaces && isFullPeer(b) && protocolsFull(b.protocols)),
  );
}

const isFullPeer = (b: Box): boolean => b.peer.length === 1 && b.peer[0]!.start === fullBox(b.family).peer[0]!.start && b.peer[0]!.end === fullBox(b.family).peer[0]!.end;

export interface BaselineDifference {
  family: ImportFamily;
  hook: 'input' | 'output';
  /** What benteng's baseline accepts that the source refused. */
  boxes: Box[];
  rule: FlatRule;
  what: string;
}

/**
 * Picks the baseline: `established` and `loopback` when every family's input hook has the explicit
 * accept rule for them; `icmp: essential` when the source accepts every essential type as a new
 * packet from every peer in both hooks. Returns the differences the choice leaves.
 */
/** Addresses a loopback packet can carry as its peer: the loopback block and the host's own addresses. */
function loopbackPeers(family: ImportFamily, own: bigint[]): AddressRange[] {
  const block = family === 'ipv4' ? { start: 0x7f000000n, end: 0x7fffffffn } : { start: 1n, end: 1n };
  return normalizeRanges([block, ...own.map((a) => ({ start: a, end: a }))]);
}

export function chooseBaseline(lists: FlatList[], own: Record<ImportFamily, bigint[]> = { ipv4: [], ipv6: [] }): { baseline: ImportBaseline; differences: BaselineDifference[] } {
  const inputs = lists.filter((l) => l.hook === 'input' && l.bases.length > 0);
  const established = inputs.length > 0 && inputs.every((l) => hasAcceptAll(l, REPLY_STATES, NOT_LOOPBACK));
  const loopback = inputs.length > 0 && inputs.every((l) => hasAcceptAll(l, ALL_STATES, LOOPBACK));
  const differences: BaselineDifference[] = [];
  const afterLoopback = loopback ? NOT_LOOPBACK : 3;
  const newStates = established ? stateMask(['new']) : ALL_STATES;
  let essential = true;
  for (const list of lists) {
    if (list.bases.length === 0) continue;
    const protocol = list.family === 'ipv4' ? 'icmp' : 'icmpv6';
    for (const type of ESSENTIAL_ICMP_TYPES[protocol]) {
      const region: Box = { ...fullBox(list.family), protocols: { tcp: [], udp: [], icmp: [[type, type]], other: false }, states: newStates, interfaces: afterLoopback };
      if (refusedIn(list, region).length > 0) essential = false;
    }
  }
  for (const list of lists) {
    if (list.bases.length === 0) continue;
    if (loopback) {
      for (const r of refusedIn(list, { ...fullBox(list.family), peer: loopbackPeers(list.family, own[list.family]), interfaces: LOOPBACK })) differences.push({ family: list.family, hook: list.hook, boxes: r.boxes, rule: r.rule, what: 'loopback traffic' });
    }
    if (established) {
      for (const r of refusedIn(list, { ...fullBox(list.family), states: REPLY_STATES, interfaces: afterLoopback })) differences.push({ family: list.family, hook: list.hook, boxes: r.boxes, rule: r.rule, what: 'packets of established and related connections' });
    }
    if (!essential && list.family === 'ipv6') {
      for (const type of [133, 134, 135, 136]) {
        const region: Box = { ...fullBox('ipv6'), protocols: { tcp: [], udp: [], icmp: [[type, type]], other: false }, states: newStates, interfaces: afterLoopback };
        for (const r of refusedIn(list, region)) differences.push({ family: 'ipv6', hook: list.hook, boxes: r.boxes, rule: r.rule, what: 'ICMPv6 neighbour and router discovery (benteng always accepts it)' });
      }
    }
  }
  return { baseline: { established, loopback, icmp: essential ? 'essential' : 'none' }, differences };
}
