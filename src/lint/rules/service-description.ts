import { defineRule } from '../rule.js';

/** A service without a `description`: reviewers cannot tell what its rules protect. */
export default defineRule<Record<string, never>, 'missing'>({
  meta: {
    id: 'service-description',
    defaultSeverity: 'warning',
    description: 'A service has no description.',
    messages: { missing: 'service `{{service}}` has no `description`: say what it is, so reviewers know what its rules protect' },
    example: 'service: payroll\nhosts: [payroll-01]',
    tags: ['hygiene', 'documentation'],
  },
  check(context) {
    for (const { data, source } of context.policy.services) {
      if (data.description !== undefined && data.description.trim() !== '') continue;
      context.report({ messageId: 'missing', data: { service: data.service }, span: source.spanOf(['service'], 'key'), subject: source.spanOf([]) });
    }
  },
});
