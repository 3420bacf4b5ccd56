import type { Span } from '../diagnostics/diagnostic.js';
import type { AddressSet } from '../net/address-set.js';
import type { Family } from '../net/address.js';
import type { Backend, SshEndpoint } from '../build/compiled-host.js';

export type { AddressSet } from '../net/address-set.js';
export type { Family } from '../net/address.js';

/** `ingress` rules land in the host's input chain, `egress` rules in its output chain. */
export type Direction = 'ingress' | 'egress';
export type Verdict = 'accept' | 'drop' | 'reject';

/** Inclusive port range. */
export interface PortRange {
  from: number;
  to: number;
}

/**
 * What a rule matches above the IP layer, normalised: at most one entry per protocol, port ranges
 * sorted and merged. `any` matches every protocol.
 */
export type ProtocolMatch =
  | { protocol: 'any' }
  | { protocol: 'tcp' | 'udp'; ports: PortRange[] }
  | { protocol: 'icmp' | 'icmpv6'; types: number[] | 'any' };

/**
 * One policy rule resolved for one host: concrete peer addresses (v4 and v6 apart) and protocols.
 * The peer is the remote side: the source of an ingress rule, the destination of an egress rule.
 */
export interface ResolvedRule {
  /** Stable id, `<service>/<direction>/<index>`; the fleet defaults use service `defaults`. */
  id: string;
  service: string;
  direction: Direction;
  /** Index of the rule within its service's `ingress` or `egress` list. */
  index: number;
  description?: string;
  peers: AddressSet;
  /** The peers as written in the policy, for comments and messages. */
  peerText: string[];
  protocols: ProtocolMatch[];
  action: Verdict;
  log: boolean;
  expires?: string;
  /** The rule's list item in the policy file. */
  span: Span;
}

/**
 * One entry of `blocklist.yaml` in force on the day of the check: its addresses are dropped in both
 * directions on every host, first in each chain (with the dynamic blocks of `benteng block`).
 */
export interface BlocklistEntry {
  /** Stable id, `blocklist/<index>` (the entry's index in the file). */
  id: string;
  index: number;
  /** The entry's addresses, merged (v4 and v6 apart). */
  addresses: AddressSet;
  /** The addresses as written, for messages. */
  addressText: string[];
  reason: string;
  /** The day the block was decided (`YYYY-MM-DD`). */
  added: string;
  by: string;
  expires?: string;
  /** The entry's list item in `blocklist.yaml`. */
  span: Span;
}

/** Fleet-wide baseline from `defaults.yaml` with the schema defaults filled in. */
export interface BaselineSettings {
  established: boolean;
  loopback: boolean;
  icmp: 'essential' | 'none';
  logDrops: { enabled: boolean; ratePerMinute: number };
}

export interface HostModel {
  name: string;
  backend: Backend;
  description?: string;
  addresses: AddressSet;
  ssh: SshEndpoint;
  tags: string[];
  /** Services that run on the host, sorted. */
  services: string[];
  /** Ordered, first match wins: fleet defaults, then services by name, rules in file order. */
  input: ResolvedRule[];
  output: ResolvedRule[];
  /** The fleet's permanent blocks (`FleetModel.blocklist`): dropped before any rule, both directions. */
  blocklist: BlocklistEntry[];
  span: Span;
}

export interface NetworkModel {
  name: string;
  addresses: AddressSet;
  tags: string[];
  span: Span;
}

/** The resolved model of the whole fleet: the input of lint, emit, evaluate and query. */
export interface FleetModel {
  baseline: BaselineSettings;
  hosts: HostModel[];
  networks: Map<string, NetworkModel>;
  /** `blocklist.yaml`'s entries in file order, expired ones left out (every host carries the same list). */
  blocklist: BlocklistEntry[];
  /** The day (UTC, YYYY-MM-DD) expiry was judged against; expired rules are absent from the hosts. */
  today: string;
  /** Names the policy refers to somewhere, for the unused-definition lint rules. */
  usage: { networks: Set<string>; portSets: Set<string> };
}

/** Families a rule can match, from its peers and protocols. */
export function ruleFamilies(rule: ResolvedRule): Family[] {
  const families: Family[] = [];
  const onlyIcmp = (p: ProtocolMatch['protocol']) => rule.protocols.every((m) => m.protocol === p);
  if (rule.peers.ipv4.length > 0 && !onlyIcmp('icmpv6')) families.push('ipv4');
  if (rule.peers.ipv6.length > 0 && !onlyIcmp('icmp')) families.push('ipv6');
  return families;
}
