import type { HostModel, ResolvedRule } from '../../model/index.js';
import { defineRule } from '../rule.js';
import { hostList } from '../rule-views.js';

const ICMP_FAMILY = { icmp: 'ipv4', icmpv6: 'ipv6' } as const;

/**
 * A rule whose intended effect someone else decides: a drop or reject of ICMP types that the baseline
 * accepts before any rule (`icmp: essential` in the defaults; the access model's baseline), or a rule
 * that an earlier rule of another service (services are ordered by name) decides the other way (accept
 * against drop or reject) for some of its packets (the anomaly analysis's `overridden`, read from the
 * same first-match partition), so one agency's rule silently undoes another's.
 * Within one service, an exception written before a general rule is the usual idiom and is left to
 * the anomaly rules.
 */
export default defineRule<Record<string, never>, 'byBaseline' | 'byOtherService'>({
  meta: {
    id: 'overridden-rule',
    defaultSeverity: 'warning',
    description: 'A rule is overridden by the baseline (essential ICMP) or by an earlier rule of another service.',
    messages: {
      byBaseline:
        '`{{rule}}` would {{action}} {{types}}, but the baseline accepts {{them}} before any rule on {{hosts}} (essential ICMP with `icmp: essential`; ICMPv6 neighbour discovery always): remove the rule, or set `icmp: none` in the defaults',
      byOtherService: '`{{rule}}` is overridden on {{hosts}}: {{others}} of another service come(s) first and decide(s) some of its packets differently',
    },
    example: 'ingress:\n  - from: any\n    ports: [icmp/echo-request]\n    action: drop',
    securitySeverity: 4.0,
    tags: ['correctness', 'anomaly'],
  },
  check(context) {
    const byBaseline = new Map<ResolvedRule, { types: Set<number>; hosts: HostModel[] }>();
    for (const host of context.model.hosts) {
      for (const direction of ['ingress', 'egress'] as const) {
        const chain = context.access.chain(host, direction);
        for (const rule of chain.rules) {
          if (rule.action === 'accept') continue;
          for (const match of rule.protocols) {
            if (match.protocol !== 'icmp' && match.protocol !== 'icmpv6') continue;
            const family = ICMP_FAMILY[match.protocol];
            if (rule.peers[family].length === 0) continue;
            const accepted = chain.families[family].baseline.icmpTypes;
            const hit = (match.types === 'any' ? [...accepted] : match.types.filter((t) => accepted.has(t))).sort((a, b) => a - b);
            if (hit.length === 0) continue;
            const found = byBaseline.get(rule) ?? { types: new Set<number>(), hosts: [] };
            byBaseline.set(rule, found);
            for (const t of hit) found.types.add(t);
            if (!found.hosts.includes(host)) found.hosts.push(host);
          }
        }
      }
    }
    for (const [rule, { types, hosts }] of byBaseline) {
      const list = [...types].sort((a, b) => a - b);
      context.report({
        messageId: 'byBaseline',
        data: { rule: rule.id, action: rule.action, types: `ICMP type${list.length > 1 ? 's' : ''} ${list.join(', ')}`, them: list.length > 1 ? 'them' : 'it', hosts: hostList(hosts) },
        span: rule.span,
      });
    }

    for (const anomaly of context.anomalies().anomalies) {
      if (anomaly.kind !== 'overridden') continue;
      context.report({
        messageId: 'byOtherService',
        data: { rule: anomaly.rule.id, hosts: hostList(anomaly.hosts.map((name) => ({ name }))), others: anomaly.others.map((o) => `\`${o.id}\``).join(', ') },
        span: anomaly.rule.span,
        related: anomaly.others.map((o) => ({ message: `decided first by \`${o.id}\``, span: o.span })),
      });
    }
  },
});

