import { type InternetExposure, internetValues } from '../../access/exposure.js';
import { type HostModel, type ResolvedRule, ruleFamilies } from '../../model/index.js';
import { parsePeer } from '../../net/peer.js';
import type { Family } from '../../net/address.js';
import { defineRule } from '../rule.js';
import { hostList, placedRules } from '../rule-views.js';

const NAMES: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };
const other = (f: Family): Family => (f === 'ipv4' ? 'ipv6' : 'ipv4');

/** Whether the other family's exposures hold every value of `e`. */
function covered(e: InternetExposure, others: readonly InternetExposure[]): boolean {
  let next = e.from;
  for (const o of others) {
    if (o.to < next) continue;
    if (o.from > next) return false;
    next = o.to + 1;
    if (next > e.to) return true;
  }
  return next > e.to;
}

/**
 * On hosts with both IPv4 and IPv6 addresses: ports (tcp, udp, every protocol) that a chain opens to
 * the whole internet of one family but not of the other, decided from the access model and reported at
 * the rules that make the exposure; or a rule written with names only (`any`, networks, hosts,
 * services) that matches one family, so the other family's traffic silently falls through to the next
 * rules. Rules written with address literals of one family say so on purpose and are left alone.
 */
export default defineRule<Record<string, never>, 'wholeFamily' | 'oneFamily'>({
  meta: {
    id: 'family-parity',
    defaultSeverity: 'warning',
    description: 'A rule is open on one address family (IPv4 or IPv6) and silently lacking on the other.',
    messages: {
      wholeFamily: 'open to the whole {{open}} internet but not to {{missing}} on dual-stack {{hosts}}: write `any`, or add the {{missing}} block',
      oneFamily: 'matches {{open}} only, so {{missing}} traffic to dual-stack {{hosts}} falls through to later rules: give `{{peers}}` {{missing}} addresses or add the {{missing}} protocol',
    },
    example: 'ingress:\n  - from: 0.0.0.0/0\n    ports: [https]',
    securitySeverity: 3.0,
    tags: ['correctness', 'ipv6'],
  },
  check(context) {
    // Internet exposure per family, from the access model: ports one family opens to the whole
    // internet and the other does not, however many rules make it up.
    const whole = new Map<ResolvedRule, { open: Family; hosts: HostModel[] }>();
    const dualHosts = context.model.hosts.filter((h) => h.addresses.ipv4.length > 0 && h.addresses.ipv6.length > 0);
    for (const host of dualHosts) {
      for (const direction of ['ingress', 'egress'] as const) {
        const chain = context.access.chain(host, direction);
        for (const cls of ['tcp', 'udp', 'other'] as const) {
          const exposed = { ipv4: internetValues(chain, 'ipv4', cls), ipv6: internetValues(chain, 'ipv6', cls) };
          for (const open of ['ipv4', 'ipv6'] as const) {
            const closed = exposed[other(open)];
            for (const e of exposed[open]) {
              if (covered(e, closed)) continue;
              for (const rule of e.rules) {
                const found = whole.get(rule) ?? { open, hosts: [] };
                whole.set(rule, found);
                if (!found.hosts.includes(host)) found.hosts.push(host);
              }
            }
          }
        }
      }
    }
    for (const [rule, { open, hosts }] of whole) {
      context.report({ messageId: 'wholeFamily', data: { open: NAMES[open], missing: NAMES[other(open)], hosts: hostList(hosts) }, span: rule.span });
    }

    // Rules written with names only (`any`, networks, hosts, services) that resolve to one family.
    for (const direction of ['ingress', 'egress'] as const) {
      for (const { rule, hosts } of placedRules(context.model, direction)) {
        if (rule.action !== 'accept' || whole.has(rule)) continue;
        const dual = hosts.filter((h) => h.addresses.ipv4.length > 0 && h.addresses.ipv6.length > 0);
        if (dual.length === 0) continue;
        const families = ruleFamilies(rule);
        if (families.length !== 1) continue;
        const byName = rule.peerText.every((text) => {
          const parsed = parsePeer(text);
          return parsed.ok && parsed.value.kind !== 'cidr';
        });
        if (!byName) continue;
        const open = families[0]!;
        context.report({
          messageId: 'oneFamily',
          data: { open: NAMES[open], missing: NAMES[other(open)], hosts: hostList(dual), peers: rule.peerText.join(', ') },
          span: rule.span,
        });
      }
    }
  },
});
