/**
 * The access stage: what each host's chains decide, as data.
 *
 * For every host and direction, and every family, the packet space of new connections (peer address
 * × protocol × destination port or ICMP type) is split into disjoint regions, each with its verdict
 * and the deciding rule (and so its span). The baseline decides first, as rules of its own: loopback
 * and conntrack state (facts of the chain), then the essential ICMP types; the policy rules follow in
 * order (first match wins) as ordered layers of first-match partitions (layers.ts, sweep.ts); what no
 * region holds is dropped by the default. This is the decision order of the evaluator and of both
 * emitted rulesets, so emit prints its maps from it, and lint, `query` and `diff` read it.
 *
 * Complexity per chain: O((S + B) · log² S) for S rule boxes and B regions, B bounded by layers.ts.
 */
import type { BaselineSettings, BlocklistEntry, Direction, FleetModel, HostModel, ProtocolMatch, ResolvedRule, Verdict } from '../model/index.js';
import { containsAddress } from '../net/address-set.js';
import { memoPerObject } from '../model/memo.js';
import type { AddressRange, Family } from '../net/address.js';
import { mergePortRanges } from '../net/port.js';
import { baselineIcmpTypes } from '../model/baseline.js';
import { type CompressedTerms, compressTerms, type LayerLimits, type LayerRegion, type LayerTerm, layeredPartition } from './layers.js';

export { layeredPartition, partition } from './layers.js';
export type { LayerLimits, LayerRegion, LayerTerm } from './layers.js';

/** Protocol classes with their own value dimension: ports for tcp/udp, types for ICMP, none for the rest. */
export type AccessClass = 'tcp' | 'udp' | 'icmp' | 'other';
export const ACCESS_CLASSES: readonly AccessClass[] = ['tcp', 'udp', 'icmp', 'other'];

/** Largest value of each class's second dimension. */
export const VALUE_MAX: Record<AccessClass, number> = { tcp: 65535, udp: 65535, icmp: 255, other: 0 };

export type Region = LayerRegion<ResolvedRule>;

export interface ClassAccess {
  /** Ordered layers: the first layer with a region containing the packet decides it (built on first read). */
  readonly layers: Region[][];
  /** Whether `layers` has been built. */
  readonly built: boolean;
  /** The class's terms in chain order, what the layers partition. */
  readonly terms: ReadonlyArray<LayerTerm<ResolvedRule>>;
  /** `terms` in compressed address coordinates (computed on first read; shared by the layers and the anomaly analysis). */
  readonly compressed: CompressedTerms;
}

export interface BaselineDecisions {
  /** Packets of established and related connections are accepted, invalid ones dropped. */
  established: boolean;
  /** Packets on the loopback interface are accepted. */
  loopback: boolean;
  /** ICMP (v4) or ICMPv6 types accepted from every peer before any rule. */
  icmpTypes: ReadonlySet<number>;
}

export interface FamilyAccess {
  baseline: BaselineDecisions;
  classes: Record<AccessClass, ClassAccess>;
}

export interface ChainAccess {
  host: HostModel;
  direction: Direction;
  rules: readonly ResolvedRule[];
  families: Record<Family, FamilyAccess>;
}

export interface HostAccess {
  host: HostModel;
  ingress: ChainAccess;
  egress: ChainAccess;
}

/** What decides a point of the packet space (new connections, not on loopback). */
export type Decision =
  | { verdict: 'drop'; reason: 'blocklist'; entry: BlocklistEntry }
  | { verdict: Verdict; reason: 'rule'; rule: ResolvedRule }
  | { verdict: 'accept'; reason: 'icmp-baseline' }
  | { verdict: 'drop'; reason: 'default-drop' };

const FULL_PORTS = { from: 0, to: 65535 };
const FULL_TYPES = { from: 0, to: 255 };

/** The values (ports, ICMP types) protocol matches cover in each class of one family, merged. */
export function classValues(protocols: readonly ProtocolMatch[], family: Family): Record<AccessClass, Array<{ from: number; to: number }>> {
  const values: Record<AccessClass, Array<{ from: number; to: number }>> = { tcp: [], udp: [], icmp: [], other: [] };
  const icmpProtocol = family === 'ipv4' ? 'icmp' : 'icmpv6';
  for (const match of protocols) {
    switch (match.protocol) {
      case 'any':
        values.tcp.push(FULL_PORTS);
        values.udp.push(FULL_PORTS);
        values.icmp.push(FULL_TYPES);
        values.other.push({ from: 0, to: 0 });
        break;
      case 'tcp':
      case 'udp':
        values[match.protocol].push(...match.ports);
        break;
      case 'icmp':
      case 'icmpv6':
        if (match.protocol !== icmpProtocol) break;
        values.icmp.push(...(match.types === 'any' ? [FULL_TYPES] : match.types.map((t) => ({ from: t, to: t }))));
        break;
      default: {
        const never: never = match;
        throw new Error(`unexpected protocol match ${JSON.stringify(never)}`);
      }
    }
  }
  for (const cls of ACCESS_CLASSES) values[cls] = mergePortRanges(values[cls]);
  return values;
}

/** `classValues` per protocol list and family (a rule lands on every host of its service; the values are never mutated). */
const classValuesMemo = memoPerObject<readonly ProtocolMatch[], Record<AccessClass, Array<{ from: number; to: number }>>>();

/** The terms each class partitions, one per rule that matches in it, in chain order. */
export function classTerms<R extends Pick<ResolvedRule, 'peers' | 'protocols'>>(rules: readonly R[], family: Family): Record<AccessClass, LayerTerm<R>[]> {
  const out: Record<AccessClass, LayerTerm<R>[]> = { tcp: [], udp: [], icmp: [], other: [] };
  for (const rule of rules) {
    const addresses: AddressRange[] = rule.peers[family];
    if (addresses.length === 0) continue;
    const values = classValuesMemo(rule.protocols, family, () => classValues(rule.protocols, family));
    for (const cls of ACCESS_CLASSES) {
      if (values[cls].length > 0) out[cls].push({ label: rule, addresses, values: values[cls] });
    }
  }
  return out;
}

/** The access of one chain: the baseline and the layered partition of its rules, per family and class. */
export function chainAccess(host: HostModel, direction: Direction, baseline: BaselineSettings, limits?: LayerLimits): ChainAccess {
  const rules = direction === 'ingress' ? host.input : host.output;
  const icmp = baselineIcmpTypes(baseline.icmp);
  const family = (f: Family): FamilyAccess => {
    const terms = classTerms(rules, f);
    // Each class's partition is built on first use: `query` on one port needs one of the eight.
    const lazy = (cls: AccessClass): ClassAccess => {
      let layers: Region[][] | undefined;
      let compressed: CompressedTerms | undefined;
      return {
        get compressed() {
          return (compressed ??= compressTerms(terms[cls]));
        },
        get layers() {
          return (layers ??= layeredPartition(terms[cls], limits, this.compressed));
        },
        get built() {
          return layers !== undefined;
        },
        terms: terms[cls],
      };
    };
    return {
      baseline: { established: baseline.established, loopback: baseline.loopback, icmpTypes: f === 'ipv4' ? icmp.icmp : icmp.icmpv6 },
      classes: { tcp: lazy('tcp'), udp: lazy('udp'), icmp: lazy('icmp'), other: lazy('other') },
    };
  };
  return { host, direction, rules, families: { ipv4: family('ipv4'), ipv6: family('ipv6') } };
}

/** Both chains of a host; `limits` bound each layer's size (tests use tiny ones to force layers). */
export function hostAccess(host: HostModel, baseline: BaselineSettings, limits?: LayerLimits): HostAccess {
  return { host, ingress: chainAccess(host, 'ingress', baseline, limits), egress: chainAccess(host, 'egress', baseline, limits) };
}

/** Every host's access, built once on first use per host. */
export class FleetAccess {
  private readonly cache = new Map<string, HostAccess>();
  constructor(readonly model: FleetModel) {}

  host(host: HostModel): HostAccess {
    let access = this.cache.get(host.name);
    if (!access) this.cache.set(host.name, (access = hostAccess(host, this.model.baseline)));
    return access;
  }

  chain(host: HostModel, direction: Direction): ChainAccess {
    const access = this.host(host);
    return direction === 'ingress' ? access.ingress : access.egress;
  }
}

/** The class a packet of `protocol` falls in for a family (ICMP of the other family is "other"). */
export function classOf(protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other', family: Family): AccessClass {
  if (protocol === 'tcp' || protocol === 'udp') return protocol;
  if ((protocol === 'icmp' && family === 'ipv4') || (protocol === 'icmpv6' && family === 'ipv6')) return 'icmp';
  return 'other';
}

/**
 * The deciding rule of the chain at one point, or undefined (default drop). A class whose partition is
 * not built yet answers from its terms (the first term holding the point, O(terms)), so one question
 * does not pay for the whole partition; the answer is the same (test/access/model.test.ts).
 */
export function ruleAt(chain: ChainAccess, family: Family, cls: AccessClass, peer: bigint, value: number): ResolvedRule | undefined {
  const access = chain.families[family].classes[cls];
  if (access.built) return regionAt(chain, family, cls, peer, value)?.label;
  const term = access.terms.find((t) => t.values.some((v) => v.from <= value && value <= v.to) && t.addresses.some((r) => r.start <= peer && peer <= r.end));
  return term?.label;
}

/** The region of the chain's rules containing the point, or undefined (default drop). */
export function regionAt(chain: ChainAccess, family: Family, cls: AccessClass, peer: bigint, value: number): Region | undefined {
  for (const layer of chain.families[family].classes[cls].layers) {
    const hit = layer.find((r) => r.start <= peer && peer <= r.end && r.from <= value && value <= r.to);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * What the chain decides for a new connection (not on loopback) at one point of the packet space. The
 * host's `blocklist.yaml` entries come first, as in both emitted rulesets (the dynamic entries of
 * `benteng block` live only on the servers and are not part of the policy).
 */
export function decide(chain: ChainAccess, family: Family, cls: AccessClass, peer: bigint, value: number): Decision {
  const entry = chain.host.blocklist.find((e) => containsAddress(e.addresses, family, peer));
  if (entry) return { verdict: 'drop', reason: 'blocklist', entry };
  if (cls === 'icmp' && chain.families[family].baseline.icmpTypes.has(value)) return { verdict: 'accept', reason: 'icmp-baseline' };
  const rule = ruleAt(chain, family, cls, peer, value);
  if (rule) return { verdict: rule.action, reason: 'rule', rule };
  return { verdict: 'drop', reason: 'default-drop' };
}

/** Number of regions and layers of a chain, for `build`'s summary. */
export function chainSize(chain: ChainAccess): { regions: number; layers: number } {
  let regions = 0;
  let layers = 0;
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const cls of ACCESS_CLASSES) {
      const l = chain.families[family].classes[cls].layers;
      layers = Math.max(layers, l.length);
      for (const layer of l) regions += layer.length;
    }
  }
  return { regions, layers };
}
