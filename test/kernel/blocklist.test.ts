/**
 * Blocks on the real kernel, both backends: an address in `blocklist.yaml` cannot open TCP to the host,
 * nor be reached from it, while its neighbours can; the evaluator says the same; the policy block
 * rule counts the probes. Then the dynamic side of the same ruleset: an address put into the
 * dynamic set (`blocklist_v4` with a timeout; the ipset `benteng-block-v4` on iptables) is dropped too.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, IPSET_BLOCK_V4, IPSET_BLOCK_V6, NFT_BLOCKLIST_V4, NFT_BLOCKLIST_V6 } from '../../src/build/compiled-host.js';
import { emitHost } from '../../src/emit/index.js';
import { evaluate } from '../../src/evaluate/index.js';
import type { FleetModel } from '../../src/model/index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { type PolicySpec, removePolicyDir, writePolicyDir } from '../support/emit-policies.js';
import { inNs, type Probe, requireKernel, Topology } from '../support/netns.js';

const enabled = requireKernel();

const SPEC: PolicySpec = {
  hosts: { h1: { addresses: ['192.0.2.1', '2001:db8::1'], backend: 'nftables' } },
  services: [{ service: 'portal', hosts: ['h1'], ingress: [{ from: 'any', ports: ['tcp/443'] }], egress: [{ to: 'any', ports: ['tcp/443'] }] }],
};

const BLOCKLIST = `blocklist:
  - addresses: [198.51.100.66, "2001:db8:bad::/48"]
    reason: defacement of the city portal, ticket CSIRT-2026-114
    added: 2026-11-20
    by: alice
`;

const HOST = { ipv4: '192.0.2.1', ipv6: '2001:db8::1' } as const;
/** Peers: blocked by the policy, then neighbours that are not (one of which gets a dynamic block). */
const PEERS = [
  { address: '198.51.100.66', family: 'ipv4', blocked: true },
  { address: '2001:db8:bad:1::7', family: 'ipv6', blocked: true },
  { address: '198.51.100.67', family: 'ipv4', blocked: false },
  { address: '2001:db8:bae::7', family: 'ipv6', blocked: false },
] as const;
const DYNAMIC = { ipv4: '198.51.100.67', ipv6: '2001:db8:bae::7' } as const;

let dir: string;
let model: FleetModel;

beforeAll(async () => {
  dir = await writePolicyDir(SPEC);
  await writeFile(path.join(dir, 'blocklist.yaml'), BLOCKLIST);
  const checked = await checkPolicies(dir, { lint: false });
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  model = checked.model!;
});

afterAll(async () => {
  if (dir) await removePolicyDir(dir);
});

/** TCP to port 443, from each peer to the host (ingress) and from the host to each peer (egress). */
async function probeAll(topology: Topology): Promise<string[]> {
  const ingress: Probe[] = PEERS.map((p) => ({ family: p.family, protocol: 'tcp', port: 443, source: p.address, destination: HOST[p.family] }));
  const egress: Probe[] = PEERS.map((p) => ({ family: p.family, protocol: 'tcp', port: 443, source: HOST[p.family], destination: p.address }));
  const [inResults, outResults] = await Promise.all([topology.probe('peer', ingress), topology.probe('host', egress)]);
  return PEERS.flatMap((p, i) => [`${p.address} -> host: ${inResults[i]}`, `host -> ${p.address}: ${outResults[i]}`]);
}

/** The evaluator's verdicts for the same probes. */
function evaluated(): string[] {
  const host = model.hosts[0]!;
  return PEERS.flatMap((p) => {
    const verdict = (direction: 'ingress' | 'egress') =>
      evaluate(host, model.baseline, {
        direction,
        family: p.family,
        source: direction === 'ingress' ? p.address : HOST[p.family],
        destination: direction === 'ingress' ? HOST[p.family] : p.address,
        protocol: 'tcp',
        port: 443,
        state: 'new',
      }).verdict;
    return [`${p.address} -> host: ${verdict('ingress')}`, `host -> ${p.address}: ${verdict('egress')}`];
  });
}

const expected = (dynamic: boolean) =>
  PEERS.flatMap((p) => {
    const outcome = p.blocked || (dynamic && DYNAMIC[p.family] === p.address) ? 'drop' : 'accept';
    return [`${p.address} -> host: ${outcome}`, `host -> ${p.address}: ${outcome}`];
  });

/** Packets counted by the policy's block rules (nftables: both rules of each chain; iptables: per CIDR). */
async function policyBlockPackets(backend: Backend, ns: string): Promise<number> {
  if (backend === 'nftables') {
    const listed = (await inNs(ns, 'nft', ['list', 'table', 'inet', 'benteng'])).stdout;
    return [...listed.matchAll(/counter packets (\d+) bytes \d+ drop comment "blocklist \(policy\)"/g)].reduce((n, m) => n + Number(m[1]), 0);
  }
  let total = 0;
  for (const save of ['iptables-save', 'ip6tables-save']) {
    const listed = (await inNs(ns, save, ['-c'])).stdout;
    total += [...listed.matchAll(/^\[(\d+):\d+\] -A BENTENG-BLOCK(?:-OUT)? -[sd] \S+ -m comment --comment "blocklist: [^"]*" -j DROP$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  }
  return total;
}

async function addDynamicBlocks(backend: Backend, ns: string): Promise<void> {
  const commands: Array<[string, string[]]> =
    backend === 'nftables'
      ? [['nft', [`add element inet benteng ${NFT_BLOCKLIST_V4} { ${DYNAMIC.ipv4} timeout 1h }; add element inet benteng ${NFT_BLOCKLIST_V6} { ${DYNAMIC.ipv6} timeout 1h }`]]]
      : [
          ['ipset', ['add', IPSET_BLOCK_V4, DYNAMIC.ipv4, 'timeout', '3600']],
          ['ipset', ['add', IPSET_BLOCK_V6, DYNAMIC.ipv6, 'timeout', '3600']],
        ];
  for (const [command, args] of commands) {
    const r = await inNs(ns, command, args);
    expect(r.stderr).toBe('');
  }
}

describe.runIf(enabled)('blocks on the real kernel', () => {
  it('the evaluator drops the policy-blocked peers and only them', () => {
    expect(evaluated()).toEqual(expected(false));
  });

  for (const backend of ['nftables', 'iptables'] as const) {
    it(`${backend}: a blocklist.yaml address cannot open TCP to the host or be reached from it, its neighbours can; a dynamic block adds to it`, async () => {
      const { ruleset } = emitHost(model.hosts[0]!, model.baseline, [backend]);
      const topology = await Topology.create([HOST.ipv4, HOST.ipv6], PEERS.map((p) => p.address));
      try {
        if (backend === 'nftables') await topology.nftLoad(ruleset.nft!);
        else await topology.iptablesLoad(ruleset.rulesV4!, ruleset.rulesV6!);
        await Promise.all([topology.listen('host', [443], [HOST.ipv4, HOST.ipv6]), topology.listen('peer', [443], PEERS.map((p) => p.address))]);

        expect(await probeAll(topology)).toEqual(expected(false));
        expect(await policyBlockPackets(backend, topology.hostNs)).toBeGreaterThan(0);

        await addDynamicBlocks(backend, topology.hostNs);
        expect(await probeAll(topology)).toEqual(expected(true));
      } finally {
        await topology.destroy();
      }
    }, 120_000);
  }
});
