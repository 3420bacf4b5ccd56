import { coversFamily } from '../../net/address-set.js';
import { defineRule } from '../rule.js';
import { hostList, placedRules, widestPortCount } from '../rule-views.js';

interface Options {
  maxPorts: number;
}

/**
 * An accepting egress rule to every address of a family on every port (or more than `maxPorts` of
 * them): a compromised host could download payloads and call out freely.
 */
export default defineRule<Options, 'unrestricted'>({
  meta: {
    id: 'unrestricted-egress',
    defaultSeverity: 'warning',
    description: 'A service may send to any address on any port (or a very wide range): nothing stops a compromised host calling out.',
    messages: { unrestricted: '`{{service}}` may send to any address on {{ports}} from {{hosts}}: name the destinations and ports it needs' },
    optionsSchema: {
      type: 'object',
      properties: { maxPorts: { type: 'integer', minimum: 1, maximum: 65536, description: 'Widest port range to any address allowed without a finding.' } },
      additionalProperties: false,
    },
    defaultOptions: { maxPorts: 1024 },
    example: 'egress:\n  - to: any\n    ports: [tcp]',
    securitySeverity: 6.5,
    tags: ['security', 'egress'],
  },
  check(context) {
    for (const { rule, hosts } of placedRules(context.model, 'egress')) {
      if (rule.action !== 'accept') continue;
      if (!coversFamily(rule.peers, 'ipv4') && !coversFamily(rule.peers, 'ipv6')) continue;
      const count = widestPortCount(rule.protocols);
      if (count <= context.options.maxPorts) continue;
      const ports = rule.protocols.some((m) => m.protocol === 'any') ? 'every protocol and port' : `${count} ports`;
      context.report({ messageId: 'unrestricted', data: { service: rule.service, ports, hosts: hostList(hosts) }, span: rule.span });
    }
  },
});
