/**
 * A live ruleset as read by `benteng import`, before translation to policies: the chain graph of
 * `iptables-save` / `ip6tables-save` output or of `nft -j list ruleset`, in one shape for both.
 *
 * The parsers (`iptables-save.ts`, `nft-json.ts`) fill it and know nothing about policies; the
 * flattener and translator read it and know nothing about either text format. A parser never drops a
 * rule silently: what a rule matches on that benteng cannot express goes in `unsupported`, with the
 * reason, so the import report can name the source line.
 */

export type ImportFamily = 'ipv4' | 'ipv6';

/** Where a rule or chain came from: the file as named to the user and a 1-based line (and column). */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
  /**
   * nft objects: the rule's or chain's `handle`. `nft -j` output has no useful lines (it is one line),
   * so for it `line` is the 1-based index of the object in the `nftables` array unless an
   * `nft -a list ruleset` listing gave the real line.
   */
  handle?: number;
}

export type ImportVerdict =
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'reject' }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string }
  | { kind: 'return' }
  /** No terminal verdict: the packet goes on to the next rule (LOG, counter-only, NFLOG, …). */
  | { kind: 'continue'; note?: string };

/** An address match: the packet's address is in (or, negated, outside) the union of `cidrs`. */
export interface AddressMatch {
  cidrs: string[];
  negated: boolean;
}

/** Inclusive port ranges; a single port is `[p, p]`. */
export interface PortMatch {
  ranges: Array<[number, number]>;
  negated: boolean;
}

export interface InterfaceMatch {
  /** Interface name; iptables' `+` wildcard is kept as written (`eth+`). */
  name: string;
  negated: boolean;
}

export type ConntrackStateName = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

/** A match the translator cannot express, kept for the report. */
export interface UnsupportedMatch {
  /** The match as written (`-m mark --mark 0x1`, `meta mark 0x1`). */
  match: string;
  /** Why benteng cannot express it, in the user's words (`packet marks`, `NAT`, `rate limit`, …). */
  reason: string;
}

export interface ImportedRule {
  family: ImportFamily;
  table: string;
  chain: string;
  location: SourceLocation;
  /** The rule as written in the source, for the report. */
  text: string;
  /** `-m comment --comment` or nft `comment`, kept as the description. */
  comment?: string;
  /** Absent: any protocol. A number when the source names one benteng has no word for. */
  protocol?: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | number;
  protocolNegated?: boolean;
  source?: AddressMatch;
  destination?: AddressMatch;
  sourcePorts?: PortMatch;
  destinationPorts?: PortMatch;
  /** ICMP / ICMPv6 type number (names resolved by the parser). */
  icmpType?: number;
  /** ICMP code when the source restricts it (benteng matches types only, so the translator reports it). */
  icmpCode?: number;
  states?: { names: ConntrackStateName[]; negated: boolean };
  inInterface?: InterfaceMatch;
  outInterface?: InterfaceMatch;
  /**
   * Address types (`-m addrtype --dst-type LOCAL`, nft `fib daddr type local`), upper case as
   * iptables spells them. The flattener decides them for unicast packets to and from the host.
   */
  addressTypes?: { source?: { types: string[]; negated: boolean }; destination?: { types: string[]; negated: boolean } };
  unsupported: UnsupportedMatch[];
  verdict: ImportVerdict;
}

export interface ImportedChain {
  family: ImportFamily;
  table: string;
  name: string;
  /** Set for base chains: the netfilter hook (`input`, `output`, `forward`, `prerouting`, …). */
  hook?: string;
  /** Base chains: the priority (iptables' filter table is 0; nft states it). Lower runs first. */
  priority?: number;
  /** Base chains: the verdict for packets that reach the end. */
  policy?: 'accept' | 'drop';
  /** nft base chains: the chain type (`filter`, `nat`, `route`); only `filter` chains filter. */
  chainType?: 'filter' | 'nat' | 'route';
  location: SourceLocation;
  rules: ImportedRule[];
}

export interface ImportedRuleset {
  /** Which parser read it. */
  format: 'iptables-save' | 'nft-json';
  /** The source files as named to the user (a path, or `host:iptables-save` when read over SSH). */
  sources: string[];
  chains: ImportedChain[];
  /** Problems reading the source itself (bad syntax): each names its location. */
  errors: Array<{ location: SourceLocation; message: string }>;
  /**
   * Whole objects the parser read but does not turn into chains (nft tables of family `bridge`,
   * `arp`, `netdev`; tables iptables-nft writes, whose matches `nft -j` hides and `iptables-save`
   * shows), each with why, so the report can name them. nft tables are named `<family> <name>`
   * here and in `table` (`inet filter`, `ip nat`), so `ip filter` and `inet filter` stay apart.
   */
  skipped?: Array<{ location: SourceLocation; text: string; reason: string }>;
}
