/**
 * What the build stage hands to the deployer for one host: the inventory facts needed to reach it and
 * the exact ruleset text written to `generated/`. The deployer never sees the policy model.
 */
export type Backend = 'nftables' | 'iptables';

export interface SshEndpoint {
  /** Address (v4 or v6 literal, or DNS name) the deployer connects to. */
  address: string;
  port: number;
  user: string;
  /** Pinned host-key fingerprint, OpenSSH style `SHA256:<base64 without padding>`. */
  hostKey?: string;
}

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
}

/** Names shared by the emitters and the deployer (block command, rollback save/restore). */
export const NFT_TABLE = 'benteng';
export const NFT_FAMILY = 'inet';
export const NFT_BLOCKLIST_V4 = 'blocklist_v4';
export const NFT_BLOCKLIST_V6 = 'blocklist_v6';
export const IPT_CHAIN_PREFIX = 'BENTENG-';
export const IPT_BLOCKLIST_CHAIN = 'BENTENG-BLOCK';
