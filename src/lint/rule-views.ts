import type { Span } from '../diagnostics/diagnostic.js';
import type { PathSegment, YamlSource } from '../load/index.js';
import type { Direction, Family, FleetModel, HostModel, ProtocolMatch, ResolvedRule } from '../model/index.js';
import { type AddressSet, emptySet, unionSets } from '../net/address-set.js';
import { cidrRange, parseCidr } from '../net/address.js';
import type { PolicySet } from '../policy/index.js';
import type { EgressRule, IngressRule } from '../policy/types.generated.js';

/** The service name the fleet defaults' rules carry in the model (see src/resolve). */
export const DEFAULTS = 'defaults';

/** One rule as written in the policy, with where it is. */
export interface PolicyRuleView {
  service: string;
  direction: Direction;
  index: number;
  rule: IngressRule | EgressRule;
  source: YamlSource;
  /** The span of a path inside the rule (`at()` is the rule's list item). */
  at(...path: PathSegment[]): Span;
}

/** Every rule of the defaults and the services, in file order. */
export function policyRules(policy: PolicySet): PolicyRuleView[] {
  const out: PolicyRuleView[] = [];
  const add = (service: string, direction: Direction, rules: ReadonlyArray<IngressRule | EgressRule>, source: YamlSource, path: PathSegment[]) => {
    rules.forEach((rule, index) => {
      out.push({ service, direction, index, rule, source, at: (...rest) => source.spanOf([...path, index, ...rest]) });
    });
  };
  if (policy.defaults) {
    const { data, source } = policy.defaults;
    add(DEFAULTS, 'ingress', data.defaults.ingress ?? [], source, ['defaults', 'ingress']);
    add(DEFAULTS, 'egress', data.defaults.egress ?? [], source, ['defaults', 'egress']);
  }
  for (const { data, source } of policy.services) {
    add(data.service, 'ingress', data.ingress ?? [], source, ['ingress']);
    add(data.service, 'egress', data.egress ?? [], source, ['egress']);
  }
  return out;
}

/** A policy rule as resolved on every host it lands on. */
export interface PlacedRule {
  rule: ResolvedRule;
  hosts: HostModel[];
}

/** The model's rules of one direction, once per policy rule (by id), with the hosts they land on. */
export function placedRules(model: FleetModel, direction: Direction): PlacedRule[] {
  const byId = new Map<string, PlacedRule>();
  for (const host of model.hosts) {
    for (const rule of direction === 'ingress' ? host.input : host.output) {
      const placed = byId.get(rule.id);
      if (placed) placed.hosts.push(host);
      else byId.set(rule.id, { rule, hosts: [host] });
    }
  }
  return [...byId.values()];
}

/** `web-01, web-02` (at most `limit` names, then "and N more"). */
export function hostList(hosts: readonly { name: string }[], limit = 5): string {
  const names = hosts.map((h) => h.name);
  if (names.length <= limit) return names.join(', ');
  return `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}

/** Whether the protocol matches admit destination port `port` of `transport` (tcp or udp). */
export function matchesPort(protocols: readonly ProtocolMatch[], port: number, transport?: 'tcp' | 'udp'): boolean {
  return protocols.some((m) => {
    if (m.protocol === 'any') return true;
    if (m.protocol !== 'tcp' && m.protocol !== 'udp') return false;
    if (transport && m.protocol !== transport) return false;
    return m.ports.some((r) => port >= r.from && port <= r.to);
  });
}

/** The largest number of tcp or udp ports the matches admit (65,536 for `any`). */
export function widestPortCount(protocols: readonly ProtocolMatch[]): number {
  let widest = 0;
  for (const m of protocols) {
    if (m.protocol === 'any') return 65536;
    if (m.protocol === 'tcp' || m.protocol === 'udp') widest = Math.max(widest, m.ports.reduce((n, r) => n + r.to - r.from + 1, 0));
  }
  return widest;
}

/** Whether some packet matches both lists of protocol matches. */
export function protocolsOverlap(a: readonly ProtocolMatch[], b: readonly ProtocolMatch[]): boolean {
  return a.some((x) =>
    b.some((y) => {
      if (x.protocol === 'any' || y.protocol === 'any') return true;
      if (x.protocol !== y.protocol) return false;
      if ((x.protocol === 'tcp' || x.protocol === 'udp') && (y.protocol === 'tcp' || y.protocol === 'udp')) {
        return x.ports.some((r) => y.ports.some((s) => r.from <= s.to && s.from <= r.to));
      }
      if ((x.protocol === 'icmp' || x.protocol === 'icmpv6') && (y.protocol === 'icmp' || y.protocol === 'icmpv6')) {
        return x.types === 'any' || y.types === 'any' || x.types.some((t) => (y.types as number[]).includes(t));
      }
      return false;
    }),
  );
}

/** The families the host has addresses in: traffic of another family cannot reach it at all. */
export function hostFamilies(host: HostModel): Family[] {
  return (['ipv4', 'ipv6'] as const).filter((f) => host.addresses[f].length > 0);
}

/** The union of the networks tagged `admin`. */
export function adminAddresses(model: FleetModel): { set: AddressSet; names: string[] } {
  const admin = [...model.networks.values()].filter((n) => n.tags.includes('admin'));
  return { set: admin.length === 0 ? emptySet() : unionSets(...admin.map((n) => n.addresses)), names: admin.map((n) => n.name) };
}

/** The addresses one `blocklist.yaml` item stands for (the schema guarantees that it parses). */
export function blockItemSet(text: string): AddressSet {
  const parsed = parseCidr(text);
  const set = emptySet();
  if (parsed.ok) set[parsed.value.family].push(cidrRange(parsed.value));
  return set;
}

/** `tcp/80-443, udp/53, icmp` — protocol matches as a person writes them. */
export function describeProtocols(protocols: readonly ProtocolMatch[]): string {
  return protocols
    .map((m) => {
      if (m.protocol === 'any') return 'every protocol';
      if ('ports' in m) return m.ports.map((r) => `${m.protocol}/${r.from === r.to ? r.from : `${r.from}-${r.to}`}`).join(', ');
      return m.types === 'any' ? m.protocol : m.types.map((t) => `${m.protocol}/${t}`).join(', ');
    })
    .join(', ');
}
