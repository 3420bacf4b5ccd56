import { defineRule } from '../rule.js';

/** A network in `networks.yaml` that no rule or other network refers to; networks tagged `admin` count as used (the SSH checks read them). */
export default defineRule<Record<string, never>, 'unused'>({
  meta: {
    id: 'unused-network',
    defaultSeverity: 'warning',
    description: 'A network is defined but never used.',
    messages: { unused: 'network `{{name}}` is defined but never used: remove it or use it in a rule' },
    example: 'networks:\n  old-office:\n    include: [198.51.100.128/26]',
    tags: ['hygiene'],
  },
  check(context) {
    const networks = context.policy.networks;
    if (!networks) return;
    for (const name of Object.keys(networks.data.networks)) {
      if (context.model.usage.networks.has(name)) continue;
      if (context.model.networks.get(name)?.tags.includes('admin')) continue;
      context.report({ messageId: 'unused', data: { name }, span: networks.source.spanOf(['networks', name], 'key') });
    }
  },
});
