import { defineRule } from '../rule.js';
import { policyRules } from '../rule-views.js';

interface Options {
  days: number;
}

function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A rule whose `expires` day falls within `days` days of the day of the check (inclusive). */
export default defineRule<Options, 'expiring'>({
  meta: {
    id: 'rule-expiring',
    defaultSeverity: 'warning',
    description: 'A temporary rule expires soon (within `days`, 14 by default).',
    messages: { expiring: 'rule expires on {{expires}} ({{left}}): renew it before then if the access is still needed' },
    optionsSchema: {
      type: 'object',
      properties: { days: { type: 'integer', minimum: 0, maximum: 366, description: 'How many days ahead to warn.' } },
      additionalProperties: false,
    },
    defaultOptions: { days: 14 },
    example: 'ingress:\n  - from: 203.0.113.7\n    ports: [ssh]\n    expires: 2026-11-30 # checked on 2026-11-22',
    tags: ['hygiene', 'temporary-access'],
  },
  check(context) {
    const { today } = context.model;
    const horizon = addDays(today, context.options.days);
    for (const view of policyRules(context.policy)) {
      const { expires } = view.rule;
      if (expires === undefined || expires < today || expires > horizon) continue;
      const days = Math.round((Date.parse(expires) - Date.parse(today)) / 86_400_000);
      const left = days === 0 ? 'today is its last day' : `in ${days} day${days === 1 ? '' : 's'}`;
      context.report({ messageId: 'expiring', data: { expires, left }, span: view.at('expires'), subject: view.at() });
    }
  },
});
