/**
 * The nft import against the real kernel.
 * 1. Every `nft-*.json` fixture is what this machine's nft prints for its source (`nft-*.nft`, plus
 *    `nft-*.v4.rules` through iptables-nft-restore), loaded in a fresh namespace: the parser tests
 *    read real `nft -j` output, never JSON written by hand.
 * 2. Round trip: the hand-written ruleset loaded with `nft -f` in one namespace, benteng's compiled
 *    import of its `nft -j` output (nftables backend) in another; the same few hundred TCP, UDP and
 *    ICMP echo probes must meet the same outcome in both, or hit a rule the import report lists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/build/index.js';
import { importRuleset, type ImportReportEntry } from '../../src/import/index.js';
import { parseNftJson } from '../../src/import/nft-json.js';
import type { ImportedRule, ImportedRuleset } from '../../src/import/ruleset.js';
import { cidrRange, type Family, formatAddress, parseAddress, parseCidr } from '../../src/net/address.js';
import { mulberry32 } from '../support/kernel-check.js';
import { type Outcome, type Probe, requireKernel, Topology, withScratchNs, inNs } from '../support/netns.js';

const enabled = requireKernel('nft import kernel tests');
const FIXTURES = new URL('./fixtures/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

/** `nft -j` output without what changes from one listing to the next (version, set element expiry). */
function normalized(text: string): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'expires' && k !== 'metainfo').map(([k, v]) => [k, strip(v)]));
  };
  const parsed = JSON.parse(text) as { nftables: unknown[] };
  return strip(parsed.nftables.filter((o) => typeof o !== 'object' || o === null || !('metainfo' in o)));
}

describe.runIf(enabled)('nft fixtures are real `nft -j list ruleset` output', () => {
  const sources = readdirSync(FIXTURES).filter((f) => /^nft-.*\.nft$/.test(f));

  it('has a source for every JSON fixture', () => {
    expect(sources.length).toBeGreaterThanOrEqual(5);
    for (const source of sources) expect(read(source.replace(/\.nft$/, '.json')).length).toBeGreaterThan(0);
  });

  it.each(sources)('%s loads and lists as its .json fixture', async (source) => {
    const name = source.replace(/\.nft$/, '');
    await withScratchNs(async (ns) => {
      const iptables = readdirSync(FIXTURES).includes(`${name}.v4.rules`);
      if (iptables) {
        const r = await inNs(ns, 'iptables-nft-restore', [], read(`${name}.v4.rules`));
        expect(r.stderr).toBe('');
      }
      const load = await inNs(ns, 'nft', ['-f', '-'], read(source));
      expect(load.stderr).toBe('');
      const listed = await inNs(ns, 'nft', ['-j', 'list', 'ruleset']);
      expect(listed.exitCode).toBe(0);
      expect(normalized(listed.stdout)).toEqual(normalized(read(`${name}.json`)));
    });
  });
});

const HOST = { ipv4: '203.0.113.254', ipv6: '2001:db8:ffff::1' } as const;
/** Peers every probe plan keeps, besides the edges of the rules' own blocks. */
const FIXED_PEERS = ['198.51.100.200', '203.0.113.200', '2001:db8:ffff::200', '2001:db8:5a::7'];
const FIXED_PORTS = [22, 25, 53, 80, 443, 3306, 5432, 8080, 9999];
const DOCUMENTATION = ['198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map((c) => {
  const parsed = parseCidr(c);
  if (!parsed.ok) throw new Error(c);
  return { family: parsed.value.family, range: cidrRange(parsed.value) };
});

type PlannedProbe = Probe & { direction: 'ingress' | 'egress' };

function blocks(rule: ImportedRule): Array<{ start: bigint; end: bigint }> {
  return [rule.source, rule.destination].flatMap((m) =>
    (m?.cidrs ?? []).flatMap((c) => {
      const parsed = parseCidr(c);
      return parsed.ok ? [cidrRange(parsed.value)] : [];
    }),
  );
}

/**
 * Probes on and beside every block and port the source rules name (documentation space only, never
 * the host's own addresses), TCP and UDP both ways plus ICMP echo, then a seeded sample.
 */
function planProbes(ruleset: ImportedRuleset, seed: number, perDirection: number): PlannedProbe[] {
  const random = mulberry32(seed);
  const peers = new Set(FIXED_PEERS);
  const ports = new Set(FIXED_PORTS);
  for (const rule of ruleset.chains.flatMap((c) => c.rules)) {
    for (const block of blocks(rule)) {
      for (const v of [block.start, block.end, block.start - 1n, block.end + 1n, (block.start + block.end) / 2n]) {
        const doc = DOCUMENTATION.find((d) => d.family === rule.family && v >= d.range.start && v <= d.range.end);
        const text = doc && formatAddress(rule.family, v);
        if (text && text !== HOST[rule.family]) peers.add(text);
      }
    }
    for (const [from, to] of rule.destinationPorts?.ranges ?? []) for (const p of [from, to, from - 1, to + 1]) if (p >= 1 && p <= 65535) ports.add(p);
  }
  const familyOf = (a: string): Family => (parseAddress(a) as { value: { family: Family } }).value.family;
  const all: PlannedProbe[] = [];
  for (const direction of ['ingress', 'egress'] as const) {
    for (const peer of [...peers].sort()) {
      const family = familyOf(peer);
      const [source, destination] = direction === 'ingress' ? [peer, HOST[family]] : [HOST[family], peer];
      for (const port of [...ports].sort((a, b) => a - b)) {
        for (const protocol of ['tcp', 'udp'] as const) all.push({ direction, family, source, destination, protocol, port });
      }
    }
  }
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const echoes: PlannedProbe[] = [...peers].sort().flatMap((peer) => {
    const family = familyOf(peer);
    const protocol = family === 'ipv4' ? ('icmp' as const) : ('icmpv6' as const);
    const icmpType = family === 'ipv4' ? 8 : 128;
    return [
      { direction: 'ingress' as const, family, source: peer, destination: HOST[family], protocol, icmpType },
      { direction: 'egress' as const, family, source: HOST[family], destination: peer, protocol, icmpType },
    ];
  });
  return [...all.filter((p) => p.direction === 'ingress').slice(0, perDirection), ...all.filter((p) => p.direction === 'egress').slice(0, perDirection), ...echoes];
}

/**
 * Loads a ruleset in a fresh pair of namespaces and returns each probe's outcome, in order. The host
 * answers every reject: the kernel's ICMP error rate limit (one a second per peer after a burst)
 * would otherwise turn a ruleset that rejects with ICMP more often into one that seems to drop.
 */
async function outcomes(load: (t: Topology) => Promise<void>, probes: PlannedProbe[]): Promise<Outcome[]> {
  const peers = [...new Set(probes.map((p) => (p.direction === 'ingress' ? p.source : p.destination)))];
  const ports = [...new Set(probes.flatMap((p) => ('port' in p ? [p.port] : [])))];
  const topology = await Topology.create([HOST.ipv4, HOST.ipv6], peers);
  try {
    const sysctl = await inNs(topology.hostNs, 'sysctl', ['-q', '-w', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0']);
    expect(sysctl.exitCode).toBe(0);
    await load(topology);
    await Promise.all([topology.listen('host', ports, [HOST.ipv4, HOST.ipv6]), topology.listen('peer', ports, peers)]);
    const strip = ({ direction: _d, ...probe }: PlannedProbe): Probe => probe;
    const ingress = probes.filter((p) => p.direction === 'ingress');
    const egress = probes.filter((p) => p.direction === 'egress');
    const [inResults, outResults] = await Promise.all([topology.probe('peer', ingress.map(strip)), topology.probe('host', egress.map(strip))]);
    let i = 0;
    let o = 0;
    return probes.map((p) => (p.direction === 'ingress' ? inResults[i++]! : outResults[o++]!));
  } finally {
    await topology.destroy();
  }
}

/** Whether a source rule's matches hold for the probe (addresses, protocol, destination port). */
function covers(rule: ImportedRule, probe: PlannedProbe): boolean {
  if (rule.family !== probe.family) return false;
  const inside = (m: ImportedRule['source'], address: string) => {
    if (!m) return true;
    const value = (parseAddress(address) as { value: { value: bigint } }).value.value;
    const hit = m.cidrs.some((c) => {
      const parsed = parseCidr(c);
      if (!parsed.ok) return false;
      const r = cidrRange(parsed.value);
      return value >= r.start && value <= r.end;
    });
    return hit !== m.negated;
  };
  if (!inside(rule.source, probe.source) || !inside(rule.destination, probe.destination)) return false;
  if (rule.protocol !== undefined && (rule.protocol === probe.protocol) === Boolean(rule.protocolNegated)) return false;
  if (rule.destinationPorts) {
    if (!('port' in probe)) return false;
    const hit = rule.destinationPorts.ranges.some(([a, b]) => probe.port >= a && probe.port <= b);
    if (hit === rule.destinationPorts.negated) return false;
  }
  return true;
}

/** Whether the rule, had it been imported, could have given the original's outcome (a jump or goto: any). */
function couldDecide(rule: ImportedRule, outcome: Outcome): boolean {
  const kind = rule.verdict.kind;
  return kind === 'accept' || kind === 'drop' || kind === 'reject' ? kind === outcome : true;
}

/** Names of the chains a hook's packets can reach: its filter base chains and what they jump or go to. */
function reachable(ruleset: ImportedRuleset, hook: 'input' | 'output'): Set<string> {
  const names = new Set<string>();
  const visit = (table: string, name: string) => {
    if (names.has(`${table} ${name}`)) return;
    names.add(`${table} ${name}`);
    for (const chain of ruleset.chains.filter((c) => c.table === table && c.name === name)) {
      for (const rule of chain.rules) if (rule.verdict.kind === 'jump' || rule.verdict.kind === 'goto') visit(table, rule.verdict.chain);
    }
  };
  for (const chain of ruleset.chains) if (chain.hook === hook && (chain.chainType ?? 'filter') === 'filter') visit(chain.table, chain.name);
  return names;
}

describe.runIf(enabled)('round trip on the kernel: the original ruleset against its compiled import (nftables backend)', () => {
  // firewalld rejects what no zone accepts, so its probes see no drop.
  it.concurrent.each([
    ['nft-hand', ['accept', 'drop', 'reject']],
    ['nft-firewalld', ['accept', 'reject']],
  ])('%s: a few hundred probes meet the same outcome, or the report names the rule that prevents it', async (name, verdicts) => {
    const ruleset = parseNftJson(read(`${name}.json`), `${name}.json`);
    const imported = importRuleset(ruleset, { addresses: [HOST.ipv4, HOST.ipv6], backend: 'nftables', host: 'web-01' });
    expect(imported.equivalence.unexplained).toBe(0);
    const dir = await mkdtemp(path.join(tmpdir(), 'benteng-nft-import-'));
    try {
      for (const [file, text] of imported.files) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
      const built = await buildFleet(dir);
      expect(built.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const compiled = built.hosts.find((h) => h.host === 'web-01')!.ruleset.nft!;
      const probes = planProbes(ruleset, 12, 100);
      expect(probes.length).toBeGreaterThanOrEqual(220);
      const [original, ours] = await Promise.all([outcomes((t) => t.nftLoad(read(`${name}.nft`)), probes), outcomes((t) => t.nftLoad(compiled), probes)]);
      // The probes see every verdict of the original, so agreement is not the trivial kind.
      expect([...new Set(original)].sort()).toEqual(verdicts);
      // nft handles are per table: a reported rule is known by its object's index (`line`) and handle.
      const at = (l: { line: number; handle?: number }) => `${l.line} ${l.handle}`;
      const reported = new Set(imported.report.filter((e: ImportReportEntry) => e.kind !== 'note' && e.location).map((e) => at(e.location!)));
      const chains = { ingress: reachable(ruleset, 'input'), egress: reachable(ruleset, 'output') };
      const reportedRules = ruleset.chains.flatMap((c) => c.rules).filter((r) => reported.has(at(r.location)));
      const unexplained = probes.flatMap((probe, i) => {
        if (original[i] === ours[i]) return [];
        if (reportedRules.some((rule) => chains[probe.direction].has(`${rule.table} ${rule.chain}`) && covers(rule, probe) && couldDecide(rule, original[i]!))) return [];
        return [{ probe, original: original[i], imported: ours[i] }];
      });
      expect(unexplained).toEqual([]);
      if (process.env.BENTENG_TEST_VERBOSE) {
        const differing = probes.filter((_, i) => original[i] !== ours[i]);
        console.log(`${name}: ${probes.length} probes, ${differing.length} decided differently, all on reported rules:`, probes.flatMap((p, i) => (original[i] === ours[i] ? [] : [`${p.direction} ${p.source}->${p.destination} ${"port" in p ? `${p.protocol}/${p.port}` : p.protocol}: ${original[i]} / ${ours[i]}`])));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
