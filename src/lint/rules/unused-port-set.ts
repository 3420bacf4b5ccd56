import { defineRule } from '../rule.js';

/** A port set in `ports.yaml` that no rule or other port set refers to. */
export default defineRule<Record<string, never>, 'unused'>({
  meta: {
    id: 'unused-port-set',
    defaultSeverity: 'warning',
    description: 'A port set is defined but never used.',
    messages: { unused: 'port set `{{name}}` is defined but never used: remove it or use it in a rule' },
    example: 'ports:\n  rdp: [tcp/3389]',
    tags: ['hygiene'],
  },
  check(context) {
    const ports = context.policy.ports;
    if (!ports) return;
    for (const name of Object.keys(ports.data.ports)) {
      if (context.model.usage.portSets.has(name)) continue;
      context.report({ messageId: 'unused', data: { name }, span: ports.source.spanOf(['ports', name], 'key') });
    }
  },
});
