import { internetValues } from '../../access/exposure.js';
import { SENSITIVE_PORTS } from '../../access/internet.js';

export { SENSITIVE_PORTS } from '../../access/internet.js';
import type { HostModel, ResolvedRule } from '../../model/index.js';
import type { Family } from '../../net/address.js';
import { defineRule } from '../rule.js';
import { hostFamilies, hostList } from '../rule-views.js';

const FAMILY_NAME: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/**
 * A sensitive port (tcp or udp) that a host accepts from the whole internet, decided from the access
 * model: the accepted peers are the union over every rule, service, network and exclusion that
 * decides the port (first match wins), and "the whole internet" is the threshold of
 * src/access/internet.ts, so splitting the exposure over several rules or trimming a few addresses
 * off `any` does not hide it. Only families the host has an address in count. Reported at the first
 * accepting rule, the others related.
 */
export default defineRule<Record<string, never>, 'exposed' | 'exposedTogether'>({
  meta: {
    id: 'sensitive-port-internet',
    defaultSeverity: 'error',
    description: 'A sensitive port (SSH, RDP, databases, Docker, SMB, telnet, FTP, SNMP, …) is reachable from the whole internet.',
    messages: {
      exposed: '{{ports}} reachable from the whole {{family}} internet on {{hosts}}: restrict `from` to the networks that need it',
      exposedTogether: '{{ports}} reachable from the whole {{family}} internet on {{hosts}} through {{count}} rules together ({{rules}}): restrict their `from` to the networks that need it',
    },
    example: 'ingress:\n  - from: any\n    ports: [tcp/5432]',
    securitySeverity: 9.0,
    tags: ['security', 'exposure'],
  },
  check(context) {
    /** Findings grouped by the rules that make the exposure, then family. */
    const groups = new Map<string, { rules: ResolvedRule[]; family: Family; ports: Set<string>; hosts: Set<HostModel> }>();
    for (const host of context.model.hosts) {
      const chain = context.access.chain(host, 'ingress');
      for (const family of hostFamilies(host)) {
        for (const cls of ['tcp', 'udp'] as const) {
          for (const [port, name] of SENSITIVE_PORTS) {
            for (const exposure of internetValues(chain, family, cls, port, port)) {
              if (exposure.rules.length === 0) continue;
              const key = `${exposure.rules.map((r) => r.id).join(',')}\n${family}`;
              let group = groups.get(key);
              if (!group) groups.set(key, (group = { rules: exposure.rules, family, ports: new Set(), hosts: new Set() }));
              group.ports.add(`${name} (${port})`);
              group.hosts.add(host);
            }
          }
        }
      }
    }
    // One finding per rule set: both families together when they share the rules and ports.
    const merged = new Map<string, { rules: ResolvedRule[]; families: Family[]; ports: string[]; hosts: Set<HostModel> }>();
    for (const group of groups.values()) {
      const ports = [...group.ports];
      const key = `${group.rules.map((r) => r.id).join(',')}\n${ports.join(',')}`;
      const found = merged.get(key);
      if (found) {
        found.families.push(group.family);
        for (const h of group.hosts) found.hosts.add(h);
      } else merged.set(key, { rules: group.rules, families: [group.family], ports, hosts: new Set(group.hosts) });
    }
    for (const { rules, families, ports, hosts } of merged.values()) {
      const [first, ...others] = rules;
      const data = {
        ports: ports.join(', '),
        family: families.map((f) => FAMILY_NAME[f]).join(' and '),
        hosts: hostList([...hosts].sort((a, b) => (a.name < b.name ? -1 : 1))),
      };
      if (others.length === 0) context.report({ messageId: 'exposed', data, span: first!.span });
      else {
        context.report({
          messageId: 'exposedTogether',
          data: { ...data, count: rules.length, rules: rules.map((r) => r.id).join(', ') },
          span: first!.span,
          related: others.map((r) => ({ message: `also accepts part of it: \`${r.id}\``, span: r.span })),
        });
      }
    }
  },
});
