/**
 * The reference evaluator: what the policy says one packet meets on one host, decided from the model
 * alone, in the order the emitted rulesets decide it (nftables and iptables outputs follow this
 * order): blocklists (`benteng block`'s, then `blocklist.yaml`'s), loopback, conntrack state, essential
 * ICMP, the rules (first match wins), default drop.
 * It is the oracle of the kernel tests and of the access model's tests (src/access answers `query`).
 */
import type { AddressSet, BaselineSettings, BlocklistEntry, Family, HostModel, ProtocolMatch, ResolvedRule, Verdict } from '../model/index.js';
import { parseAddress } from '../net/address.js';
import { containsAddress } from '../net/address-set.js';
import { baselineIcmpTypes } from '../model/baseline.js';

export { baselineIcmpTypes, ESSENTIAL_ICMP_TYPES } from '../model/baseline.js';

export type PacketProtocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';
export type ConntrackState = 'new' | 'established' | 'related' | 'invalid';

export interface Packet {
  /** `ingress`: the host receives it (input chain); `egress`: the host sends it (output chain). */
  direction: 'ingress' | 'egress';
  family: Family;
  source: string;
  destination: string;
  protocol: PacketProtocol;
  /** Destination port (tcp, udp). */
  port?: number;
  /** ICMP or ICMPv6 type number. */
  icmpType?: number;
  state: ConntrackState;
  /** Received on or sent through the loopback interface. */
  loopback?: boolean;
}

export type Reason = 'rule' | 'established' | 'invalid' | 'loopback' | 'icmp-baseline' | 'default-drop' | 'blocklist';

export interface Evaluation {
  verdict: Verdict;
  /** The deciding policy rule when `reason` is `rule`. */
  rule?: ResolvedRule;
  /** The `blocklist.yaml` entry when `reason` is `blocklist` and the block is the policy's. */
  block?: BlocklistEntry;
  reason: Reason;
}

export interface EvaluateOptions {
  /** Addresses blocked at run time (`benteng block`): peers in it are dropped first. */
  blocklist?: AddressSet;
}

function peerValue(packet: Packet): bigint {
  const text = packet.direction === 'ingress' ? packet.source : packet.destination;
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new Error(`packet peer ${text}: ${parsed.reason}`);
  if (parsed.value.family !== packet.family) throw new Error(`packet peer ${text} is not ${packet.family}`);
  return parsed.value.value;
}

/** Whether a rule's protocol match holds for the packet. */
export function protocolMatches(match: ProtocolMatch, packet: Packet): boolean {
  switch (match.protocol) {
    case 'any':
      return true;
    case 'tcp':
    case 'udp':
      return packet.protocol === match.protocol && packet.port !== undefined && match.ports.some((r) => packet.port! >= r.from && packet.port! <= r.to);
    case 'icmp':
    case 'icmpv6':
      if (packet.protocol !== match.protocol) return false;
      if ((match.protocol === 'icmp') !== (packet.family === 'ipv4')) return false;
      return match.types === 'any' || (packet.icmpType !== undefined && match.types.includes(packet.icmpType));
    default: {
      const never: never = match;
      throw new Error(`unexpected protocol match ${JSON.stringify(never)}`);
    }
  }
}

/** Whether the rule decides the packet (peer and protocol match). */
export function ruleMatches(rule: ResolvedRule, packet: Packet, peer: bigint = peerValue(packet)): boolean {
  return containsAddress(rule.peers, packet.family, peer) && rule.protocols.some((m) => protocolMatches(m, packet));
}

/** The verdict the host's policy gives the packet and why. */
export function evaluate(host: HostModel, baseline: BaselineSettings, packet: Packet, options: EvaluateOptions = {}): Evaluation {
  const peer = peerValue(packet);
  if (options.blocklist && containsAddress(options.blocklist, packet.family, peer)) return { verdict: 'drop', reason: 'blocklist' };
  const block = host.blocklist.find((entry) => containsAddress(entry.addresses, packet.family, peer));
  if (block) return { verdict: 'drop', reason: 'blocklist', block };
  if (baseline.loopback && packet.loopback) return { verdict: 'accept', reason: 'loopback' };
  if (baseline.established) {
    if (packet.state === 'established' || packet.state === 'related') return { verdict: 'accept', reason: 'established' };
    if (packet.state === 'invalid') return { verdict: 'drop', reason: 'invalid' };
  }
  if (packet.icmpType !== undefined) {
    const protocol = packet.family === 'ipv4' ? 'icmp' : 'icmpv6';
    if (packet.protocol === protocol && baselineIcmpTypes(baseline.icmp)[protocol].has(packet.icmpType)) return { verdict: 'accept', reason: 'icmp-baseline' };
  }
  const rules = packet.direction === 'ingress' ? host.input : host.output;
  const rule = rules.find((r) => ruleMatches(r, packet, peer));
  if (rule) return { verdict: rule.action, rule, reason: 'rule' };
  return { verdict: 'drop', reason: 'default-drop' };
}
