import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/build/compiled-host.js';
import { emitHost } from '../../src/emit/index.js';
import type { FleetModel } from '../../src/model/index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { planProbes, runOnKernel } from '../support/kernel-check.js';
import { requireKernel } from '../support/netns.js';

const enabled = requireKernel();
let model: FleetModel;

beforeAll(async () => {
  const checked = await checkPolicies('policies');
  model = checked.model!;
});

describe.runIf(enabled)('example fleet on the real kernel', () => {
  const hosts = ['bastion-01', 'web-01', 'mail-01', 'db-01', 'registry-01', 'payroll-01', 'dns-01', 'dns-02', 'mon-01', 'web-02'];
  for (const name of hosts) {
    for (const backend of ['nftables', 'iptables'] as Backend[]) {
      it(`${name} (${backend}): TCP, UDP and ICMP echo probes, v4 and v6, ingress and egress, equal the evaluator`, async () => {
        const host = model.hosts.find((h) => h.name === name)!;
        const emitted = emitHost(host, model.baseline, [backend]);
        const plan = planProbes(host, model.baseline, { seed: 20240601, perDirection: 50 });
        const result = await runOnKernel(backend, emitted.ruleset, plan);
        const accepted = plan.probes.filter((p) => p.expected === 'accept').length;
        const echoes = plan.probes.filter((p) => p.protocol === 'icmp' || p.protocol === 'icmpv6');
        console.log(`${name} ${backend}: ${result.probes} probes (${accepted} expected accept; ${echoes.length} ICMP echo), ${result.mismatches.length} mismatches`);
        expect(accepted).toBeGreaterThan(0);
        expect(new Set(echoes.map((p) => `${p.direction} ${p.protocol}`)).size).toBe(4);
        expect(result.mismatches).toEqual([]);
      });
    }
  }
});

describe.runIf(enabled)('the probe harness itself', () => {
  it('notices a ruleset that accepts everything (negative control)', async () => {
    const host = model.hosts.find((h) => h.name === 'mail-01')!;
    const plan = planProbes(host, model.baseline, { seed: 7, perDirection: 20 });
    const result = await runOnKernel('nftables', { nft: 'table inet benteng {}\n' }, plan);
    expect(result.mismatches.length).toBeGreaterThan(0);
    expect(result.mismatches.every((m) => m.observed === 'accept')).toBe(true);
  });
});
