import { defineRule } from '../rule.js';
import { anomalyFindings } from '../anomaly/findings.js';

/** Two rules with different actions that overlap partially: their order decides the packets in the overlap. */
export default defineRule<Record<string, never>, 'correlated'>({
  meta: {
    id: 'correlated-rules',
    defaultSeverity: 'info',
    description: 'A rule partially overlaps an earlier rule with a different action, so their order decides the overlap.',
    messages: { correlated: '`{{rule}}` overlaps {{others}} on {{hosts}} with a different action; the earlier rule decides the overlap: check the order is intended' },
    example: 'ingress:\n  - from: guest-wifi\n    ports: [tcp/80-443]\n    action: drop\n  - from: staff      # overlaps guest-wifi\n    ports: [https]',
    tags: ['correctness', 'anomaly'],
  },
  check(context) {
    anomalyFindings(context, 'correlated', () => ({ messageId: 'correlated', relatedMessage: 'overlaps' }));
  },
});
