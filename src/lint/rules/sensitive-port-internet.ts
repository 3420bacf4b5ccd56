import { coversFamily } from '../../net/address-set.js';
import { defineRule } from '../rule.js';
import { hostList, matchesPort, placedRules } from '../rule-views.js';

/** Ports that must never face the whole internet: remote shells, databases, caches, file sharing, Docker. */
export const SENSITIVE_PORTS: ReadonlyArray<[number, string]> = [
  [21, 'FTP'],
  [22, 'SSH'],
  [23, 'telnet'],
  [139, 'SMB'],
  [161, 'SNMP'],
  [445, 'SMB'],
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [2375, 'Docker API'],
  [2376, 'Docker API (TLS)'],
  [3306, 'MySQL'],
  [3389, 'RDP'],
  [5432, 'PostgreSQL'],
  [6379, 'Redis'],
  [9200, 'Elasticsearch'],
  [11211, 'memcached'],
  [27017, 'MongoDB'],
];

/**
 * An accepting ingress rule whose peers cover the whole IPv4 or IPv6 internet (`0.0.0.0/0`, `::/0`,
 * judged on the resolved address set, so `any`, two `/1` halves or a network that adds up to it count)
 * and that admits one of `SENSITIVE_PORTS`.
 */
export default defineRule<Record<string, never>, 'exposed'>({
  meta: {
    id: 'sensitive-port-internet',
    defaultSeverity: 'error',
    description: 'A sensitive port (SSH, RDP, databases, Docker, SMB, telnet, FTP, SNMP, …) is reachable from the whole internet.',
    messages: { exposed: '{{ports}} reachable from the whole {{family}} internet on {{hosts}}: restrict `from` to the networks that need it' },
    example: 'ingress:\n  - from: any\n    ports: [tcp/5432]',
    securitySeverity: 9.0,
    tags: ['security', 'exposure'],
  },
  check(context) {
    for (const { rule, hosts } of placedRules(context.model, 'ingress')) {
      if (rule.action !== 'accept') continue;
      const families = (['ipv4', 'ipv6'] as const).filter((f) => coversFamily(rule.peers, f));
      if (families.length === 0) continue;
      const exposed = SENSITIVE_PORTS.filter(([port]) => matchesPort(rule.protocols, port));
      if (exposed.length === 0) continue;
      context.report({
        messageId: 'exposed',
        data: {
          ports: exposed.map(([port, name]) => `${name} (${port})`).join(', '),
          family: families.map((f) => (f === 'ipv4' ? 'IPv4' : 'IPv6')).join(' and '),
          hosts: hostList(hosts),
        },
        span: rule.span,
      });
    }
  },
});
