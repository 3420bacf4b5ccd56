/**
 * Lowers one host's model to the nftables IR: one table `inet benteng` with input and output base
 * chains (policy drop) and, per chain and family, at most three verdict maps keyed by
 * `peer . l4proto . dport`, `peer . icmp type` and `peer`. Each map is the first-match partition of the
 * chain's rules (see partition.ts), so a packet takes a constant number of lookups however many
 * services the host runs, and overlapping rules with different verdicts still decide as written.
 * Before the maps: the dynamic blocklist sets (`benteng block`), the static sets of `blocklist.yaml`,
 * loopback, conntrack and essential ICMP. A logging rule's map elements go to a small chain of its own
 * (log-keys.ts); the chains end in a rate-limited log of the default drop.
 * Semantics from nft(8): verdict maps, interval concatenations, per-element counters and comments.
 */
import { NFT_BLOCKLIST_POLICY_V4, NFT_BLOCKLIST_POLICY_V6, NFT_BLOCKLIST_V4, NFT_BLOCKLIST_V6, NFT_FAMILY, NFT_TABLE } from '../build/compiled-host.js';
import type { BaselineSettings, BlocklistEntry, Direction, HostModel, ResolvedRule } from '../model/index.js';
import type { Family } from '../net/address.js';
import { normalizeRanges } from '../net/address-set.js';
import { baselineIcmpTypes, ESSENTIAL_ICMP_TYPES } from '../model/baseline.js';
import { NFT_COMMENT_MAX, ruleComment } from './comment.js';
import { assertNever, type NftChain, type NftElement, type NftKeyPart, type NftRule, type NftRuleset, type NftSelector, type NftSet, type NftVerdict } from './ir.js';
import { type HostLogKeys, hostLogKeys, LOG_BURST } from './log-keys.js';
import { type ChainAccess, chainAccess, type HostAccess, type Region } from '../access/index.js';

/** ICMP types accepted by the baseline when `icmp: essential` (RFC 4890 for ICMPv6), shared with the evaluator. */
export const ESSENTIAL_ICMP: Record<'icmp' | 'icmpv6', number[]> = {
  icmp: [...ESSENTIAL_ICMP_TYPES.icmp],
  icmpv6: [...ESSENTIAL_ICMP_TYPES.icmpv6],
};

const REJECT_CHAIN = 'reject_packet';

interface ChainSpec {
  direction: Direction;
  chain: 'input' | 'output';
  peer: { ipv4: NftSelector; ipv6: NftSelector };
  iface: 'iif' | 'oif';
}

const CHAINS: readonly ChainSpec[] = [
  { direction: 'ingress', chain: 'input', peer: { ipv4: 'ip saddr', ipv6: 'ip6 saddr' }, iface: 'iif' },
  { direction: 'egress', chain: 'output', peer: { ipv4: 'ip daddr', ipv6: 'ip6 daddr' }, iface: 'oif' },
];

const FAMILY_SUFFIX: Record<Family, string> = { ipv4: 'v4', ipv6: 'v6' };

/**
 * The chain a logging rule's packets go to from the verdict maps (a map's verdict cannot log):
 * `log_<service>_<direction>_<index>`, which logs rate-limited under the rule's key, counts and decides.
 */
export function logChainName(rule: ResolvedRule): string {
  return `log_${rule.service}_${rule.direction}_${rule.index}`;
}

function actionVerdict(rule: ResolvedRule): NftVerdict {
  switch (rule.action) {
    case 'accept':
      return { kind: 'accept' };
    case 'drop':
      return { kind: 'drop' };
    case 'reject':
      return { kind: 'goto', chain: REJECT_CHAIN };
    default:
      return assertNever(rule.action, 'action');
  }
}

function ruleVerdict(rule: ResolvedRule, logs: HostLogKeys): NftVerdict {
  return logs.rule(rule) ? { kind: 'goto', chain: logChainName(rule) } : actionVerdict(rule);
}

type Shape = 'ports' | 'icmp' | 'any';

function addressPart(family: Family, region: Region): NftKeyPart {
  return { kind: 'address', family, start: region.start, end: region.end };
}

function element(rule: ResolvedRule, key: NftKeyPart[], logs: HostLogKeys): NftElement {
  return { key, verdict: ruleVerdict(rule, logs), comment: ruleComment(rule.id, rule.description, NFT_COMMENT_MAX) };
}

function verdictMap(name: string, keyTypes: NftSet['keyTypes'], elements: NftElement[]): NftSet {
  return { name, kind: 'vmap', keyTypes, flags: ['interval'], counter: true, elements };
}

interface Lowered {
  sets: NftSet[];
  rules: NftRule[];
}

const byRuleThenAddress = (order: ReadonlyMap<ResolvedRule, number>) => (a: Region, b: Region) =>
  order.get(a.label)! - order.get(b.label)! || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0) || a.from - b.from;

/**
 * One family of one chain: per key shape, one verdict map per layer of the access model (usually one),
 * looked up in order, so first match holds across layers too.
 */
function lowerFamily(spec: ChainSpec, family: Family, access: ChainAccess, logs: HostLogKeys): Lowered {
  const classes = access.families[family].classes;
  const order = new Map(access.rules.map((rule, i) => [rule, i]));
  const sortRegions = byRuleThenAddress(order);
  const addrType = family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr';
  const icmpProtocol = family === 'ipv4' ? 'icmp' : 'icmpv6';
  const peer = spec.peer[family];
  const base = `${spec.chain}_${FAMILY_SUFFIX[family]}`;
  const sets: NftSet[] = [];
  const out: NftRule[] = [];
  const shapes: Shape[] = ['ports', 'icmp', 'any'];
  for (const shape of shapes) {
    let layers: NftElement[][];
    let keyTypes: NftSet['keyTypes'];
    let selectors: NftSelector[];
    switch (shape) {
      case 'ports': {
        const count = Math.max(classes.tcp.layers.length, classes.udp.layers.length);
        layers = Array.from({ length: count }, (_, k) => {
          const regions = [
            ...(classes.tcp.layers[k] ?? []).map((region) => ({ protocol: 'tcp' as const, region })),
            ...(classes.udp.layers[k] ?? []).map((region) => ({ protocol: 'udp' as const, region })),
          ];
          regions.sort((a, b) => sortRegions(a.region, b.region));
          return regions.map(({ protocol, region }) =>
            element(region.label, [addressPart(family, region), { kind: 'protocol', protocol }, { kind: 'range', from: region.from, to: region.to }], logs),
          );
        });
        keyTypes = [addrType, 'inet_proto', 'inet_service'];
        selectors = [peer, 'meta l4proto', 'th dport'];
        break;
      }
      case 'icmp':
        layers = classes.icmp.layers.map((layer) =>
          [...layer].sort(sortRegions).map((region) =>
            element(
              region.label,
              region.from === region.to
                ? [addressPart(family, region), { kind: 'icmp-type', protocol: icmpProtocol, type: region.from }]
                : [addressPart(family, region), { kind: 'range', from: region.from, to: region.to }],
              logs,
            ),
          ),
        );
        keyTypes = [addrType, family === 'ipv4' ? 'icmp_type' : 'icmpv6_type'];
        selectors = [peer, family === 'ipv4' ? 'icmp type' : 'icmpv6 type'];
        break;
      case 'any':
        layers = classes.other.layers.map((layer) => [...layer].sort(sortRegions).map((region) => element(region.label, [addressPart(family, region)], logs)));
        keyTypes = [addrType];
        selectors = [peer];
        break;
      default:
        return assertNever(shape, 'key shape');
    }
    layers.forEach((elements, k) => {
      if (elements.length === 0) return;
      const name = k === 0 ? `${base}_${shape}` : `${base}_${shape}_${k + 1}`;
      const what = shape === 'ports' ? 'peer, protocol and port' : shape === 'icmp' ? 'peer and ICMP type' : 'peer';
      sets.push(verdictMap(name, keyTypes, elements));
      out.push({
        matches: [],
        statements: [],
        end: { kind: 'vmap', selectors, map: name },
        comment: `${spec.chain} ${FAMILY_SUFFIX[family]} rules by ${what}${layers.length > 1 ? ` (layer ${k + 1} of ${layers.length})` : ''}`,
      });
    });
  }
  return { sets, rules: out };
}

const POLICY_BLOCKLIST: Record<Family, string> = { ipv4: NFT_BLOCKLIST_POLICY_V4, ipv6: NFT_BLOCKLIST_POLICY_V6 };

/**
 * `blocklist.yaml`'s entries of one family as one static interval set, or undefined when there are
 * none. Elements are the union of the entries' addresses (an interval set refuses overlapping
 * elements), each commented with the reason of the first entry it holds addresses of.
 */
function policyBlocklistSet(entries: readonly BlocklistEntry[], family: Family): NftSet | undefined {
  const ranges = normalizeRanges(entries.flatMap((entry) => entry.addresses[family]));
  if (ranges.length === 0) return undefined;
  const elements = ranges.map((range): NftElement => {
    const first = entries.find((entry) => entry.addresses[family].some((r) => r.start <= range.end && range.start <= r.end))!;
    return { key: [{ kind: 'address', family, start: range.start, end: range.end }], comment: ruleComment('blocklist', first.reason, NFT_COMMENT_MAX) };
  });
  const keyType = family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr';
  return { name: POLICY_BLOCKLIST[family], kind: 'set', keyTypes: [keyType], flags: ['interval'], counter: false, elements, comment: 'benteng blocklist.yaml: permanent entries' };
}

function baselineRules(spec: ChainSpec, baseline: BaselineSettings, policyBlocklist: readonly Family[]): NftRule[] {
  const counter = { kind: 'counter' } as const;
  const rules: NftRule[] = [
    { matches: [{ kind: 'in-set', selectors: [spec.peer.ipv4], set: NFT_BLOCKLIST_V4 }], statements: [counter], end: { kind: 'drop' }, comment: 'blocklist' },
    { matches: [{ kind: 'in-set', selectors: [spec.peer.ipv6], set: NFT_BLOCKLIST_V6 }], statements: [counter], end: { kind: 'drop' }, comment: 'blocklist' },
    ...policyBlocklist.map(
      (family): NftRule => ({ matches: [{ kind: 'in-set', selectors: [spec.peer[family]], set: POLICY_BLOCKLIST[family] }], statements: [counter], end: { kind: 'drop' }, comment: 'blocklist (policy)' }),
    ),
  ];
  if (baseline.loopback) {
    rules.push({ matches: [{ kind: 'interface', direction: spec.iface, name: 'lo' }], statements: [counter], end: { kind: 'accept' }, comment: 'defaults: loopback' });
  }
  if (baseline.established) {
    rules.push(
      { matches: [{ kind: 'ct-state', states: ['established', 'related'] }], statements: [counter], end: { kind: 'accept' }, comment: 'defaults: established, related' },
      { matches: [{ kind: 'ct-state', states: ['invalid'] }], statements: [counter], end: { kind: 'drop' }, comment: 'defaults: invalid' },
    );
  }
  const icmpTypes = baselineIcmpTypes(baseline.icmp);
  if (icmpTypes.icmp.size > 0) {
    rules.push({ matches: [{ kind: 'in-set', selectors: ['icmp type'], set: 'essential_icmp' }], statements: [counter], end: { kind: 'accept' }, comment: 'defaults: essential ICMP' });
  }
  if (icmpTypes.icmpv6.size > 0) {
    rules.push({ matches: [{ kind: 'in-set', selectors: ['icmpv6 type'], set: 'essential_icmpv6' }], statements: [counter], end: { kind: 'accept' }, comment: 'defaults: essential ICMPv6' });
  }
  return rules;
}

function typeSet(name: string, protocol: 'icmp' | 'icmpv6', types: ReadonlySet<number>): NftSet {
  return {
    name,
    kind: 'set',
    keyTypes: [protocol === 'icmp' ? 'icmp_type' : 'icmpv6_type'],
    flags: [],
    counter: false,
    elements: ESSENTIAL_ICMP[protocol].filter((type) => types.has(type)).map((type) => ({ key: [{ kind: 'icmp-type', protocol, type }] })),
  };
}

function helperChains(host: HostModel, baseline: BaselineSettings, logs: HostLogKeys): NftChain[] {
  const all = [...host.input, ...host.output];
  const chains: NftChain[] = [];
  if (all.some((r) => r.action === 'reject')) {
    chains.push({
      name: REJECT_CHAIN,
      rules: [
        { matches: [{ kind: 'protocol', protocol: 'tcp' }], statements: [{ kind: 'counter' }], end: { kind: 'reject', with: 'tcp-reset' } },
        { matches: [], statements: [{ kind: 'counter' }], end: { kind: 'reject', with: 'icmpx-admin-prohibited' } },
      ],
    });
  }
  for (const rule of all) {
    const key = logs.rule(rule);
    if (!key) continue;
    chains.push({
      name: logChainName(rule),
      comment: ruleComment(rule.id, rule.description, NFT_COMMENT_MAX),
      rules: [
        { matches: [], statements: [{ kind: 'limit', perMinute: baseline.logDrops.ratePerMinute, burst: LOG_BURST }, { kind: 'log', key }], end: { kind: 'continue' } },
        { matches: [], statements: [{ kind: 'counter' }], end: actionVerdict(rule), comment: rule.id },
      ],
    });
  }
  return chains.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The whole `nft -f` file for one host as IR. */
export function lowerNftables(host: HostModel, baseline: BaselineSettings, access?: HostAccess): NftRuleset {
  const sets: NftSet[] = [
    { name: NFT_BLOCKLIST_V4, kind: 'set', keyTypes: ['ipv4_addr'], flags: ['interval', 'timeout'], counter: false, elements: [], comment: 'benteng block: dynamic entries' },
    { name: NFT_BLOCKLIST_V6, kind: 'set', keyTypes: ['ipv6_addr'], flags: ['interval', 'timeout'], counter: false, elements: [], comment: 'benteng block: dynamic entries' },
  ];
  const policyBlocklist: Family[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const set = policyBlocklistSet(host.blocklist, family);
    if (!set) continue;
    sets.push(set);
    policyBlocklist.push(family);
  }
  const icmpTypes = baselineIcmpTypes(baseline.icmp);
  if (icmpTypes.icmp.size > 0) sets.push(typeSet('essential_icmp', 'icmp', icmpTypes.icmp));
  if (icmpTypes.icmpv6.size > 0) sets.push(typeSet('essential_icmpv6', 'icmpv6', icmpTypes.icmpv6));
  const logs = hostLogKeys(host, baseline);
  const baseChains: NftChain[] = [];
  for (const spec of CHAINS) {
    const chain = access ? (spec.direction === 'ingress' ? access.ingress : access.egress) : chainAccess(host, spec.direction, baseline);
    const chainRules = baselineRules(spec, baseline, policyBlocklist);
    for (const family of ['ipv4', 'ipv6'] as const) {
      const lowered = lowerFamily(spec, family, chain, logs);
      sets.push(...lowered.sets);
      chainRules.push(...lowered.rules);
    }
    if (logs.defaults) {
      chainRules.push({
        matches: [],
        statements: [{ kind: 'limit', perMinute: baseline.logDrops.ratePerMinute, burst: LOG_BURST }, { kind: 'log', key: logs.defaults[spec.direction] }],
        end: { kind: 'continue' },
        comment: 'defaults: log drops',
      });
    }
    chainRules.push({ matches: [], statements: [{ kind: 'counter' }], end: { kind: 'drop' }, comment: 'defaults: default drop' });
    baseChains.push({ name: spec.chain, base: { hook: spec.chain, policy: 'drop' }, rules: chainRules });
  }
  return {
    header: [
      `benteng ruleset for host ${host.name} (nftables), generated by \`benteng build\`: do not edit.`,
      `Apply with \`nft -f\`: replaces table ${NFT_FAMILY} ${NFT_TABLE} in one transaction; other tables are untouched.`,
    ],
    table: { family: NFT_FAMILY, name: NFT_TABLE, sets, chains: [...helperChains(host, baseline, logs), ...baseChains] },
  };
}
