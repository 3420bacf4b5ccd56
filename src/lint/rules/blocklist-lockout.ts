import { coversFamily, FAMILIES, setsOverlap, unionSets } from '../../net/address-set.js';
import { hostAddressSet } from '../../resolve/hosts.js';
import { defineRule } from '../rule.js';
import { blockItemSet, hostList } from '../rule-views.js';

/**
 * A `blocklist.yaml` address that overlaps a network tagged `admin` or a fleet host's own address (its
 * `addresses` and a literal SSH address): administrators, the deployer, or the hosts' own traffic to
 * each other would be dropped everywhere. An item that covers a whole family is left to
 * `blocklist-too-wide`.
 */
export default defineRule<Record<string, never>, 'adminNetwork' | 'fleetHost'>({
  meta: {
    id: 'blocklist-lockout',
    defaultSeverity: 'error',
    description: 'A permanent block covers an admin network or a fleet host\'s own address, which locks administrators or the deployer out.',
    messages: {
      adminNetwork: '`{{address}}` covers addresses of the admin network{{plural}} {{networks}}: administrators would be locked out of every host',
      fleetHost: '`{{address}}` covers an address of fleet host{{plural}} {{hosts}}: every host would drop traffic to and from it, and deploys to it would fail',
    },
    example: 'blocklist:\n  - addresses: [198.51.100.0/24] # holds the admin network 198.51.100.0/28\n    reason: scan from the office range\n    added: 2026-11-20\n    by: alice',
    securitySeverity: 8.0,
    tags: ['security', 'incident-response', 'lockout'],
  },
  check(context) {
    const blocklist = context.policy.blocklist;
    if (!blocklist) return;
    const admin = [...context.model.networks.values()].filter((n) => n.tags.includes('admin'));
    const hosts = context.model.hosts.map((host) => ({ host, addresses: unionSets(host.addresses, hostAddressSet([host.ssh.address])) }));
    for (const entry of context.model.blocklist) {
      entry.addressText.forEach((address, i) => {
        const item = blockItemSet(address);
        if (FAMILIES.some((f) => coversFamily(item, f))) return;
        const span = blocklist.source.spanOf(['blocklist', entry.index, 'addresses', i]);
        const networks = admin.filter((n) => setsOverlap(item, n.addresses)).map((n) => `\`${n.name}\``);
        if (networks.length > 0) {
          context.report({ messageId: 'adminNetwork', data: { address, networks: networks.join(', '), plural: networks.length > 1 ? 's' : '' }, span, subject: entry.span });
        }
        const blocked = hosts.filter(({ addresses }) => setsOverlap(item, addresses)).map(({ host }) => host);
        if (blocked.length > 0) {
          context.report({ messageId: 'fleetHost', data: { address, hosts: hostList(blocked), plural: blocked.length > 1 ? 's' : '' }, span, subject: entry.span });
        }
      });
    }
  },
});
