/**
 * `ssh.allowFrom` on the real kernel, both backends: the host accepts SSH only from the peers it names,
 * although the service rule accepts the whole admin network. One allowed address per family is printed
 * by the iptables emitter as a single negated match (`! -s`); two allowed addresses are not, so both
 * lowerings are probed. The evaluator must agree with the kernel on every probe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitHost } from '../../src/emit/index.js';
import { evaluate } from '../../src/evaluate/index.js';
import type { FleetModel } from '../../src/model/index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { type PolicySpec, removePolicyDir, writePolicyDir } from '../support/emit-policies.js';
import { type Probe, requireKernel, Topology } from '../support/netns.js';

const enabled = requireKernel();

const HOST = { ipv4: '192.0.2.1', ipv6: '2001:db8::1' } as const;
const PEERS = [
  { address: '198.51.100.5', family: 'ipv4' },
  { address: '198.51.100.6', family: 'ipv4' },
  { address: '198.51.100.9', family: 'ipv4' },
  { address: '2001:db8:ad::5', family: 'ipv6' },
  { address: '2001:db8:ad::6', family: 'ipv6' },
] as const;

const spec = (allowFrom: string[]): PolicySpec => ({
  hosts: { h1: { addresses: [HOST.ipv4, HOST.ipv6], backend: 'nftables', ssh: { allowFrom } } },
  services: [{ service: 'admin-ssh', hosts: ['h1'], ingress: [{ from: ['198.51.100.0/28', '2001:db8:ad::/64'], ports: ['tcp/22'] }] }],
});

const CASES = [
  { name: 'one address per family', allowFrom: ['198.51.100.5', '2001:db8:ad::5'], allowed: ['198.51.100.5', '2001:db8:ad::5'], negated: true },
  { name: 'two IPv4 addresses', allowFrom: ['198.51.100.5', '198.51.100.9', '2001:db8:ad::5'], allowed: ['198.51.100.5', '198.51.100.9', '2001:db8:ad::5'], negated: false },
];

const models = new Map<string, FleetModel>();
const dirs: string[] = [];

beforeAll(async () => {
  for (const c of CASES) {
    const dir = await writePolicyDir(spec(c.allowFrom));
    dirs.push(dir);
    const checked = await checkPolicies(dir, { lint: false });
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    models.set(c.name, checked.model!);
  }
});

afterAll(async () => {
  for (const dir of dirs) await removePolicyDir(dir);
});

describe.runIf(enabled)('ssh.allowFrom on the real kernel', () => {
  for (const c of CASES) {
    for (const backend of ['nftables', 'iptables'] as const) {
      it(`${backend}, ${c.name}: SSH only from the named peers, as the evaluator says`, async () => {
        const model = models.get(c.name)!;
        const host = model.hosts[0]!;
        const expected = PEERS.map((p) => `${p.address}: ${c.allowed.includes(p.address) ? 'accept' : 'drop'}`);
        const evaluated = PEERS.map(
          (p) =>
            `${p.address}: ${evaluate(host, model.baseline, { direction: 'ingress', family: p.family, source: p.address, destination: HOST[p.family], protocol: 'tcp', port: 22, state: 'new' }).verdict}`,
        );
        expect(evaluated).toEqual(expected);
        const { ruleset } = emitHost(host, model.baseline, [backend]);
        if (backend === 'iptables') expect(ruleset.rulesV4!.includes('! -s 198.51.100.5/32')).toBe(c.negated);
        const topology = await Topology.create([HOST.ipv4, HOST.ipv6], PEERS.map((p) => p.address));
        try {
          if (backend === 'nftables') await topology.nftLoad(ruleset.nft!);
          else await topology.iptablesLoad(ruleset.rulesV4!, ruleset.rulesV6!);
          await topology.listen('host', [22], [HOST.ipv4, HOST.ipv6]);
          const probes: Probe[] = PEERS.map((p) => ({ family: p.family, protocol: 'tcp', port: 22, source: p.address, destination: HOST[p.family] }));
          const results = await topology.probe('peer', probes);
          expect(PEERS.map((p, i) => `${p.address}: ${results[i]}`)).toEqual(expected);
        } finally {
          await topology.destroy();
        }
      }, 120_000);
    }
  }
});
