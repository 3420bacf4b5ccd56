import type { Span } from '../../diagnostics/diagnostic.js';
import type { HostModel, ProtocolMatch, ResolvedRule } from '../../model/index.js';
import { acceptanceOver } from '../../access/exposure.js';
import { ACCESS_CLASSES, type ChainAccess, classValues } from '../../access/index.js';
import { type AddressSet, unionSets } from '../../net/address-set.js';
import { parsePeer } from '../../net/peer.js';
import { defineRule } from '../rule.js';
import { DEFAULTS, describeProtocols, placedRules } from '../rule-views.js';

type Acceptance = 'all' | 'some' | 'none';

type ClassValues = ReturnType<typeof classValues>;

/**
 * How much of the traffic from or to `peers` on `protocols` the chain accepts, decided from its access
 * model: every value interval of every class the protocols name, cut over every peer, per family.
 */
function acceptance(chain: ChainAccess, peers: AddressSet, protocols: Record<'ipv4' | 'ipv6', ClassValues>): Acceptance {
  const byFamily: Acceptance[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (peers[family].length === 0) continue;
    let some = false;
    let all = true;
    const values = protocols[family];
    for (const cls of ACCESS_CLASSES) {
      for (const { from, to } of values[cls]) {
        const over = acceptanceOver(chain, family, cls, peers[family], from, to);
        some ||= over.some;
        all &&= over.all;
      }
    }
    byFamily.push(all && some ? 'all' : some ? 'some' : 'none');
  }
  // A family accepted not at all while another is, is family-parity's finding, not a partial flow.
  const open = byFamily.filter((a) => a !== 'none');
  if (open.length === 0) return 'none';
  return open.every((a) => a === 'all') ? 'all' : 'some';
}


/**
 * Both ends of a flow between services must allow it: service A's egress rule to `service:B` needs an
 * ingress rule on B's hosts that accepts A's hosts on those ports, and B's ingress rule from
 * `service:A` needs an egress rule on A's hosts towards B. A missing side is reported on both: at the
 * rule that exists and at the other service.
 */
export default defineRule<Record<string, never>, 'noIngress' | 'noEgress' | 'otherSideIngress' | 'otherSideEgress' | 'partialIngress' | 'partialEgress'>({
  meta: {
    id: 'cross-service-consistency',
    defaultSeverity: 'warning',
    description: 'One service allows a flow to or from another service that the other service does not allow.',
    messages: {
      noIngress: '`{{from}}` sends to `service:{{to}}` on {{ports}}, but no ingress rule on {{to}}\'s hosts accepts it: add the ingress rule to {{to}}',
      otherSideIngress: '`{{from}}` sends to this service on {{ports}}, but `{{to}}` accepts none of it: add an ingress rule `from: service:{{from}}`',
      noEgress: '`{{to}}` accepts `service:{{from}}` on {{ports}}, but no egress rule on {{from}}\'s hosts sends it: add the egress rule to {{from}}',
      otherSideEgress: '`{{to}}` accepts this service on {{ports}}, but `{{from}}` may not send it: add an egress rule `to: service:{{to}}`',
      partialIngress: '`{{from}}` sends to `service:{{to}}` on {{ports}}, but {{to}}\'s hosts accept only part of it: align the ports and peers of both sides',
      partialEgress: '`{{to}}` accepts `service:{{from}}` on {{ports}}, but {{from}}\'s hosts may send only part of it: align the ports and peers of both sides',
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
    // Every service's hosts in one pass over the fleet (the defaults land on every host).
    const hostsByService = new Map<string, HostModel[]>([[DEFAULTS, [...model.hosts]]]);
    for (const host of model.hosts) {
      for (const name of host.services) {
        const list = hostsByService.get(name);
        if (list) list.push(host);
        else hostsByService.set(name, [host]);
      }
    }
    const hostsOf = (name: string): HostModel[] => {
      let hosts = hostsByService.get(name);
      if (!hosts) hostsByService.set(name, (hosts = []));
      return hosts;
    };
    const addressesByService = new Map<string, AddressSet>();
    const addressesOf = (name: string): AddressSet => {
      let set = addressesByService.get(name);
      if (!set) {
        const hosts = hostsOf(name);
        addressesByService.set(name, (set = hosts.length === 0 ? { ipv4: [], ipv6: [] } : unionSets(...hosts.map((h) => h.addresses))));
      }
      return set;
    };
    // Many rules ask the same question (same two services, direction and ports): answer it once.
    const answers = new Map<string, Acceptance>();
    // Rules of many hosts and services repeat the same peers and ports: parse and split each once.
    const serviceNames = new Map<string, string | undefined>();
    const serviceName = (text: string): string | undefined => {
      if (!text.startsWith('service:')) return undefined;
      if (serviceNames.has(text)) return serviceNames.get(text);
      const parsed = parsePeer(text);
      const name = parsed.ok && parsed.value.kind === 'service' ? parsed.value.name : undefined;
      serviceNames.set(text, name);
      return name;
    };
    const named = (rule: ResolvedRule): string[] => rule.peerText.flatMap((text) => serviceName(text) ?? []);
    const portsText = new WeakMap<readonly ProtocolMatch[], string>();
    const portsOf = (protocols: readonly ProtocolMatch[]): string => {
      let text = portsText.get(protocols);
      if (text === undefined) portsText.set(protocols, (text = describeProtocols(protocols)));
      return text;
    };
    const valuesByProtocols = new WeakMap<readonly ProtocolMatch[], Record<'ipv4' | 'ipv6', ClassValues>>();
    const valuesOf = (protocols: readonly ProtocolMatch[]): Record<'ipv4' | 'ipv6', ClassValues> => {
      let values = valuesByProtocols.get(protocols);
      if (!values) valuesByProtocols.set(protocols, (values = { ipv4: classValues(protocols, 'ipv4'), ipv6: classValues(protocols, 'ipv6') }));
      return values;
    };

    for (const direction of ['egress', 'ingress'] as const) {
      for (const { rule } of placedRules(model, direction)) {
        if (rule.action !== 'accept') continue;
        for (const other of named(rule)) {
          const otherHosts = hostsOf(other);
          if (otherHosts.length === 0) continue;
          const question = `${direction} ${rule.service} ${other} ${portsOf(rule.protocols)}`;
          let answered = answers.get(question);
          if (answered === undefined) {
            const ownAddresses = addressesOf(rule.service);
            const values = valuesOf(rule.protocols);
            const each = otherHosts.map((h) => acceptance(context.access.chain(h, direction === 'egress' ? 'ingress' : 'egress'), ownAddresses, values));
            answered = each.every((a) => a === 'all') ? 'all' : each.every((a) => a === 'none') ? 'none' : 'some';
            answers.set(question, answered);
          }
          if (answered === 'all') continue;
          const [from, to] = direction === 'egress' ? [rule.service, other] : [other, rule.service];
          const data = { from, to, ports: portsOf(rule.protocols) };
          const otherSpan = serviceSpan(other);
          if (answered === 'some') {
            context.report({
              messageId: direction === 'egress' ? 'partialIngress' : 'partialEgress',
              data,
              span: rule.span,
              related: otherSpan ? [{ message: `service \`${other}\``, span: otherSpan }] : [],
            });
            continue;
          }
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
