import { defineRule } from '../rule.js';
import { policyRules } from '../rule-views.js';

/**
 * A rule whose `expires` day lies before the day of the check: the resolver already leaves it out of
 * the ruleset; the policy should lose it too. (Replaces the resolver's own `rule-expired` warning.)
 */
export default defineRule<Record<string, never>, 'expired'>({
  meta: {
    id: 'rule-expired',
    defaultSeverity: 'error',
    description: 'A temporary rule has expired: it is no longer deployed and should be removed from the policy.',
    messages: { expired: 'rule expired on {{expires}} and is left out of the ruleset: remove it, or extend `expires` if the access is still needed' },
    example: 'ingress:\n  - from: 203.0.113.7\n    ports: [ssh]\n    expires: 2024-01-31',
    tags: ['hygiene', 'temporary-access'],
  },
  check(context) {
    for (const view of policyRules(context.policy)) {
      const { expires } = view.rule;
      if (expires !== undefined && expires < context.model.today) {
        context.report({ messageId: 'expired', data: { expires }, span: view.at('expires'), subject: view.at() });
      }
    }
  },
});
