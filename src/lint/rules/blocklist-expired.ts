import { defineRule } from '../rule.js';

/**
 * A `blocklist.yaml` entry whose `expires` day lies before the day of the check: the resolver already
 * leaves it out of every ruleset, so the address is reachable again; the file should say so too.
 * (Replaces the resolver's own `blocklist-expired` warning.)
 */
export default defineRule<Record<string, never>, 'expired'>({
  meta: {
    id: 'blocklist-expired',
    defaultSeverity: 'warning',
    description: 'A permanent block has expired: the addresses are no longer blocked, and the entry should be removed or renewed.',
    messages: { expired: 'block expired on {{expires}} and is left out of the rulesets: remove the entry, or extend `expires` if the addresses must stay blocked' },
    example: 'blocklist:\n  - addresses: [203.0.113.66]\n    reason: defacement of the city portal, ticket CSIRT-2026-114\n    added: 2026-01-20\n    by: alice\n    expires: 2026-05-20',
    tags: ['hygiene', 'incident-response'],
  },
  check(context) {
    const blocklist = context.policy.blocklist;
    if (!blocklist) return;
    blocklist.data.blocklist.forEach((entry, index) => {
      if (entry.expires === undefined || entry.expires >= context.model.today) return;
      context.report({
        messageId: 'expired',
        data: { expires: entry.expires },
        span: blocklist.source.spanOf(['blocklist', index, 'expires']),
        subject: blocklist.source.spanOf(['blocklist', index]),
      });
    });
  },
});
