import { defineRule } from '../rule.js';
import { anomalyFindings } from '../anomaly/findings.js';

/** A rule that never matches because earlier rules, one or several together, decide all its packets, some with a different action. */
export default defineRule<Record<string, never>, 'shadowed'>({
  meta: {
    id: 'shadowed-rule',
    defaultSeverity: 'warning',
    description: 'A rule never matches: earlier rules with a different action (alone or together) cover every packet it matches.',
    messages: { shadowed: '`{{rule}}` never matches on {{hosts}}: earlier rules cover all its packets and {{others}} decide(s) some of them differently' },
    example: 'ingress:\n  - from: guest-wifi\n    action: drop\n  - from: 198.51.100.112/29   # inside guest-wifi\n    ports: [https]',
    securitySeverity: 4.0,
    tags: ['correctness', 'anomaly'],
  },
  check(context) {
    anomalyFindings(context, 'shadowed', (a) => ({ messageId: 'shadowed', relatedMessage: 'shadowed by' }));
  },
});
