/**
 * Import round trip on the real kernel: for each style of source ruleset, the original is loaded with
 * iptables-restore / ip6tables-restore in one namespace pair, benteng's compiled import (iptables
 * backend, and nftables for two styles) in another, the same probes (TCP, UDP, ICMP echo; ingress and
 * egress; on and beside every rule's edges) run against both, and every probe whose outcome differs
 * must be explained by the import report (a rule left out, another program's rule, a baseline
 * difference), as `sourceOracle` decides.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitHost } from '../../src/emit/index.js';
import { importRuleset, readRulesetText, sourceOracle } from '../../src/import/index.js';
import { checkPolicyFiles } from '../../src/import/policy-check.js';
import { type PlannedProbe, planProbes } from '../support/kernel-check.js';
import { inNs, type Outcome, type Probe, requireKernel, Topology } from '../support/netns.js';

const enabled = requireKernel('import kernel round trip');
const FIXTURES = join(import.meta.dirname, 'fixtures');

interface Style {
  fixture: string;
  family: 'ipv4' | 'ipv6';
  address: string;
  nftables: boolean;
  /** ipsets the original needs before iptables-restore (they are per namespace). */
  ipsets?: string[];
}

const STYLES: Style[] = [
  { fixture: 'plain-drop.rules', family: 'ipv4', address: '203.0.113.10', nftables: true },
  { fixture: 'ufw.rules', family: 'ipv4', address: '203.0.113.10', nftables: false },
  { fixture: 'accept-reject.rules', family: 'ipv4', address: '203.0.113.10', nftables: false },
  { fixture: 'docker-fail2ban.rules', family: 'ipv4', address: '203.0.113.10', nftables: false, ipsets: ['vpn-clients'] },
  { fixture: 'ip6tables.rules', family: 'ipv6', address: '2001:db8:10::10', nftables: false },
];

const strip = ({ direction: _d, expected: _e, rule: _r, ...probe }: PlannedProbe): Probe => probe;

/** Loads a ruleset into a fresh topology, runs the probes (ingress from the peer, egress from the host), returns the outcomes in probe order. */
async function outcomes(plan: ReturnType<typeof planProbes>, load: (t: Topology) => Promise<void>): Promise<Outcome[]> {
  const topology = await Topology.create(plan.hostAddresses, plan.peers);
  try {
    // The kernel rate-limits ICMP errors per peer; a REJECT answered late would look like a drop.
    const sysctl = await inNs(topology.hostNs, 'sysctl', ['-q', '-w', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0']);
    if (sysctl.exitCode !== 0) throw new Error(`sysctl: ${sysctl.stderr}`);
    await load(topology);
    await Promise.all([topology.listen('host', plan.ports, plan.hostAddresses), topology.listen('peer', plan.ports, plan.peers)]);
    const ingress = plan.probes.filter((p) => p.direction === 'ingress');
    const egress = plan.probes.filter((p) => p.direction === 'egress');
    const [a, b] = await Promise.all([topology.probe('peer', ingress.map(strip)), topology.probe('host', egress.map(strip))]);
    const byProbe = new Map<PlannedProbe, Outcome>();
    ingress.forEach((p, i) => byProbe.set(p, a[i]!));
    egress.forEach((p, i) => byProbe.set(p, b[i]!));
    return plan.probes.map((p) => byProbe.get(p)!);
  } finally {
    await topology.destroy();
  }
}

describe.skipIf(!enabled)('import round trip on the kernel', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'bt-import-kernel-'));
  process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));

  for (const style of STYLES) {
    it(`${style.fixture}: the compiled import decides the probes as the original, or the report explains why`, async () => {
      const text = readFileSync(join(FIXTURES, style.fixture), 'utf8');
      const ruleset = readRulesetText(text, style.fixture);
      expect(ruleset.errors).toEqual([]);
      const imported = importRuleset(ruleset, { host: 'web-01', addresses: [style.address], backend: 'iptables', equivalence: { packets: 500 } });
      const checked = checkPolicyFiles(imported.files, 'policies', { lint: false });
      const host = checked.model!.hosts[0]!;
      const baseline = checked.model!.baseline;
      const compiled = emitHost(host, baseline, style.nftables ? ['iptables', 'nftables'] : ['iptables']).ruleset;
      const plan = planProbes(host, baseline, { seed: 11, perDirection: 30, echoPerDirection: 6 });
      expect(plan.probes.length).toBeGreaterThan(40);

      const loadOriginal = async (t: Topology) => {
        for (const set of style.ipsets ?? []) await inNs(t.hostNs, 'ipset', ['create', set, 'hash:ip']);
        const restore = await inNs(t.hostNs, style.family === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore', [], text);
        if (restore.exitCode !== 0) throw new Error(`restoring ${style.fixture}: ${restore.stderr}`);
      };
      const loads: Array<[string, (t: Topology) => Promise<void>]> = [['iptables', (t) => t.iptablesLoad(compiled.rulesV4!, compiled.rulesV6!)]];
      if (style.nftables) loads.push(['nftables', (t) => t.nftLoad(compiled.nft!)]);
      // The original and the imports run side by side, each in namespaces of its own.
      const [original, ...results] = await Promise.all([outcomes(plan, loadOriginal), ...loads.map(([, load]) => outcomes(plan, load))]);

      const oracle = sourceOracle(ruleset, [style.address]);
      for (const [index, [backend]] of loads.entries()) {
        const observed = results[index]!;
        const unexplained: string[] = [];
        let explained = 0;
        plan.probes.forEach((probe, i) => {
          if (observed[i] === original[i]) return;
          const peer = probe.direction === 'ingress' ? probe.source : probe.destination;
          const packet = {
            family: probe.family,
            peer,
            protocol: probe.protocol === 'icmpv6' ? ('icmp' as const) : probe.protocol,
            ...('port' in probe ? { port: probe.port } : { icmpType: probe.icmpType }),
          };
          const hook = probe.direction === 'ingress' ? 'input' : 'output';
          const back = hook === 'input' ? 'output' : 'input';
          // A probe's answer (a reply, or a REJECT's ICMP error) crosses the other chain as established or related.
          const why = [
            oracle({ ...packet, hook }),
            oracle({ ...packet, hook: back, state: 'established' }),
            oracle({ ...packet, hook: back, state: 'related' }),
            oracle({ ...packet, hook: back, protocol: 'icmp', icmpType: probe.family === 'ipv4' ? 3 : 1, state: 'related' }),
          ];
          if (why.some((w) => w.explained)) explained++;
          else unexplained.push(`${backend} ${probe.direction} ${probe.source} -> ${probe.destination} ${'port' in probe ? `${probe.protocol}/${probe.port}` : probe.protocol}: original ${original[i]}, import ${observed[i]}`);
        });
        expect(unexplained).toEqual([]);
        if (style.fixture === 'docker-fail2ban.rules') expect(explained).toBeGreaterThan(0);
      }
      // The probes exercise both verdicts of the original, so agreement is not vacuous.
      expect(original).toContain('accept');
      expect(original!.some((o) => o !== 'accept')).toBe(true);
    });
  }
});
