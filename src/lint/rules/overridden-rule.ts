import { ACCESS_CLASSES, type ChainAccess, classTerms, type Region } from '../../access/index.js';
import type { HostModel, ResolvedRule } from '../../model/index.js';
import { defineRule } from '../rule.js';
import { hostList } from '../rule-views.js';

const ICMP_FAMILY = { icmp: 'ipv4', icmpv6: 'ipv6' } as const;

/**
 * A rule whose intended effect someone else decides, read from the access model: a drop or reject of
 * ICMP types that the baseline accepts before any rule (`icmp: essential` in the defaults), or a rule
 * that an earlier rule of another service (services are ordered by name) decides the other way (accept
 * against drop or reject) for some of its packets, so one agency's rule silently undoes another's.
 * Within one service, an exception written before a general rule is the usual idiom and is left to
 * the anomaly rules.
 */
export default defineRule<Record<string, never>, 'byBaseline' | 'byOtherService'>({
  meta: {
    id: 'overridden-rule',
    defaultSeverity: 'warning',
    description: 'A rule is overridden by the baseline (essential ICMP) or by an earlier rule of another service.',
    messages: {
      byBaseline: '`{{rule}}` would {{action}} {{types}}, but the defaults accept {{them}} before any rule (`icmp: essential`) on {{hosts}}: remove the rule or set `icmp: none` in the defaults',
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

    const byOthers = new Map<ResolvedRule, { others: Set<ResolvedRule>; hosts: HostModel[] }>();
    for (const host of context.model.hosts) {
      for (const direction of ['ingress', 'egress'] as const) {
        for (const [rule, others] of overriddenByOtherServices(context.access.chain(host, direction))) {
          const found = byOthers.get(rule) ?? { others: new Set<ResolvedRule>(), hosts: [] };
          byOthers.set(rule, found);
          for (const o of others) found.others.add(o);
          if (!found.hosts.includes(host)) found.hosts.push(host);
        }
      }
    }
    for (const [rule, { others, hosts }] of byOthers) {
      const list = [...others];
      context.report({
        messageId: 'byOtherService',
        data: { rule: rule.id, hosts: hostList(hosts), others: list.map((o) => `\`${o.id}\``).join(', ') },
        span: rule.span,
        related: list.map((o) => ({ message: `decided first by \`${o.id}\``, span: o.span })),
      });
    }
  },
});

const allows = (rule: ResolvedRule) => rule.action === 'accept';

/**
 * Rules of the chain that an earlier rule of another service, with the opposite verdict, decides for
 * part of their packets: read from the access model. A rule that wins all of its own area is skipped
 * at once; for the others, the regions overlapping its boxes are found through an index sorted by
 * address (with the running largest end), so the work is proportional to the overlaps.
 */
function overriddenByOtherServices(chain: ChainAccess): Map<ResolvedRule, Set<ResolvedRule>> {
  const out = new Map<ResolvedRule, Set<ResolvedRule>>();
  const order = new Map(chain.rules.map((r, i) => [r, i]));
  for (const family of ['ipv4', 'ipv6'] as const) {
    const terms = classTerms(chain.rules, family);
    for (const cls of ACCESS_CLASSES) {
      const regions = chain.families[family].classes[cls].layers.flat();
      if (regions.length === 0) continue;
      const won = new Map<ResolvedRule, bigint>();
      for (const r of regions) won.set(r.label, (won.get(r.label) ?? 0n) + (r.end - r.start + 1n) * BigInt(r.to - r.from + 1));
      regions.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      const reach: bigint[] = [];
      for (const r of regions) reach.push(reach.length === 0 || r.end > reach[reach.length - 1]! ? r.end : reach[reach.length - 1]!);
      for (const term of terms[cls]) {
        const rule = term.label;
        const width = term.values.reduce((n, v) => n + BigInt(v.to - v.from + 1), 0n);
        const area = term.addresses.reduce((n, a) => n + (a.end - a.start + 1n), 0n) * width;
        if ((won.get(rule) ?? 0n) === area) continue;
        for (const range of term.addresses) {
          let i = lastStartingBy(regions, range.end);
          for (; i >= 0 && reach[i]! >= range.start; i--) {
            const other = regions[i]!;
            if (other.end < range.start || other.label === rule) continue;
            if (order.get(other.label)! > order.get(rule)! || other.label.service === rule.service || allows(other.label) === allows(rule)) continue;
            if (!term.values.some((v) => v.from <= other.to && other.from <= v.to)) continue;
            const found = out.get(rule) ?? new Set<ResolvedRule>();
            out.set(rule, found);
            found.add(other.label);
          }
        }
      }
    }
  }
  return out;
}

/** Index of the last region starting at or before `value` (-1 when none). */
function lastStartingBy(regions: readonly Region[], value: bigint): number {
  let lo = 0;
  let hi = regions.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (regions[mid]!.start <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
