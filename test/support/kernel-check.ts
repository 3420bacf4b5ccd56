/**
 * Plans probes for one host from its model, runs them against a ruleset loaded in a namespace, and
 * compares each observed outcome with the reference evaluator's verdict.
 *
 * ICMP probes are echo-requests (the only ICMP a prober can solicit a reply to); the evaluator judges
 * the request, and the echo-reply returns as conntrack `established`. An ICMP error back is reject.
 */
import { mulberry32 } from '../../src/evaluate/seeded-random.js';
import type { Backend, CompiledRuleset } from '../../src/build/compiled-host.js';
import { evaluate } from '../../src/evaluate/index.js';
import type { BaselineSettings, HostModel } from '../../src/model/index.js';
import { type Family, formatAddress, parseCidr, cidrRange } from '../../src/net/address.js';
import { ICMP_TYPES } from '../../src/net/port.js';
import { type Outcome, type Probe, type ProbeResult, Topology } from './netns.js';

const DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map((c) => {
  const parsed = parseCidr(c);
  if (!parsed.ok) throw new Error(c);
  return { family: parsed.value.family, range: cidrRange(parsed.value) };
});

const FIXED_PEERS: Record<Family, string[]> = {
  ipv4: ['192.0.2.200', '198.51.100.200', '203.0.113.200'],
  ipv6: ['2001:db8:ffff::200', '2001:db8:5a:ff::7'],
};
const FIXED_PORTS = [22, 80, 443, 9999];
const ECHO_REQUEST = { icmp: ICMP_TYPES.icmp['echo-request']!, icmpv6: ICMP_TYPES.icmpv6['echo-request']! };

export { mulberry32 } from '../../src/evaluate/seeded-random.js';

function isDocumentation(family: Family, value: bigint): boolean {
  return DOCUMENTATION.some((d) => d.family === family && value >= d.range.start && value <= d.range.end);
}

export type PlannedProbe = Probe & {
  direction: 'ingress' | 'egress';
  expected: Outcome;
  rule?: string;
};

export interface PlanOptions {
  seed: number;
  /** Upper bound of TCP and UDP probes per direction. */
  perDirection: number;
  /** Upper bound of ICMP / ICMPv6 echo-request probes per direction (default 12). */
  echoPerDirection?: number;
}

/** Up to `limit` probes, taken in turn from each expected verdict, so rare verdicts are kept. */
function stratified(all: PlannedProbe[], limit: number): PlannedProbe[] {
  const groups = (['accept', 'reject', 'drop'] as const).map((v) => all.filter((p) => p.expected === v));
  const out: PlannedProbe[] = [];
  for (let i = 0; out.length < limit && groups.some((g) => i < g.length); i++) {
    for (const g of groups) if (i < g.length && out.length < limit) out.push(g[i]!);
  }
  return out;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Peer addresses and ports that sit on and just beside every rule's (and blocklist entry's) edges, then a seeded sample. */
export function planProbes(
  host: HostModel,
  baseline: BaselineSettings,
  options: PlanOptions,
): { probes: PlannedProbe[]; hostAddresses: string[]; peers: string[]; ports: number[] } {
  const random = mulberry32(options.seed);
  const echoRandom = mulberry32(options.seed ^ 0x1c4f);
  const own: Record<Family, string | undefined> = {
    ipv4: host.addresses.ipv4[0] && formatAddress('ipv4', host.addresses.ipv4[0].start),
    ipv6: host.addresses.ipv6[0] && formatAddress('ipv6', host.addresses.ipv6[0].start),
  };
  const ownValues = new Set([...host.addresses.ipv4, ...host.addresses.ipv6].map((r) => r.start));
  const peers: Record<Family, Set<string>> = { ipv4: new Set(FIXED_PEERS.ipv4), ipv6: new Set(FIXED_PEERS.ipv6) };
  const ports = new Set<number>(FIXED_PORTS);
  for (const rule of [...host.input, ...host.output, ...host.blocklist.map((entry) => ({ peers: entry.addresses, protocols: [] }))]) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const r of rule.peers[family]) {
        for (const v of [r.start, r.end, r.start - 1n, r.end + 1n, (r.start + r.end) / 2n]) {
          if (isDocumentation(family, v) && !ownValues.has(v)) peers[family].add(formatAddress(family, v));
        }
      }
    }
    for (const m of rule.protocols) {
      if (m.protocol !== 'tcp' && m.protocol !== 'udp') continue;
      for (const p of m.ports) for (const v of [p.from, p.to, p.from - 1, p.to + 1]) if (v >= 1 && v <= 65535) ports.add(v);
    }
  }
  const portList = [...ports].sort((a, b) => a - b).slice(0, 40);
  const probes: PlannedProbe[] = [];
  for (const direction of ['ingress', 'egress'] as const) {
    const all: PlannedProbe[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      const self = own[family];
      if (self === undefined) continue;
      for (const peer of peers[family]) {
        for (const port of portList) {
          for (const protocol of ['tcp', 'udp'] as const) {
            const source = direction === 'ingress' ? peer : self;
            const destination = direction === 'ingress' ? self : peer;
            const e = evaluate(host, baseline, { direction, family, source, destination, protocol, port, state: 'new' });
            all.push({ direction, family, protocol, source, destination, port, expected: e.verdict, ...(e.rule ? { rule: e.rule.id } : {}) });
          }
        }
      }
    }
    // Keep every non-drop probe's kind represented, then fill with a seeded sample.
    shuffle(all, random);
    const interesting = all.filter((p) => p.expected !== 'drop').slice(0, Math.ceil(options.perDirection / 2));
    const rest = all.filter((p) => !interesting.includes(p)).slice(0, options.perDirection - interesting.length);
    probes.push(...interesting, ...rest);
    const echoes: PlannedProbe[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      const self = own[family];
      if (self === undefined) continue;
      const protocol = family === 'ipv4' ? 'icmp' : 'icmpv6';
      for (const peer of peers[family]) {
        const source = direction === 'ingress' ? peer : self;
        const destination = direction === 'ingress' ? self : peer;
        const icmpType = ECHO_REQUEST[protocol];
        const e = evaluate(host, baseline, { direction, family, source, destination, protocol, icmpType, state: 'new' });
        echoes.push({ direction, family, protocol, source, destination, icmpType, expected: e.verdict, ...(e.rule ? { rule: e.rule.id } : {}) });
      }
    }
    probes.push(...stratified(shuffle(echoes, echoRandom), options.echoPerDirection ?? 12));
  }
  const hostAddresses = [own.ipv4, own.ipv6].filter((a): a is string => a !== undefined);
  const usedPeers = [...new Set(probes.map((p) => (p.direction === 'ingress' ? p.source : p.destination)))].sort();
  const usedPorts = [...new Set(probes.flatMap((p) => ('port' in p ? [p.port] : [])))].sort((a, b) => a - b);
  // Neighbour discovery is never static here: IPv6 probes only work if the ruleset lets ND through
  // (the baseline keeps it even with `icmp: none`), so they test that too.
  return { probes, hostAddresses, peers: usedPeers, ports: usedPorts };
}

export interface Mismatch {
  probe: PlannedProbe;
  observed: Outcome;
  /** How many times the probe was sent; a drop is only concluded after silence through longer waits. */
  attempts: number;
}

/** Loads the ruleset into a fresh topology, runs the planned probes, returns the disagreements. */
export async function runOnKernel(
  backend: Backend,
  ruleset: CompiledRuleset,
  plan: ReturnType<typeof planProbes>,
): Promise<{ mismatches: Mismatch[]; probes: number }> {
  const topology = await Topology.create(plan.hostAddresses, plan.peers);
  try {
    if (backend === 'nftables') await topology.nftLoad(ruleset.nft!);
    else await topology.iptablesLoad(ruleset.rulesV4!, ruleset.rulesV6!);
    await Promise.all([topology.listen('host', plan.ports, plan.hostAddresses), topology.listen('peer', plan.ports, plan.peers)]);
    const ingress = plan.probes.filter((p) => p.direction === 'ingress');
    const egress = plan.probes.filter((p) => p.direction === 'egress');
    const strip = ({ direction: _direction, expected: _expected, rule: _rule, ...probe }: PlannedProbe): Probe => probe;
    const [inReport, outReport] = await Promise.all([topology.probeReport('peer', ingress.map(strip)), topology.probeReport('host', egress.map(strip))]);
    const mismatches: Mismatch[] = [];
    const compare = (planned: PlannedProbe[], results: ProbeResult[]) =>
      planned.forEach((p, i) => results[i]!.outcome !== p.expected && mismatches.push({ probe: p, observed: results[i]!.outcome, attempts: results[i]!.attempts }));
    compare(ingress, inReport.results);
    compare(egress, outReport.results);
    return { mismatches, probes: plan.probes.length };
  } finally {
    await topology.destroy();
  }
}
