import { parsePortSpec } from '../../net/port.js';
import { defineRule } from '../rule.js';
import { policyRules } from '../rule-views.js';

interface Options {
  maxPorts: number;
}

/**
 * A tcp or udp port range wider than `maxPorts` in an accepting rule or a port set, and an accepting
 * rule without `ports` (every protocol) towards peers narrower than the whole internet (the whole
 * internet is `any-to-any-accept` and `unrestricted-egress`).
 */
export default defineRule<Options, 'wide' | 'noPorts'>({
  meta: {
    id: 'wide-port-range',
    defaultSeverity: 'warning',
    description: 'A port range is very wide (more than `maxPorts` ports), or an accepting rule names no ports at all.',
    messages: {
      wide: '`{{spec}}` opens {{count}} ports (more than {{max}}): list the ports the service uses',
      noPorts: 'accepting rule without `ports` admits every protocol and port: list the ports the service uses',
    },
    optionsSchema: {
      type: 'object',
      properties: { maxPorts: { type: 'integer', minimum: 1, maximum: 65535, description: 'Widest range allowed without a finding.' } },
      additionalProperties: false,
    },
    defaultOptions: { maxPorts: 1024 },
    example: 'ingress:\n  - from: staff\n    ports: [tcp/1024-65535]',
    securitySeverity: 5.0,
    tags: ['security', 'least-privilege'],
  },
  check(context) {
    const max = context.options.maxPorts;
    const wide = (spec: string): number | undefined => {
      const parsed = parsePortSpec(spec);
      if (!parsed.ok || parsed.value.kind !== 'transport') return undefined;
      const count = parsed.value.to - parsed.value.from + 1;
      return count > max ? count : undefined;
    };
    for (const view of policyRules(context.policy)) {
      if ((view.rule.action ?? 'accept') !== 'accept') continue;
      const ports = view.rule.ports;
      if (!ports) {
        const written = 'from' in view.rule ? view.rule.from : view.rule.to;
        if (!(Array.isArray(written) ? written : [written]).includes('any')) {
          context.report({ messageId: 'noPorts', span: view.at(), subject: view.at() });
        }
        continue;
      }
      ports.forEach((spec, i) => {
        const count = wide(spec);
        if (count !== undefined) context.report({ messageId: 'wide', data: { spec, count, max }, span: view.at('ports', i), subject: view.at() });
      });
    }
    const sets = context.policy.ports;
    for (const [name, specs] of Object.entries(sets?.data.ports ?? {})) {
      specs.forEach((spec, i) => {
        const count = wide(spec);
        if (count !== undefined) {
          context.report({ messageId: 'wide', data: { spec, count, max }, span: sets!.source.spanOf(['ports', name, i]), subject: sets!.source.spanOf(['ports', name], 'key') });
        }
      });
    }
  },
});
