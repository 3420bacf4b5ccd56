import type { Span } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { type AddressSet, anySet, emptySet, subtractSets, unionSets } from '../net/address-set.js';
import { cidrRange, formatAddress } from '../net/address.js';
import { parsePeer } from '../net/peer.js';
import type { PolicySet } from '../policy/index.js';
import type { ResolveContext } from './context.js';

/** Words newcomers write for every address; the peer grammar's word is `any`. */
const ANY_SYNONYMS = new Set(['all', 'anywhere', 'everyone', 'everywhere', 'everything', 'world', 'internet', 'public', '*']);

/**
 * Resolves peers (`any`, CIDRs, networks, hosts, `service:<name>`) to concrete address sets:
 * nested networks flattened, exclusions subtracted, IPv4 and IPv6 kept apart, cycles reported with
 * both ends' positions.
 */
export class AddressResolver {
  private readonly networks = new Map<string, AddressSet>();
  private readonly services = new Map<string, AddressSet>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly policy: PolicySet,
    private readonly context: ResolveContext,
    private readonly hostAddresses: ReadonlyMap<string, AddressSet>,
    private readonly serviceHosts: ReadonlyMap<string, readonly string[]>,
  ) {}

  /**
   * The address set of the peer written as `text` at `spanAt()` (computed only when a problem is
   * reported); problems are reported, never thrown.
   */
  resolvePeer(text: string, spanAt: () => Span): AddressSet {
    const parsed = parsePeer(text);
    if (!parsed.ok) return emptySet();
    const peer = parsed.value;
    switch (peer.kind) {
      case 'any':
        return anySet();
      case 'cidr': {
        const { cidr } = peer;
        if (cidr.hostBitsSet) {
          const network = `${formatAddress(cidr.family, cidr.network)}/${cidr.prefix}`;
          this.context.report('cidr-host-bits', 'warning', `\`${text}\` has host bits set; it means ${network}`, spanAt());
        }
        return { ipv4: [], ipv6: [], [cidr.family]: [cidrRange(cidr)] } as AddressSet;
      }
      case 'network':
        return this.network(peer.name, spanAt) ?? this.unknown('network', peer.name, spanAt, this.networkNames());
      case 'host':
        return this.hostAddresses.get(peer.name) ?? this.unknown('host', peer.name, spanAt, this.hostAddresses.keys());
      case 'service':
        return this.service(peer.name, spanAt);
      case 'name': {
        const isNetwork = this.policy.networks?.data.networks[peer.name] !== undefined;
        const host = this.hostAddresses.get(peer.name);
        if (isNetwork && host) {
          this.context.report(
            'ambiguous-reference',
            'error',
            `\`${peer.name}\` is both a network and a host: write \`network:${peer.name}\` or \`host:${peer.name}\``,
            spanAt(),
          );
          return emptySet();
        }
        if (host) return host;
        if (isNetwork) return this.network(peer.name, spanAt)!;
        if (ANY_SYNONYMS.has(peer.name.toLowerCase())) {
          this.context.report('unknown-reference', 'error', `unknown network or host \`${peer.name}\`; did you mean \`any\` (every address)?`, spanAt());
          return emptySet();
        }
        return this.unknown('network or host', peer.name, spanAt, [...this.networkNames(), ...this.hostAddresses.keys()]);
      }
    }
  }

  /**
   * The addresses of a named network, or undefined when no network has that name. A reference counts
   * the network as used; `definition` (building the model of every network) does not, though the
   * networks it includes do.
   */
  network(name: string, referencedAt: () => Span, as: 'reference' | 'definition' = 'reference'): AddressSet | undefined {
    const definition = this.policy.networks?.data.networks[name];
    if (!definition) return undefined;
    if (as === 'reference') this.context.usedNetworks.add(name);
    const cached = this.networks.get(name);
    if (cached) return cached;
    const source = this.policy.networks!.source;
    if (this.inProgress.has(name)) {
      this.context.report('reference-cycle', 'error', `network \`${name}\` includes itself through this reference`, referencedAt(), [
        { message: `\`${name}\` is defined here`, span: source.spanOf(['networks', name], 'key') },
      ]);
      return emptySet();
    }
    this.inProgress.add(name);
    const resolveList = (field: 'include' | 'exclude') =>
      unionSets(...(definition[field] ?? []).map((item, i) => this.resolvePeer(item, () => source.spanOf(['networks', name, field, i]))));
    const addresses = subtractSets(resolveList('include'), resolveList('exclude'));
    this.inProgress.delete(name);
    this.networks.set(name, addresses);
    return addresses;
  }

  private service(name: string, spanAt: () => Span): AddressSet {
    const cached = this.services.get(name);
    if (cached) return cached;
    const hosts = this.serviceHosts.get(name);
    if (!hosts) return this.unknown('service', name, spanAt, this.serviceHosts.keys());
    const set = unionSets(...hosts.map((h) => this.hostAddresses.get(h) ?? emptySet()));
    this.services.set(name, set);
    return set;
  }

  private networkNames(): string[] {
    return Object.keys(this.policy.networks?.data.networks ?? {});
  }

  private unknown(kind: string, name: string, spanAt: () => Span, known: Iterable<string>): AddressSet {
    this.context.report('unknown-reference', 'error', `unknown ${kind} \`${name}\`${didYouMean(name, known)}`, spanAt());
    return emptySet();
  }
}
