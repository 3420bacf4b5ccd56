import { internetValues } from '../../access/exposure.js';
import type { HostModel, ResolvedRule } from '../../model/index.js';
import { defineRule } from '../rule.js';
import { hostFamilies, hostList } from '../rule-views.js';

/**
 * A host that accepts every protocol (what no port or ICMP type can describe: the access model's
 * "other" class, reached only by `any`-protocol rules) from the whole internet, decided from the
 * access model: the union of the accepting rules counts, however many make it up (see
 * src/access/internet.ts), in the families the host has an address in. The firewall does nothing for
 * such a host. Egress: `unrestricted-egress`.
 */
export default defineRule<Record<string, never>, 'anyToAny'>({
  meta: {
    id: 'any-to-any-accept',
    defaultSeverity: 'error',
    description: 'A host accepts every protocol and port from the whole internet.',
    messages: { anyToAny: 'accepts every protocol and port from the whole internet on {{hosts}}{{together}}: name the ports and peers' },
    example: 'ingress:\n  - from: any',
    securitySeverity: 9.5,
    tags: ['security', 'exposure'],
  },
  check(context) {
    const byRules = new Map<string, { rules: ResolvedRule[]; hosts: HostModel[] }>();
    for (const host of context.model.hosts) {
      const chain = context.access.chain(host, 'ingress');
      for (const family of hostFamilies(host)) {
        for (const exposure of internetValues(chain, family, 'other')) {
          const key = exposure.rules.map((r) => r.id).join(',');
          const group = byRules.get(key) ?? { rules: exposure.rules, hosts: [] };
          byRules.set(key, group);
          if (!group.hosts.includes(host)) group.hosts.push(host);
        }
      }
    }
    for (const { rules, hosts } of byRules.values()) {
      const [first, ...others] = rules;
      if (!first) continue;
      context.report({
        messageId: 'anyToAny',
        data: { hosts: hostList(hosts), together: others.length > 0 ? ` through ${rules.length} rules together (${rules.map((r) => r.id).join(', ')})` : '' },
        span: first.span,
        related: others.map((r) => ({ message: `also accepts part of it: \`${r.id}\``, span: r.span })),
      });
    }
  },
});
