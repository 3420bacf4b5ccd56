import { defineRule } from '../rule.js';
import { hostList } from '../rule-views.js';

/** The anomaly analysis ran out of its budget on some rules: their anomalies are not reported. */
export default defineRule<Record<string, never>, 'incomplete'>({
  meta: {
    id: 'anomaly-analysis-incomplete',
    defaultSeverity: 'info',
    description: 'The anomaly analysis gave up on a rule whose overlaps are too fragmented to decide within its budget.',
    messages: { incomplete: 'anomaly analysis incomplete for `{{rule}}` on {{hosts}}: too many overlapping pieces to decide within the budget' },
    example: '# a rule overlapped by thousands of fragmented earlier rules',
    tags: ['anomaly'],
  },
  check(context) {
    const byRule = new Map<string, { rule: { id: string; span: import('../../diagnostics/diagnostic.js').Span }; hosts: Array<{ name: string }> }>();
    for (const chain of context.anomalies().incomplete) {
      for (const rule of chain.rules) {
        const entry = byRule.get(rule.id) ?? { rule, hosts: [] };
        if (!entry.hosts.some((h) => h.name === chain.host)) entry.hosts.push({ name: chain.host });
        byRule.set(rule.id, entry);
      }
    }
    for (const { rule, hosts } of byRule.values()) {
      context.report({ messageId: 'incomplete', data: { rule: rule.id, hosts: hostList(hosts) }, span: rule.span });
    }
  },
});
