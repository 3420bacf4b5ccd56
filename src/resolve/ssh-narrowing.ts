/**
 * `ssh.allowFrom` of a host in hosts.yaml: SSH to that host only from the peers named there. Resolved
 * into one rule placed first on the host's input chain, before the fleet defaults' rules: drop new
 * connections to the host's SSH port (tcp/`ssh.port`) from every address outside the peers. A drop can
 * only narrow: the peers still need a rule (usually the defaults') that accepts them. The rule carries
 * the reserved service name `hosts`, its id is `hosts/ingress/<i>` (`i`: the host's place in the
 * sorted inventory), and its span is the `allowFrom` value, so lint, emitted comments and `query`
 * point back at it.
 */
import type { ResolvedRule } from '../model/index.js';
import { anySet, subtractSets, unionSets } from '../net/address-set.js';
import type { PolicySet } from '../policy/index.js';
import type { AddressResolver } from './addresses.js';

/** The service name the rules of `ssh.allowFrom` carry; reserved for them. */
export const HOSTS_SERVICE = 'hosts';

/** The narrowing rule of host `name` (at `index` in the sorted inventory), or undefined without `allowFrom`. */
export function sshNarrowingRule(name: string, index: number, port: number, policy: PolicySet, addresses: AddressResolver): ResolvedRule | undefined {
  const written = policy.hosts.data.hosts[name]?.ssh?.allowFrom;
  if (written === undefined) return undefined;
  const source = policy.hosts.source;
  const path = ['hosts', name, 'ssh', 'allowFrom'];
  const peerText = Array.isArray(written) ? written : [written];
  const allowed = unionSets(...peerText.map((text, i) => addresses.resolvePeer(text, () => source.spanOf(Array.isArray(written) ? [...path, i] : path))));
  return {
    id: `${HOSTS_SERVICE}/ingress/${index}`,
    service: HOSTS_SERVICE,
    direction: 'ingress',
    index,
    description: `SSH to ${name} only from ${peerText.join(', ')}`,
    peers: subtractSets(anySet(), allowed),
    peerText: peerText.map((text) => `not ${text}`),
    protocols: [{ protocol: 'tcp', ports: [{ from: port, to: port }] }],
    action: 'drop',
    log: false,
    span: source.spanOf(path),
  };
}
