import { internetValues } from '../../access/exposure.js';
import type { HostModel, ResolvedRule } from '../../model/index.js';
import { defineRule } from '../rule.js';
import { hostFamilies, hostList } from '../rule-views.js';

interface Options {
  maxPorts: number;
}

/**
 * A host that may send to the whole internet on every protocol, or on more than `maxPorts` tcp or udp
 * ports, decided from the access model of its output chain: the union of the accepting rules counts,
 * however many rules, services or networks make it up (see src/access/internet.ts), in the families the
 * host has an address in. A compromised host
 * could download payloads and call out freely.
 */
export default defineRule<Options, 'unrestricted'>({
  meta: {
    id: 'unrestricted-egress',
    defaultSeverity: 'warning',
    description: 'A service may send to any address on any port (or a very wide range): nothing stops a compromised host calling out.',
    messages: { unrestricted: '`{{service}}` may send to any address on {{ports}} from {{hosts}}{{together}}: name the destinations and ports it needs' },
    optionsSchema: {
      type: 'object',
      properties: { maxPorts: { type: 'integer', minimum: 1, maximum: 65536, description: 'Most tcp or udp ports a host may send to the whole internet on without a finding.' } },
      additionalProperties: false,
    },
    defaultOptions: { maxPorts: 1024 },
    example: 'egress:\n  - to: any\n    ports: [tcp]',
    securitySeverity: 6.5,
    tags: ['security', 'egress'],
  },
  check(context) {
    const byRules = new Map<string, { rules: ResolvedRule[]; ports: string; hosts: HostModel[] }>();
    for (const host of context.model.hosts) {
      const chain = context.access.chain(host, 'egress');
      for (const family of hostFamilies(host)) {
        const every = internetValues(chain, family, 'other');
        const found: Array<{ rules: ResolvedRule[]; ports: string }> = every.map((e) => ({ rules: e.rules, ports: 'every protocol and port' }));
        if (found.length === 0) {
          for (const cls of ['tcp', 'udp'] as const) {
            const open = internetValues(chain, family, cls);
            const count = open.reduce((n, e) => n + e.to - e.from + 1, 0);
            if (count <= context.options.maxPorts) continue;
            const rules = [...new Set(open.flatMap((e) => e.rules))];
            found.push({ rules, ports: `${count} ${cls} ports` });
          }
        }
        for (const { rules, ports } of found) {
          if (rules.length === 0) continue;
          const key = `${rules.map((r) => r.id).join(',')}\n${ports}`;
          const group = byRules.get(key) ?? { rules, ports, hosts: [] };
          byRules.set(key, group);
          if (!group.hosts.includes(host)) group.hosts.push(host);
        }
      }
    }
    for (const { rules, ports, hosts } of byRules.values()) {
      const [first, ...others] = rules;
      context.report({
        messageId: 'unrestricted',
        data: { service: first!.service, ports, hosts: hostList(hosts), together: others.length > 0 ? ` through ${rules.length} rules together (${rules.map((r) => r.id).join(', ')})` : '' },
        span: first!.span,
        related: others.map((r) => ({ message: `also accepts part of it: \`${r.id}\``, span: r.span })),
      });
    }
  },
});
