import { defineRule } from '../rule.js';
import { anomalyFindings } from '../anomaly/findings.js';

/** A rule whose removal changes no verdict: earlier rules of the same action cover it, or later ones decide its packets the same way. */
export default defineRule<Record<string, never>, 'byEarlier' | 'byLater'>({
  meta: {
    id: 'redundant-rule',
    defaultSeverity: 'warning',
    description: 'A rule is redundant: removing it changes no verdict (covered by earlier rules of the same action, or by later ones with nothing different in between).',
    messages: {
      byEarlier: '`{{rule}}` is redundant on {{hosts}}: earlier rules with the same action ({{others}}) already match every packet it matches',
      byLater: '`{{rule}}` is redundant on {{hosts}}: later rules with the same action ({{others}}) would decide its packets the same way',
    },
    example: 'ingress:\n  - from: internal\n    ports: [https]\n  - from: staff     # inside internal\n    ports: [https]',
    tags: ['hygiene', 'anomaly'],
  },
  check(context) {
    anomalyFindings(context, 'redundant', (a) =>
      a.by === 'later' ? { messageId: 'byLater', relatedMessage: 'covered later by' } : { messageId: 'byEarlier', relatedMessage: 'covered by' },
    );
  },
});
