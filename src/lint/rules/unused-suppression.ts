import { defineRule } from '../rule.js';

/**
 * A `# benteng-disable-next-line` comment that suppresses nothing: no finding of the named rule on
 * the next line, an unknown rule id, or no rule id at all. Reported by the engine
 * (src/lint/suppression.ts) after the other rules ran; `check` has nothing to do.
 */
export default defineRule<Record<string, never>, 'unused' | 'unknownRule' | 'noRule'>({
  meta: {
    id: 'unused-suppression',
    defaultSeverity: 'warning',
    description: 'A suppression comment suppresses nothing (no such finding on the next line, or an unknown rule id).',
    messages: {
      unused: '`{{rule}}` reports nothing on the next line: remove the suppression',
      unknownRule: 'unknown lint rule `{{rule}}`{{hint}}',
      noRule: 'suppression names no rule: write `# benteng-disable-next-line <rule-id> -- <reason>`',
    },
    example: '# benteng-disable-next-line sensitive-port-internet -- public web server\n- from: internal\n  ports: [https]',
    tags: ['hygiene', 'suppression'],
  },
  check() {},
});
