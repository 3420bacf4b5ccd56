import { defineRule } from '../rule.js';

/** A service with fewer than two `owners`: nobody to call when its one owner is on leave. */
export default defineRule<Record<string, never>, 'missing' | 'single'>({
  meta: {
    id: 'service-owners',
    defaultSeverity: 'warning',
    description: 'A service names fewer than two owners, so it depends on one person.',
    messages: {
      missing: 'service `{{service}}` names no `owners`: list at least two people to call',
      single: 'service `{{service}}` has {{count}} owner: add a second, so it never depends on one person',
    },
    example: 'service: payroll\nowners: [Made Wirawan <made.w@city.example>]',
    tags: ['hygiene', 'ownership'],
  },
  check(context) {
    for (const { data, source } of context.policy.services) {
      const owners = data.owners ?? [];
      if (owners.length >= 2) continue;
      const subject = source.spanOf([]);
      if (data.owners === undefined) {
        context.report({ messageId: 'missing', data: { service: data.service }, span: source.spanOf(['service'], 'key'), subject });
      } else {
        context.report({ messageId: 'single', data: { service: data.service, count: owners.length }, span: source.spanOf(['owners']), subject });
      }
    }
  },
});
