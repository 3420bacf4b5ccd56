import { ruleFamilies } from '../../model/index.js';
import { coversFamily } from '../../net/address-set.js';
import { parsePeer } from '../../net/peer.js';
import type { Family } from '../../net/address.js';
import { defineRule } from '../rule.js';
import { hostList, placedRules } from '../rule-views.js';

const NAMES: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };
const other = (f: Family): Family => (f === 'ipv4' ? 'ipv6' : 'ipv4');

/**
 * On hosts with both IPv4 and IPv6 addresses: an accepting rule open to the whole internet of one
 * family but not the other, or a rule written with names only (`any`, networks, hosts, services)
 * that matches one family, so the other family's traffic silently falls through to the next rules.
 * Rules written with address literals of one family say so on purpose and are left alone.
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
    for (const direction of ['ingress', 'egress'] as const) {
      for (const { rule, hosts } of placedRules(context.model, direction)) {
        if (rule.action !== 'accept') continue;
        const dual = hosts.filter((h) => h.addresses.ipv4.length > 0 && h.addresses.ipv6.length > 0);
        if (dual.length === 0) continue;
        const families = ruleFamilies(rule);
        const whole = families.find((f) => coversFamily(rule.peers, f) && !(families.includes(other(f)) && coversFamily(rule.peers, other(f))));
        if (whole) {
          context.report({ messageId: 'wholeFamily', data: { open: NAMES[whole], missing: NAMES[other(whole)], hosts: hostList(dual) }, span: rule.span });
          continue;
        }
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
