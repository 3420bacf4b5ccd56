import { defineRule } from '../rule.js';

/**
 * A `# benteng-disable-next-line <rule-id>` comment without `-- <reason>`. Reported by the engine
 * (src/lint/suppression.ts) after the other rules ran; `check` has nothing to do.
 */
export default defineRule<Record<string, never>, 'missingReason'>({
  meta: {
    id: 'suppression-missing-reason',
    defaultSeverity: 'warning',
    description: 'A suppression comment gives no reason (`-- <reason>`).',
    messages: { missingReason: 'suppression of {{rules}} gives no reason: write `-- <why this is acceptable>` after the rule ids' },
    example: '# benteng-disable-next-line sensitive-port-internet\n- from: any\n  ports: [ssh]',
    tags: ['hygiene', 'suppression'],
  },
  check() {},
});
