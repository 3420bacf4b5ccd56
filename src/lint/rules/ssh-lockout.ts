import { type AddressSet, intersectSets, isEmptySet, subtractSets } from '../../net/address-set.js';
import type { Family } from '../../net/address.js';
import { defineRule } from '../rule.js';
import { adminAddresses, matchesPort } from '../rule-views.js';

/**
 * A host whose input chain, taken in order (first match wins), would not accept new SSH connections
 * (tcp to its SSH port) from every address of the networks tagged `admin`, in each family the host
 * has: the next deploy could lock the administrators out. Needs at least one network tagged `admin`.
 */
export default defineRule<Record<string, never>, 'lockout' | 'partial'>({
  meta: {
    id: 'ssh-lockout',
    defaultSeverity: 'error',
    description: 'A host would not accept SSH from the admin networks: deploying its rules would lock the administrators out.',
    messages: {
      lockout: '`{{host}}` would not accept SSH (tcp/{{port}}) from the admin networks ({{admin}}): a deploy would lock you out',
      partial: '`{{host}}` would not accept SSH (tcp/{{port}}) from part of the admin networks ({{family}}){{decidedBy}}',
    },
    example: '# no ingress rule accepts tcp/22 from the networks tagged admin\ningress:\n  - from: internal\n    ports: [https]',
    securitySeverity: 5.0,
    tags: ['availability', 'deploy'],
  },
  check(context) {
    const admin = adminAddresses(context.model);
    if (admin.names.length === 0) return;
    for (const host of context.model.hosts) {
      const port = host.ssh.port;
      const families = (['ipv4', 'ipv6'] as Family[]).filter((f) => host.addresses[f].length > 0 && admin.set[f].length > 0);
      if (families.length === 0) continue;
      let remaining: AddressSet = { ipv4: [], ipv6: [] };
      for (const f of families) remaining[f] = admin.set[f];
      let accepted = false;
      const blockers = new Map<string, (typeof host.input)[number]>();
      for (const rule of host.input) {
        if (isEmptySet(remaining)) break;
        if (!matchesPort(rule.protocols, port, 'tcp')) continue;
        const hit = intersectSets(remaining, rule.peers);
        if (isEmptySet(hit)) continue;
        if (rule.action === 'accept') accepted = true;
        else blockers.set(rule.id, rule);
        remaining = subtractSets(remaining, rule.peers);
      }
      const refused = families.filter((f) => {
        let left = remaining[f].length > 0;
        for (const rule of blockers.values()) left ||= intersectSets(admin.set, rule.peers)[f].length > 0;
        return left;
      });
      if (refused.length === 0) continue;
      const related = [...blockers.values()].map((r) => ({ message: `refused by \`${r.id}\``, span: r.span }));
      if (!accepted) {
        context.report({ messageId: 'lockout', data: { host: host.name, port, admin: admin.names.join(', ') }, span: host.span, related });
      } else {
        const family = refused.map((f) => (f === 'ipv4' ? 'IPv4' : 'IPv6')).join(', ');
        context.report({
          messageId: 'partial',
          data: { host: host.name, port, family, decidedBy: blockers.size > 0 ? `: refused by ${[...blockers.keys()].join(', ')}` : '' },
          span: host.span,
          related,
        });
      }
    }
  },
});
