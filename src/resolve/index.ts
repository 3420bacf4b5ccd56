import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { BaselineSettings, FleetModel, HostModel, NetworkModel, ResolvedRule } from '../model/index.js';
import type { PolicySet } from '../policy/index.js';
import { AddressResolver } from './addresses.js';
import { resolveBlocklist } from './blocklist.js';
import { ResolveContext } from './context.js';
import { hostAddressSet, placeServices, sshEndpoint } from './hosts.js';
import { PortSetResolver } from './port-sets.js';
import { resolveRules, type RuleSource } from './rules.js';
import { HOSTS_SERVICE, sshNarrowingRule } from './ssh-narrowing.js';

export { BLOCKLIST_EXPIRED } from './blocklist.js';

export interface ResolveOptions {
  /** The day expiry is judged against, `YYYY-MM-DD` (UTC); defaults to today. */
  today?: string;
}

export interface ResolveResult {
  model: FleetModel;
  diagnostics: Diagnostic[];
}

/** The service name the fleet defaults' rules carry; reserved for them. */
export const DEFAULTS_SERVICE = 'defaults';

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

function baseline(policy: PolicySet): BaselineSettings {
  const d = policy.defaults?.data.defaults ?? {};
  return {
    established: d.established ?? true,
    loopback: d.loopback ?? true,
    icmp: d.icmp ?? 'essential',
    logDrops: { enabled: d.logDrops?.enabled ?? true, ratePerMinute: d.logDrops?.ratePerMinute ?? 600 },
  };
}

/**
 * Resolves the validated policy into the fleet model: per host, the ordered input (ingress) and output
 * (egress) rules over concrete addresses and ports, each keeping its span. Order, first match wins:
 * the host's `ssh.allowFrom` narrowing (src/resolve/ssh-narrowing.ts), the fleet defaults' rules, then
 * each service running on the host by name, rules in file order.
 * `blocklist.yaml`'s entries in force apply to every host, before any rule.
 */
export function resolvePolicy(policy: PolicySet, options: ResolveOptions = {}): ResolveResult {
  const today = options.today ?? todayUtc();
  const context = new ResolveContext();
  const inventory = policy.hosts.data.hosts;
  const hostNames = Object.keys(inventory).sort();
  const hostAddresses = new Map(hostNames.map((name) => [name, hostAddressSet(inventory[name]!.addresses)]));

  for (const { data, source } of policy.services) {
    if (data.service === DEFAULTS_SERVICE) {
      context.report('reserved-name', 'error', `\`${DEFAULTS_SERVICE}\` is reserved for the fleet defaults' rules; rename the service`, source.spanOf(['service']));
    }
    if (data.service === HOSTS_SERVICE) {
      context.report('reserved-name', 'error', `\`${HOSTS_SERVICE}\` is reserved for the rules of \`ssh.allowFrom\` in hosts.yaml; rename the service`, source.spanOf(['service']));
    }
  }
  const placement = placeServices(policy, context);
  const addresses = new AddressResolver(policy, context, hostAddresses, placement);
  const ports = new PortSetResolver(policy, context);

  const lists: RuleSource[] = [];
  if (policy.defaults) {
    const { data, source } = policy.defaults;
    lists.push({ service: DEFAULTS_SERVICE, direction: 'ingress', rules: data.defaults.ingress ?? [], source, path: ['defaults', 'ingress'] });
    lists.push({ service: DEFAULTS_SERVICE, direction: 'egress', rules: data.defaults.egress ?? [], source, path: ['defaults', 'egress'] });
  }
  for (const { data, source } of policy.services) {
    lists.push({ service: data.service, direction: 'ingress', rules: data.ingress ?? [], source, path: ['ingress'] });
    lists.push({ service: data.service, direction: 'egress', rules: data.egress ?? [], source, path: ['egress'] });
  }
  const rulesByService = new Map<string, { ingress: ResolvedRule[]; egress: ResolvedRule[] }>();
  for (const list of lists) {
    const entry = rulesByService.get(list.service) ?? { ingress: [], egress: [] };
    entry[list.direction].push(...resolveRules(list, today, addresses, ports, context));
    rulesByService.set(list.service, entry);
  }

  const blocklist = resolveBlocklist(policy, today, addresses, context);

  const networks = new Map<string, NetworkModel>();
  for (const [name, definition] of Object.entries(policy.networks?.data.networks ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const span = policy.networks!.source.spanOf(['networks', name], 'key');
    const set = addresses.network(name, () => span, 'definition')!;
    networks.set(name, { name, addresses: set, tags: definition.tags ?? [], span });
  }

  const servicesOn = new Map<string, string[]>();
  for (const [service, on] of [...placement].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const host of on) servicesOn.set(host, [...(servicesOn.get(host) ?? []), service]);
  }
  const hosts: HostModel[] = hostNames.map((name, index) => {
    const definition = inventory[name]!;
    const services = servicesOn.get(name) ?? [];
    const rulesFor = (direction: 'ingress' | 'egress'): ResolvedRule[] =>
      [DEFAULTS_SERVICE, ...services].flatMap((service) => rulesByService.get(service)?.[direction] ?? []);
    const host: HostModel = {
      name,
      backend: definition.backend,
      addresses: hostAddresses.get(name)!,
      ssh: sshEndpoint(name, policy, context),
      tags: definition.tags ?? [],
      services,
      input: rulesFor('ingress'),
      output: rulesFor('egress'),
      blocklist,
      span: policy.hosts.source.spanOf(['hosts', name], 'key'),
    };
    if (definition.description !== undefined) host.description = definition.description;
    const narrowing = sshNarrowingRule(name, index, host.ssh.port, policy, addresses);
    if (narrowing) host.input.unshift(narrowing);
    return host;
  });

  return {
    model: {
      baseline: baseline(policy),
      hosts,
      networks,
      blocklist,
      today,
      usage: { networks: context.usedNetworks, portSets: context.usedPortSets },
    },
    diagnostics: context.diagnostics,
  };
}
