import { cutAt } from '../../access/exposure.js';
import type { HostModel, ResolvedRule } from '../../model/index.js';
import { defineRule } from '../rule.js';
import { adminAddresses, hostFamilies, hostList } from '../rule-views.js';

interface Options {
  ports: number[];
}

/**
 * A host that accepts an administrative tcp port (the options' list plus its SSH port) from addresses
 * outside the networks tagged `admin`, decided from the access model: a rule counts only for the
 * peers it really decides on that port (an earlier drop removes its share), and each accepting rule
 * that admits outsiders is reported, however the exposure is split (families the host has an address
 * in only).
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
    const byRule = new Map<ResolvedRule, { port: number; hosts: HostModel[] }>();
    for (const host of context.model.hosts) {
      const chain = context.access.chain(host, 'ingress');
      const ports = [...new Set([...context.options.ports, host.ssh.port])].sort((a, b) => a - b);
      for (const port of ports) {
        for (const family of hostFamilies(host)) {
          for (const piece of cutAt(chain, family, 'tcp', port)) {
            if (piece.verdict !== 'accept' || !piece.rule) continue;
            const outside = admin.names.length === 0 || !admin.set[family].some((r) => r.start <= piece.start && piece.end <= r.end);
            if (!outside) continue;
            const found = byRule.get(piece.rule) ?? { port, hosts: [] };
            byRule.set(piece.rule, found);
            found.port = Math.min(found.port, port);
            if (!found.hosts.includes(host)) found.hosts.push(host);
          }
        }
      }
    }
    for (const [rule, { port, hosts }] of byRule) {
      if (admin.names.length === 0) context.report({ messageId: 'noAdmin', data: { port, hosts: hostList(hosts) }, span: rule.span });
      else context.report({ messageId: 'outside', data: { port, admin: admin.names.join(', '), hosts: hostList(hosts) }, span: rule.span });
    }
  },
});
