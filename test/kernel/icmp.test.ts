/**
 * ICMP echo on the real kernel: with `icmp: none` the baseline admits no echo-request, so explicit
 * `icmp/echo-request` and `icmpv6/echo-request` rules decide, and the kernel's answer (echo-reply,
 * an ICMP error, or silence) must equal the evaluator's accept, reject or drop, in both directions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/build/compiled-host.js';
import { emitHost } from '../../src/emit/index.js';
import type { FleetModel } from '../../src/model/index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { type PlannedProbe, planProbes, runOnKernel } from '../support/kernel-check.js';
import { requireKernel } from '../support/netns.js';
import { type PolicySpec, removePolicyDir, writePolicyDir } from '../support/emit-policies.js';

const enabled = requireKernel();
const ECHO = ['icmp/echo-request', 'icmpv6/echo-request'];

const SPEC: PolicySpec = {
  hosts: { h1: { addresses: ['192.0.2.1', '2001:db8::1'], backend: 'nftables' } },
  defaults: { icmp: 'none' },
  services: [
    {
      service: 'echo',
      hosts: ['h1'],
      ingress: [
        { from: ['198.51.100.0/26', '2001:db8:1::/48'], ports: ECHO, action: 'accept' },
        { from: ['198.51.100.64/27', '2001:db8:2::/48'], ports: ECHO, action: 'reject' },
        { from: ['203.0.113.0/25', '2001:db8:3::/48'], ports: ECHO, action: 'drop' },
        { from: '198.51.100.0/24', ports: ['tcp/22'], action: 'accept' },
      ],
      egress: [
        { to: ['198.51.100.0/26', '2001:db8:1::/48'], ports: ECHO, action: 'accept' },
        { to: ['203.0.113.128/26', '2001:db8:3::/48'], ports: ECHO, action: 'reject' },
        { to: ['198.51.100.128/25', '2001:db8:4::/48'], action: 'accept' },
      ],
    },
  ],
};

const isEcho = (p: PlannedProbe) => p.protocol === 'icmp' || p.protocol === 'icmpv6';
let dir: string;
let model: FleetModel;

beforeAll(async () => {
  dir = await writePolicyDir(SPEC);
  const checked = await checkPolicies(dir, { lint: false });
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  model = checked.model!;
});

afterAll(async () => {
  if (dir) await removePolicyDir(dir);
});

describe.runIf(enabled)('ICMP echo with `icmp: none` and explicit echo-request rules', () => {
  const plan = () => planProbes(model.hosts[0]!, model.baseline, { seed: 99, perDirection: 10, echoPerDirection: 30 });

  it('plans echo probes of every verdict, v4 and v6, in both directions', () => {
    const echoes = plan().probes.filter(isEcho);
    for (const direction of ['ingress', 'egress'] as const) {
      for (const protocol of ['icmp', 'icmpv6'] as const) {
        const verdicts = new Set(echoes.filter((p) => p.direction === direction && p.protocol === protocol).map((p) => p.expected));
        expect([direction, protocol, [...verdicts].sort()]).toEqual([direction, protocol, ['accept', 'drop', 'reject']]);
      }
    }
  });

  for (const backend of ['nftables', 'iptables'] as Backend[]) {
    it(`${backend}: echo-request probes equal the evaluator`, async () => {
      const p = plan();
      const { ruleset } = emitHost(model.hosts[0]!, model.baseline, [backend]);
      const result = await runOnKernel(backend, ruleset, p);
      const echoes = p.probes.filter(isEcho);
      const count = (v: string) => echoes.filter((e) => e.expected === v).length;
      console.log(`icmp-none ${backend}: ${result.probes} probes, ${echoes.length} echo (accept ${count('accept')}, reject ${count('reject')}, drop ${count('drop')}), ${result.mismatches.length} mismatches`);
      expect(result.mismatches).toEqual([]);
    });
  }

  it('notices a flipped expectation and a ruleset that accepts everything (negative controls)', async () => {
    const p = plan();
    const accepted = p.probes.filter(isEcho).find((e) => e.expected === 'accept')!;
    const probes = p.probes.map((e) => (e === accepted ? { ...e, expected: 'drop' as const } : e));
    const { ruleset } = emitHost(model.hosts[0]!, model.baseline, ['nftables']);
    const wrong = await runOnKernel('nftables', ruleset, { ...p, probes });
    expect(wrong.mismatches.map((m) => [m.probe.protocol, m.probe.source, m.probe.destination, m.observed])).toEqual([[accepted.protocol, accepted.source, accepted.destination, 'accept']]);

    const open = await runOnKernel('nftables', { nft: 'table inet benteng {}\n' }, p);
    const echoMismatches = open.mismatches.filter((m) => isEcho(m.probe));
    expect(echoMismatches.length).toBe(p.probes.filter(isEcho).filter((e) => e.expected !== 'accept').length);
    expect(echoMismatches.every((m) => m.observed === 'accept')).toBe(true);
  });
});
