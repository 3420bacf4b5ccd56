import { isEmptySet, subtractSets } from '../../net/address-set.js';
import { defineRule } from '../rule.js';
import { adminAddresses, hostList, matchesPort, placedRules } from '../rule-views.js';

interface Options {
  ports: number[];
}

/**
 * An accepting ingress rule that admits an administrative port (the options' list plus each host's
 * SSH port) from addresses outside the networks tagged `admin`.
 */
export default defineRule<Options, 'outside' | 'noAdmin'>({
  meta: {
    id: 'admin-port-outside-admin',
    defaultSeverity: 'warning',
    description: 'An administrative port (SSH, RDP, WinRM, VNC, …) is reachable from outside the networks tagged `admin`.',
    messages: {
      outside: 'administrative port {{port}} reachable from outside the admin networks ({{admin}}) on {{hosts}}',
      noAdmin: 'administrative port {{port}} is open on {{hosts}}, but no network is tagged `admin`: tag the networks administrators use',
    },
    optionsSchema: {
      type: 'object',
      properties: { ports: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 65535 }, description: 'Administrative tcp ports besides each host\'s SSH port.' } },
      additionalProperties: false,
    },
    defaultOptions: { ports: [22, 3389, 5900, 5985, 5986, 10000] },
    example: 'ingress:\n  - from: staff\n    ports: [tcp/3389]',
    securitySeverity: 7.0,
    tags: ['security', 'administration'],
  },
  check(context) {
    const admin = adminAddresses(context.model);
    for (const { rule, hosts } of placedRules(context.model, 'ingress')) {
      if (rule.action !== 'accept') continue;
      const ports = new Set([...context.options.ports, ...hosts.map((h) => h.ssh.port)]);
      const port = [...ports].sort((a, b) => a - b).find((p) => matchesPort(rule.protocols, p, 'tcp'));
      if (port === undefined) continue;
      if (admin.names.length === 0) {
        context.report({ messageId: 'noAdmin', data: { port, hosts: hostList(hosts) }, span: rule.span });
      } else if (!isEmptySet(subtractSets(rule.peers, admin.set))) {
        context.report({ messageId: 'outside', data: { port, admin: admin.names.join(', '), hosts: hostList(hosts) }, span: rule.span });
      }
    }
  },
});
