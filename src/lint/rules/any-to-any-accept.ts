import { coversFamily } from '../../net/address-set.js';
import { defineRule } from '../rule.js';
import { hostList, placedRules } from '../rule-views.js';

/**
 * An accepting ingress rule with every peer and every protocol: the firewall does nothing for the
 * hosts it lands on. (Egress to anywhere is `unrestricted-egress`.)
 */
export default defineRule<Record<string, never>, 'anyToAny'>({
  meta: {
    id: 'any-to-any-accept',
    defaultSeverity: 'error',
    description: 'An ingress rule accepts every protocol and port from any address.',
    messages: { anyToAny: 'accepts every protocol and port from the whole internet on {{hosts}}: name the ports and peers' },
    example: 'ingress:\n  - from: any',
    securitySeverity: 9.5,
    tags: ['security', 'exposure'],
  },
  check(context) {
    for (const { rule, hosts } of placedRules(context.model, 'ingress')) {
      if (rule.action !== 'accept') continue;
      if (!rule.protocols.some((m) => m.protocol === 'any')) continue;
      if (!coversFamily(rule.peers, 'ipv4') && !coversFamily(rule.peers, 'ipv6')) continue;
      context.report({ messageId: 'anyToAny', data: { hosts: hostList(hosts) }, span: rule.span });
    }
  },
});
