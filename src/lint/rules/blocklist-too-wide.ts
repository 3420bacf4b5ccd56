import { coversFamily, FAMILIES, unionSets } from '../../net/address-set.js';
import { defineRule } from '../rule.js';
import { blockItemSet } from '../rule-views.js';

const FAMILY_NAMES = { ipv4: 'IPv4', ipv6: 'IPv6' } as const;

/**
 * A `blocklist.yaml` entry that blocks a whole address family (`0.0.0.0/0`, `::/0`, or items that add
 * up to it): every host would drop all traffic of that family in both directions, the deployer's SSH
 * connection and the rollback's confirmation included.
 */
export default defineRule<Record<string, never>, 'everything' | 'everythingTogether'>({
  meta: {
    id: 'blocklist-too-wide',
    defaultSeverity: 'error',
    description: 'A permanent block covers every IPv4 or every IPv6 address, which cuts every host off.',
    messages: {
      everything: '`{{address}}` blocks every {{family}} address: every host would drop all {{family}} traffic, SSH included',
      everythingTogether: 'the addresses of this block add up to every {{family}} address: every host would drop all {{family}} traffic, SSH included',
    },
    example: 'blocklist:\n  - addresses: [0.0.0.0/0]\n    reason: scan from everywhere\n    added: 2026-11-20\n    by: alice',
    securitySeverity: 9.0,
    tags: ['security', 'incident-response', 'lockout'],
  },
  check(context) {
    const blocklist = context.policy.blocklist;
    if (!blocklist) return;
    for (const entry of context.model.blocklist) {
      const items = entry.addressText.map(blockItemSet);
      const reported = new Set<string>();
      entry.addressText.forEach((address, i) => {
        for (const family of FAMILIES) {
          if (!coversFamily(items[i]!, family)) continue;
          reported.add(family);
          context.report({
            messageId: 'everything',
            data: { address, family: FAMILY_NAMES[family] },
            span: blocklist.source.spanOf(['blocklist', entry.index, 'addresses', i]),
            subject: entry.span,
          });
        }
      });
      const together = unionSets(...items);
      for (const family of FAMILIES) {
        if (reported.has(family) || !coversFamily(together, family)) continue;
        context.report({
          messageId: 'everythingTogether',
          data: { family: FAMILY_NAMES[family] },
          span: blocklist.source.spanOf(['blocklist', entry.index, 'addresses']),
          subject: entry.span,
        });
      }
    }
  },
});
