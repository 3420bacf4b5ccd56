/**
 * What the build stage hands to the deployer for one host: the inventory facts needed to reach it and
 * the exact ruleset text written to `generated/`. The deployer never sees the policy model.
 */
export type Backend = 'nftables' | 'iptables';

export interface SshEndpoint {
  /**
   * The host's name in hosts.yaml (or a jump host as written in a ProxyJump): the name `Host` lines of
   * ~/.ssh/config are matched against, together with `address`.
   */
  name?: string;
  /** Address (v4 or v6 literal, or DNS name) the deployer connects to. */
  address: string;
  port: number;
  user: string;
  /** Pinned host-key fingerprint, OpenSSH style `SHA256:<base64 without padding>`. */
  hostKey?: string;
  /**
   * Fields filled from benteng's defaults (first address, port 22, root) rather than written in
   * hosts.yaml: ~/.ssh/config may set these (HostName, Port, User); written fields always win.
   */
  defaulted?: SshDefaultedField[];
  /**
   * Jump hosts, first connected first (ssh's ProxyJump). The first is reached by its own `proxyJump`
   * (or ~/.ssh/config's); each later one through the one before it. `[]`: hosts.yaml said `none`, so
   * ~/.ssh/config's ProxyJump is ignored; absent: ~/.ssh/config decides.
   */
  proxyJump?: SshEndpoint[];
}

export type SshDefaultedField = 'address' | 'port' | 'user';

export interface CompiledRuleset {
  /** `nft -f` input replacing `table inet benteng` atomically (nftables backend). */
  nft?: string;
  /** `iptables-restore --noflush` input (iptables backend). */
  rulesV4?: string;
  /** `ip6tables-restore --noflush` input (iptables backend). */
  rulesV6?: string;
}

export interface CompiledHost {
  host: string;
  backend: Backend;
  ssh: SshEndpoint;
  ruleset: CompiledRuleset;
  /**
   * What every log prefix of the ruleset stands for, taken from the emitted IR (never parsed back out
   * of the text): a drop-log line starting with `prefix` was logged by that key's rule or default drop.
   */
  logKeys?: LogKey[];
}

/**
 * One log prefix of a host's ruleset and what it attributes a logged packet to. `key` is `default`
 * for a chain's default drop, `r<N>` for the host's N-th logging rule (N from 1, input chain first,
 * the same on both backends); a rule logs when it drops or rejects (and drop logging is on) or when
 * it says `log: true`.
 */
export interface LogKey {
  key: string;
  direction: 'ingress' | 'egress';
  kind: 'default' | 'rule';
  /** The exact prefix both backends log with: `bt <i|o> <key>: ` (see `logPrefix`). */
  prefix: string;
  /** The rule's service (`defaults` for the fleet defaults' rules); absent for the default drop. */
  service?: string;
  /** The rule's id (`<service>/<direction>/<index>`); absent for the default drop. */
  ruleId?: string;
  /** What the rule does with the packets it logs (`drop` for the default drop). */
  action: 'accept' | 'drop' | 'reject';
}

/** iptables' `LOG --log-prefix` holds at most 29 characters; both backends use the same prefixes. */
export const LOG_PREFIX_MAX = 29;

/** `bt i r12: `: tag, direction (`i` input, `o` output), key, colon and space. */
export function logPrefix(direction: LogKey['direction'], key: string): string {
  const prefix = `bt ${direction === 'ingress' ? 'i' : 'o'} ${key}: `;
  if (prefix.length > LOG_PREFIX_MAX || !/^(default|r[1-9][0-9]*)$/.test(key)) throw new Error(`bad log key ${JSON.stringify(key)}`);
  return prefix;
}

/** Names shared by the emitters and the deployer (block command, rollback save/restore). */
export const NFT_TABLE = 'benteng';
export const NFT_FAMILY = 'inet';
/** Dynamic blocks (`benteng block`): elements with a timeout, carried over by the deployer. */
export const NFT_BLOCKLIST_V4 = 'blocklist_v4';
export const NFT_BLOCKLIST_V6 = 'blocklist_v6';
/** Permanent blocks from `blocklist.yaml`: static elements, part of the ruleset (absent when empty). */
export const NFT_BLOCKLIST_POLICY_V4 = 'blocklist_policy_v4';
export const NFT_BLOCKLIST_POLICY_V6 = 'blocklist_policy_v6';
export const IPT_CHAIN_PREFIX = 'BENTENG-';
/** Entered first from `BENTENG-INPUT`: dynamic blocks by source (ipset), then `blocklist.yaml`'s, then RETURN. */
export const IPT_BLOCKLIST_CHAIN = 'BENTENG-BLOCK';
/** The same for `BENTENG-OUTPUT`, by destination. */
export const IPT_BLOCKLIST_OUT_CHAIN = 'BENTENG-BLOCK-OUT';
/**
 * Dynamic blocks on iptables hosts: `ipset create <name> hash:net family inet|inet6 timeout 0` (entries
 * carry their own timeout). The emitted rulesets match them, so they must exist before a restore.
 */
export const IPSET_BLOCK_V4 = 'benteng-block-v4';
export const IPSET_BLOCK_V6 = 'benteng-block-v6';
