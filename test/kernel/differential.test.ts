/**
 * Differential property test: random small policies and packets; the reference evaluator, the
 * nftables ruleset and the iptables rulesets loaded in namespaces must agree on every probe. The
 * second property uses heavily overlapping policies and tiny layer limits, so the nftables maps come
 * in several ordered layers (the access model itself is checked against the evaluator in
 * test/access/model.test.ts).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { chainSize, hostAccess } from '../../src/access/index.js';
import { emitHost } from '../../src/emit/index.js';
import type { CompiledRuleset } from '../../src/build/compiled-host.js';
import type { FleetModel, HostModel } from '../../src/model/index.js';
import { planProbes, runOnKernel } from '../support/kernel-check.js';
import { requireKernel } from '../support/netns.js';
import { type PolicySpec, type RuleSpec, withResolvedHost } from '../support/emit-policies.js';
import { overlappingPolicy, TINY_LAYERS } from '../support/overlap-policies.js';

const enabled = requireKernel();
const SEED = Number(process.env.BENTENG_PROPERTY_SEED ?? 4242);
const RUNS = Number(process.env.BENTENG_PROPERTY_RUNS ?? 25);
const OVERLAP_RUNS = Number(process.env.BENTENG_PROPERTY_RUNS ?? 12);
const PROBES_PER_DIRECTION = 20;
const ECHO_PER_DIRECTION = 6;

const PEERS = ['any', '198.51.100.0/24', '198.51.100.0/26', '198.51.100.64/27', '198.51.100.7', '203.0.113.0/25', '203.0.113.128/26', '2001:db8:1::/48', '2001:db8:1:2::/64', '2001:db8:2::7'];
const PORTS = ['tcp/22', 'tcp/80', 'tcp/443', 'tcp/8000-8010', 'tcp/8005', 'udp/53', 'udp/123', 'udp/5000-5002', 'tcp', 'udp', 'icmp/echo-request', 'icmpv6/echo-request', 'icmp', 'icmpv6'];

const rule = (side: 'from' | 'to'): fc.Arbitrary<RuleSpec> =>
  fc.record({
    peers: fc.uniqueArray(fc.constantFrom(...PEERS), { minLength: 1, maxLength: 2 }),
    ports: fc.option(fc.uniqueArray(fc.constantFrom(...PORTS), { minLength: 1, maxLength: 3 }), { freq: 4, nil: undefined }),
    action: fc.constantFrom('accept', 'accept', 'drop', 'reject'),
    log: fc.boolean(),
  }).map(({ peers, ports, action, log }) => ({
    [side]: peers.includes('any') ? 'any' : peers,
    ...(ports ? { ports } : {}),
    action,
    ...(log ? { log } : {}),
  }));

// With `icmp: essential` every echo-request is accepted by the baseline; `none` lets the rules decide.
// Some policies also block some of the rules' peers in blocklist.yaml (dropped first, both directions).
const policy: fc.Arbitrary<PolicySpec> = fc
  .tuple(
    fc.array(fc.record({ ingress: fc.array(rule('from'), { maxLength: 4 }), egress: fc.array(rule('to'), { maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
    fc.constantFrom('essential', 'none'),
    fc.array(fc.uniqueArray(fc.constantFrom(...PEERS.filter((p) => p !== 'any')), { minLength: 1, maxLength: 2 }), { maxLength: 2 }),
  )
  .map(([services, icmp, blocklist]) => ({
    hosts: { h1: { addresses: ['192.0.2.1', '2001:db8::1'], backend: 'nftables' } },
    defaults: { icmp },
    services: services.map((s, i) => ({ service: `svc-${i}`, hosts: ['h1'], ingress: s.ingress, egress: s.egress })),
    ...(blocklist.length > 0 ? { blocklist } : {}),
  }));

/** Probes both backends' rulesets in namespaces and expects no verdict to differ from the evaluator's. */
async function agreeOnKernel(spec: PolicySpec, host: HostModel, model: FleetModel, ruleset: CompiledRuleset, probeSeed: number): Promise<ReturnType<typeof planProbes>> {
  const plan = planProbes(host, model.baseline, { seed: probeSeed, perDirection: PROBES_PER_DIRECTION, echoPerDirection: ECHO_PER_DIRECTION });
  const nft = await runOnKernel('nftables', ruleset, plan);
  const ipt = await runOnKernel('iptables', ruleset, plan);
  expect({ nftables: nft.mismatches, iptables: ipt.mismatches, policy: spec }).toEqual({ nftables: [], iptables: [], policy: spec });
  return plan;
}

describe.runIf(enabled)('differential: evaluator = nftables = iptables on random policies', () => {
  const totals = { policies: 0, blocklists: 0, probes: 0, echo: 0, accept: 0, reject: 0, drop: 0, echoAccept: 0, echoReject: 0, echoDrop: 0 };
  afterAll(() => {
    console.log(`differential property test: seed ${SEED}, ${totals.policies} policies (${totals.blocklists} with a blocklist), ${totals.probes} probes per backend (expected accept ${totals.accept}, reject ${totals.reject}, drop ${totals.drop}); of which ${totals.echo} ICMP echo (accept ${totals.echoAccept}, reject ${totals.echoReject}, drop ${totals.echoDrop})`);
  });

  it(`agrees on ${RUNS} random policies × ${2 * (PROBES_PER_DIRECTION + ECHO_PER_DIRECTION)} probes (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(policy, fc.integer({ min: 1, max: 1_000_000 }), (spec, probeSeed) =>
        withResolvedHost(spec, async (host, model) => {
          const { ruleset } = emitHost(host, model.baseline, ['nftables', 'iptables']);
          const plan = await agreeOnKernel(spec, host, model, ruleset, probeSeed);
          totals.policies++;
          if (host.blocklist.length > 0) totals.blocklists++;
          totals.probes += plan.probes.length;
          for (const p of plan.probes) {
            totals[p.expected]++;
            if (p.protocol === 'icmp' || p.protocol === 'icmpv6') {
              totals.echo++;
              totals[p.expected === 'accept' ? 'echoAccept' : p.expected === 'reject' ? 'echoReject' : 'echoDrop']++;
            }
          }
        }),
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  }, 170_000);

  it(`agrees on ${OVERLAP_RUNS} heavily overlapping policies emitted as several map layers (seed ${SEED})`, async () => {
    let layered = 0;
    await fc.assert(
      fc.asyncProperty(overlappingPolicy, fc.integer({ min: 1, max: 1_000_000 }), (spec, probeSeed) =>
        withResolvedHost(spec, async (host, model) => {
          const access = hostAccess(host, model.baseline, TINY_LAYERS);
          if (chainSize(access.ingress).layers > 1 || chainSize(access.egress).layers > 1) layered++;
          const { ruleset } = emitHost(host, model.baseline, ['nftables', 'iptables'], access);
          await agreeOnKernel(spec, host, model, ruleset, probeSeed);
        }),
      ),
      { numRuns: OVERLAP_RUNS, seed: SEED, endOnFailure: true },
    );
    expect(layered).toBeGreaterThan(0);
  }, 170_000);
});
