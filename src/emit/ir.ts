/**
 * The target IR: what the emitters lower a host's model to before any text exists. Printers turn it
 * into text with exhaustive switches; the model never reaches a printer. Comments in the IR are
 * already sanitised (see `comment.ts`).
 *
 * nftables semantics from nft(8); iptables semantics from iptables(8), iptables-extensions(8) and
 * iptables-restore(8).
 */
import type { LogKey } from '../build/compiled-host.js';
import type { Family } from '../net/address.js';

// ---------------------------------------------------------------- nftables

export type NftKeyType = 'ipv4_addr' | 'ipv6_addr' | 'inet_proto' | 'inet_service' | 'icmp_type' | 'icmpv6_type';

/** A payload or meta expression a rule matches on (`ip saddr`, `th dport`, ...). */
export type NftSelector =
  | 'ip saddr'
  | 'ip daddr'
  | 'ip6 saddr'
  | 'ip6 daddr'
  | 'meta l4proto'
  | 'th dport'
  | 'icmp type'
  | 'icmpv6 type';

/** One component of a set element key: an address range, a protocol, or a number range. */
export type NftKeyPart =
  | { kind: 'address'; family: Family; start: bigint; end: bigint }
  | { kind: 'protocol'; protocol: 'tcp' | 'udp' }
  | { kind: 'range'; from: number; to: number }
  | { kind: 'icmp-type'; protocol: 'icmp' | 'icmpv6'; type: number };

export type NftVerdict =
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'goto'; chain: string }
  | { kind: 'reject'; with: 'tcp-reset' | 'icmpx-admin-prohibited' };

export interface NftElement {
  key: NftKeyPart[];
  /** Present exactly when the set is a verdict map. */
  verdict?: NftVerdict;
  comment?: string;
}

export interface NftSet {
  name: string;
  /** `set` holds keys; `vmap` maps keys to verdicts. */
  kind: 'set' | 'vmap';
  keyTypes: NftKeyType[];
  flags: Array<'interval' | 'timeout'>;
  /** Per-element counters (`counter` in the set declaration). */
  counter: boolean;
  elements: NftElement[];
  comment?: string;
}

export type NftCtState = 'established' | 'related' | 'invalid' | 'new';

export type NftMatch =
  | { kind: 'interface'; direction: 'iif' | 'oif'; name: string }
  | { kind: 'ct-state'; states: NftCtState[] }
  | { kind: 'protocol'; protocol: 'tcp' }
  | { kind: 'in-set'; selectors: NftSelector[]; set: string };

/** A `log` carries the key its prefix is printed from, so the keys are read from the IR, never from text. */
export type NftStatement =
  | { kind: 'counter' }
  | { kind: 'limit'; perMinute: number; burst: number }
  | { kind: 'log'; key: LogKey };

/** What ends a rule: a verdict, a lookup in a verdict map, or nothing (the rule only counts or logs). */
export type NftRuleEnd = NftVerdict | { kind: 'vmap'; selectors: NftSelector[]; map: string } | { kind: 'continue' };

export interface NftRule {
  matches: NftMatch[];
  statements: NftStatement[];
  end: NftRuleEnd;
  comment?: string;
}

export interface NftChain {
  name: string;
  base?: { hook: 'input' | 'output'; policy: 'accept' | 'drop' };
  rules: NftRule[];
  comment?: string;
}

export interface NftTable {
  family: 'inet';
  name: string;
  sets: NftSet[];
  chains: NftChain[];
}

/** A whole `nft -f` file: the table is created empty, deleted, and defined again in one transaction. */
export interface NftRuleset {
  header: string[];
  table: NftTable;
}

// ---------------------------------------------------------------- iptables

export type IptMatch =
  | { kind: 'interface'; direction: 'in' | 'out'; name: string }
  /** `negated`: every address of the family except `cidr` (`! -s cidr`). */
  | { kind: 'address'; side: 'source' | 'destination'; cidr: string; negated?: boolean }
  | { kind: 'protocol'; protocol: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp' }
  | { kind: 'dport'; from: number; to: number }
  | { kind: 'multiport'; ports: Array<{ from: number; to: number }> }
  | { kind: 'icmp-type'; protocol: 'icmp' | 'ipv6-icmp'; type: number }
  | { kind: 'ctstate'; states: Array<'ESTABLISHED' | 'RELATED' | 'INVALID'> }
  | { kind: 'limit'; perMinute: number; burst: number }
  | { kind: 'set'; name: string; side: 'source' | 'destination' }
  | { kind: 'comment'; text: string };

export type IptTarget =
  | { kind: 'ACCEPT' }
  | { kind: 'DROP' }
  | { kind: 'REJECT'; with: 'tcp-reset' | 'icmp-admin-prohibited' | 'icmp6-adm-prohibited' }
  | { kind: 'LOG'; key: LogKey }
  | { kind: 'RETURN' }
  | { kind: 'jump'; chain: string };

export interface IptRule {
  chain: string;
  /** `-I chain 1` instead of `-A chain` (the hooks from the built-in chains). */
  insertFirst?: boolean;
  matches: IptMatch[];
  target: IptTarget;
}

/** One `iptables-restore --noflush` input: only `*filter`, chains of our own declared (and so flushed). */
export interface IptRuleset {
  family: Family;
  header: string[];
  table: 'filter';
  chains: string[];
  rules: IptRule[];
}

export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
}
