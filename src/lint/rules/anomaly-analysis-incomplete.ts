import type { Span } from '../../diagnostics/diagnostic.js';
import { defineRule } from '../rule.js';
import { hostList } from '../rule-views.js';

/**
 * The anomaly analysis gave up on part of a chain (a family and protocol class whose partition would
 * exceed its budget): the anomalies of those rules are not reported. One finding per set of rules,
 * at the first of them, naming the hosts.
 */
export default defineRule<Record<string, never>, 'incomplete'>({
  meta: {
    id: 'anomaly-analysis-incomplete',
    defaultSeverity: 'info',
    description: 'The anomaly analysis gave up on rules whose overlaps are too fragmented to decide within its budget.',
    messages: { incomplete: 'anomaly analysis incomplete on {{hosts}}: {{count}} rule(s), the first `{{rule}}`, were not analysed (their overlaps are too fragmented for the budget)' },
    example: '# a rule overlapped by thousands of fragmented earlier rules',
    tags: ['anomaly'],
  },
  check(context) {
    const bySet = new Map<string, { first: { id: string; span: Span }; count: number; hosts: Array<{ name: string }> }>();
    for (const chain of context.anomalies().incomplete) {
      const first = chain.rules[0];
      if (!first) continue;
      const key = chain.rules.map((r) => r.id).join('\n');
      const entry = bySet.get(key) ?? { first, count: chain.rules.length, hosts: [] };
      if (!entry.hosts.some((h) => h.name === chain.host)) entry.hosts.push({ name: chain.host });
      bySet.set(key, entry);
    }
    for (const { first, count, hosts } of bySet.values()) {
      context.report({ messageId: 'incomplete', data: { rule: first.id, count, hosts: hostList(hosts) }, span: first.span });
    }
  },
});
