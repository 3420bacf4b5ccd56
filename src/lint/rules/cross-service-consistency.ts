import type { Span } from '../../diagnostics/diagnostic.js';
import type { HostModel, ProtocolMatch, ResolvedRule } from '../../model/index.js';
import { type AddressSet, setsOverlap } from '../../net/address-set.js';
import { parsePeer } from '../../net/peer.js';
import { defineRule } from '../rule.js';
import { DEFAULTS, describeProtocols, placedRules, protocolsOverlap, serviceAddresses } from '../rule-views.js';

/** Whether some rule of the chain accepts part of the traffic from or to `peers` on `protocols`. */
function acceptsSome(chain: readonly ResolvedRule[], peers: AddressSet, protocols: readonly ProtocolMatch[]): boolean {
  return chain.some((r) => r.action === 'accept' && protocolsOverlap(r.protocols, protocols) && setsOverlap(r.peers, peers));
}

/**
 * Both ends of a flow between services must allow it: service A's egress rule to `service:B` needs an
 * ingress rule on B's hosts that accepts A's hosts on those ports, and B's ingress rule from
 * `service:A` needs an egress rule on A's hosts towards B. A missing side is reported on both: at the
 * rule that exists and at the other service.
 */
export default defineRule<Record<string, never>, 'noIngress' | 'noEgress' | 'otherSideIngress' | 'otherSideEgress'>({
  meta: {
    id: 'cross-service-consistency',
    defaultSeverity: 'warning',
    description: 'One service allows a flow to or from another service that the other service does not allow.',
    messages: {
      noIngress: '`{{from}}` sends to `service:{{to}}` on {{ports}}, but no ingress rule on {{to}}\'s hosts accepts it: add the ingress rule to {{to}}',
      otherSideIngress: '`{{from}}` sends to this service on {{ports}}, but `{{to}}` accepts none of it: add an ingress rule `from: service:{{from}}`',
      noEgress: '`{{to}}` accepts `service:{{from}}` on {{ports}}, but no egress rule on {{from}}\'s hosts sends it: add the egress rule to {{from}}',
      otherSideEgress: '`{{to}}` accepts this service on {{ports}}, but `{{from}}` may not send it: add an egress rule `to: service:{{to}}`',
    },
    example: '# services/app.yaml\negress:\n  - to: service:db\n    ports: [postgres]\n# services/db.yaml has no ingress from service:app',
    tags: ['correctness', 'consistency'],
  },
  check(context) {
    const { model, policy } = context;
    const serviceSpan = (name: string): Span | undefined => {
      if (name === DEFAULTS) return policy.defaults?.source.spanOf(['defaults'], 'key');
      return policy.services.find((s) => s.data.service === name)?.source.spanOf(['service'], 'key');
    };
    const hostsByService = new Map<string, HostModel[]>();
    const hostsOf = (name: string): HostModel[] => {
      let hosts = hostsByService.get(name);
      if (!hosts) hostsByService.set(name, (hosts = model.hosts.filter((h) => name === DEFAULTS || h.services.includes(name))));
      return hosts;
    };
    const addressesByService = new Map<string, AddressSet>();
    const addressesOf = (name: string): AddressSet => {
      let set = addressesByService.get(name);
      if (!set) addressesByService.set(name, (set = serviceAddresses(model, name)));
      return set;
    };
    // Many rules ask the same question (same two services, direction and ports): answer it once.
    const answers = new Map<string, boolean>();
    const named = (rule: ResolvedRule): string[] =>
      rule.peerText.flatMap((text) => {
        const parsed = parsePeer(text);
        return parsed.ok && parsed.value.kind === 'service' ? [parsed.value.name] : [];
      });

    for (const direction of ['egress', 'ingress'] as const) {
      for (const { rule } of placedRules(model, direction)) {
        if (rule.action !== 'accept') continue;
        for (const other of named(rule)) {
          const otherHosts = hostsOf(other);
          if (otherHosts.length === 0) continue;
          const question = `${direction} ${rule.service} ${other} ${describeProtocols(rule.protocols)}`;
          let answered = answers.get(question);
          if (answered === undefined) {
            const ownAddresses = addressesOf(rule.service);
            answered = otherHosts.some((h) => acceptsSome(direction === 'egress' ? h.input : h.output, ownAddresses, rule.protocols));
            answers.set(question, answered);
          }
          if (answered) continue;
          const [from, to] = direction === 'egress' ? [rule.service, other] : [other, rule.service];
          const data = { from, to, ports: describeProtocols(rule.protocols) };
          const otherSpan = serviceSpan(other);
          context.report({
            messageId: direction === 'egress' ? 'noIngress' : 'noEgress',
            data,
            span: rule.span,
            related: otherSpan ? [{ message: `service \`${other}\``, span: otherSpan }] : [],
          });
          if (otherSpan) {
            context.report({
              messageId: direction === 'egress' ? 'otherSideIngress' : 'otherSideEgress',
              data,
              span: otherSpan,
              related: [{ message: `the ${direction} rule of \`${rule.service}\``, span: rule.span }],
            });
          }
        }
      }
    }
  },
});
