/**
 * Rules other software owns and manages at run time (Docker, fail2ban, Kubernetes, …): recognised by
 * chain, table and interface names, left out of the import with a note, never translated. The
 * software adds and removes these rules itself; a policy that froze them would fight it.
 */
import type { ImportedChain, ImportedRule } from './ruleset.js';

const CHAIN_OWNERS: Array<[RegExp, string]> = [
  [/^DOCKER/i, 'Docker'],
  [/^(f2b-|fail2ban)/i, 'fail2ban'],
  [/^KUBE-/, 'Kubernetes (kube-proxy)'],
  [/^cali-/, 'Calico'],
  [/^CILIUM/i, 'Cilium'],
  [/^LIBVIRT_/, 'libvirt'],
  [/^sshguard$/i, 'sshguard'],
  [/^crowdsec/i, 'CrowdSec'],
  [/^FLANNEL/, 'flannel'],
  [/^ts-/, 'Tailscale'],
];

const TABLE_OWNERS: Array<[RegExp, string]> = [
  [/docker/i, 'Docker'],
  [/f2b|fail2ban/i, 'fail2ban'],
  [/crowdsec/i, 'CrowdSec'],
  [/sshguard/i, 'sshguard'],
  [/kube/i, 'Kubernetes (kube-proxy)'],
  [/cilium/i, 'Cilium'],
  [/libvirt/i, 'libvirt'],
  [/tailscale/i, 'Tailscale'],
  // nft tables are named with their family (`inet benteng`).
  [/(^|\s)benteng$/, 'benteng (a previous deploy)'],
];

/** The software that owns a chain by its name, if any. */
export function chainOwner(name: string): string | undefined {
  return CHAIN_OWNERS.find(([pattern]) => pattern.test(name))?.[1];
}

/** The software that owns a whole nft table, if any. */
export function tableOwner(table: string): string | undefined {
  return TABLE_OWNERS.find(([pattern]) => pattern.test(table))?.[1];
}

export function foreignChainOwner(chain: Pick<ImportedChain, 'name' | 'table'>): string | undefined {
  return tableOwner(chain.table) ?? chainOwner(chain.name);
}

/** A rule of another program in a chain benteng imports (Docker's bridge rules in FORWARD, jumps to its chains). */
export function foreignRuleOwner(rule: ImportedRule): string | undefined {
  const target = rule.verdict.kind === 'jump' || rule.verdict.kind === 'goto' ? chainOwner(rule.verdict.chain) : undefined;
  if (target) return target;
  const docker = /^(docker\d*|br-[0-9a-f]{6,}|docker_gwbridge)$/;
  if ((rule.inInterface && docker.test(rule.inInterface.name)) || (rule.outInterface && docker.test(rule.outInterface.name))) return 'Docker';
  return undefined;
}
