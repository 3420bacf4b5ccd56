/**
 * Fan-out from one client against real sshd servers in network namespaces (half nftables, half
 * iptables): `block` of one address on N lab hosts and `blocks` on all of them (issue 11 targets), and a
 * full deploy (upload, apply, confirm over a new connection) of one host against all N at once (issue
 * 13: the fan-out ratio). Reports per-host time and the ratio (N hosts against one host). Needs root.
 *
 *   npx tsx bench/incident.ts [--hosts 20] [--runs 3] [--no-results]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend, CompiledHost } from '../src/build/compiled-host.js';
import { blockHosts, deployFleet, listBlocks, type DeployOptions } from '../src/deploy/index.js';
import { createClientKey, startLabServer, stopLabServer, type LabServer } from '../src/lab/server.js';
import { machineLine, REPO_ROOT } from './common.js';
import { replaceSection } from './single-host-report.js';

const MARKERS = { start: '<!-- incident:start -->', end: '<!-- incident:end -->' };

const nftRuleset = `table inet benteng {}
delete table inet benteng
table inet benteng {
  set blocklist_v4 { type ipv4_addr; flags interval,timeout; }
  set blocklist_v6 { type ipv6_addr; flags interval,timeout; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @blocklist_v4 drop
    ip6 saddr @blocklist_v6 drop
  }
}
`;
const iptRuleset = (family: 4 | 6) => `*filter
:BENTENG-INPUT - [0:0]
:BENTENG-BLOCK - [0:0]
-I INPUT 1 -j BENTENG-INPUT
-A BENTENG-INPUT -j BENTENG-BLOCK
-A BENTENG-BLOCK -m set --match-set benteng-block-v${family} src -j DROP
-A BENTENG-BLOCK -j RETURN
COMMIT
`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runIncident(hosts: number, runs: number, results: string | undefined): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bt-bench-incident-'));
  const servers: LabServer[] = [];
  const specs: { netns: string; vethHost: string; dir: string }[] = [];
  try {
    const key = await createClientKey(join(dir, 'client'));
    for (let i = 0; i < hosts; i++) {
      // 198.51.100.128/25 in /30s (up to 32 hosts): the bench never runs next to the tests (203.0.113.0/24
      // and 198.51.100.128/25) or the lab (198.51.100.0/25); a CI machine may sit on 192.0.2.0/24.
      if (i >= 32) throw new Error('at most 32 bench hosts');
      const spec = {
        netns: `bt-bench-${process.pid}-${i}`,
        vethHost: `btb${process.pid % 10000}h${i}`.slice(0, 15),
        vethServer: `btb${process.pid % 10000}s${i}`.slice(0, 15),
        clientAddress: `198.51.100.${128 + i * 4 + 1}`,
        address: `198.51.100.${128 + i * 4 + 2}`,
        dir: join(dir, `server-${i}`),
        authorizedKey: key.publicKey,
      };
      specs.push(spec);
      servers.push(await startLabServer(spec));
    }
    const options: DeployOptions = {
      confirmTimeoutSeconds: 10,
      ssh: { privateKeyPath: key.privateKeyPath, agentSocket: '', readyTimeoutMs: 5000 },
      server: {
        stateDir: join(dir, 'state'),
        nftPersistPath: join(dir, 'etc', 'benteng.nft'),
        nftConfPath: join(dir, 'etc', 'nftables.conf'),
        rulesV4Path: join(dir, 'etc', 'rules.v4'),
        rulesV6Path: join(dir, 'etc', 'rules.v6'),
      },
    };
    const targets: CompiledHost[] = servers.map((s, i) => {
      const backend: Backend = i % 2 === 0 ? 'nftables' : 'iptables';
      return {
        host: `bench-${i}`,
        backend,
        ssh: { address: s.address, port: 22, user: 'root', hostKey: s.hostKey },
        ruleset: backend === 'nftables' ? { nft: nftRuleset } : { rulesV4: iptRuleset(4), rulesV6: iptRuleset(6) },
      };
    });
    // Each server gets its own state dir (they share this machine's filesystem).
    const deployed = await Promise.all(targets.map((t, i) => deployFleet([t], { ...options, server: { ...options.server, stateDir: join(dir, `state-${i}`) } })));
    const notDeployed = deployed.filter((d) => !d.ok).length;
    if (notDeployed > 0) throw new Error(`${notDeployed} bench hosts did not deploy: ${deployed.flatMap((d) => d.reports.map((r) => r.message)).join('; ')}`);
    const perHost = (i: number) => ({ ...options, server: { ...options.server, stateDir: join(dir, `state-${i}`) } });
    const timeIt = async (f: () => Promise<{ ok: boolean }[]>) => {
      const start = performance.now();
      const reports = await f();
      const ms = performance.now() - start;
      if (reports.some((r) => !r.ok)) throw new Error('a host failed during the bench');
      return ms;
    };
    const one: number[] = [];
    const all: number[] = [];
    const list: number[] = [];
    const deployOne: number[] = [];
    const deployAll: number[] = [];
    // Every deploy changes the ruleset (a comment naming the run), so each one really applies and confirms.
    const revised = (t: CompiledHost, r: number): CompiledHost => ({
      ...t,
      ruleset:
        t.backend === 'nftables'
          ? { nft: `# bench run ${r}\n${t.ruleset.nft}` }
          : { rulesV4: `# bench run ${r}\n${t.ruleset.rulesV4}`, rulesV6: `# bench run ${r}\n${t.ruleset.rulesV6}` },
    });
    const deployEach = async (chosen: CompiledHost[], r: number) =>
      (await Promise.all(chosen.map((t) => deployFleet([revised(t, r)], perHost(targets.indexOf(t)))))).map((d) => ({ ok: d.ok }));
    for (let r = 0; r < runs; r++) {
      deployOne.push(await timeIt(() => deployEach([targets[0]!], 2 * r)));
      deployAll.push(await timeIt(() => deployEach(targets, 2 * r + 1)));
      one.push(await timeIt(() => blockHosts([targets[0]!], [`203.0.113.${100 + r}`], 60, 'bench', perHost(0))));
      // Every host has its own state dir, so the fan-out runs one call per host with its own options.
      all.push(await timeIt(async () => (await Promise.all(targets.map((t, i) => blockHosts([t], [`203.0.113.${150 + r}`], 60, 'bench', perHost(i))))).flat()));
      list.push(await timeIt(async () => (await Promise.all(targets.map((t, i) => listBlocks([t], perHost(i))))).flat()));
    }
    const section = [
      MARKERS.start,
      '## Fan-out from one client: block, blocks, deploy',
      '',
      `Machine: ${machineLine()}`,
      '',
      `Command: \`npx tsx bench/incident.ts --hosts ${hosts} --runs ${runs}\` (${hosts} lab servers: real sshd in network namespaces, half nftables, half iptables; one client; median of ${runs}).`,
      '',
      '| measure | seconds | target |',
      '|---|---|---|',
      `| \`block\` of one address on 1 host | ${(median(one) / 1000).toFixed(2)} | |`,
      `| \`block\` of one address on ${hosts} hosts | ${(median(all) / 1000).toFixed(2)} | under 5 s for 20 hosts |`,
      `| fan-out ratio (${hosts} hosts / 1 host) | ${(median(all) / median(one)).toFixed(2)} | |`,
      `| \`blocks\` on ${hosts} hosts | ${(median(list) / 1000).toFixed(2)} | under 3 s for 20 hosts |`,
      `| \`deploy\` (apply + confirm) on 1 host | ${(median(deployOne) / 1000).toFixed(2)} | |`,
      `| \`deploy\` on ${hosts} hosts at once | ${(median(deployAll) / 1000).toFixed(2)} | |`,
      `| deploy fan-out ratio (${hosts} hosts / 1 host) | ${(median(deployAll) / median(deployOne)).toFixed(2)} | under 2 for the lab's size |`,
      MARKERS.end,
    ].join('\n');
    if (results) await replaceSection(results, section, MARKERS);
    return section;
  } finally {
    for (const [i, spec] of specs.entries()) await stopLabServer({ ...spec, ...(servers[i] ? { pid: servers[i]!.pid } : {}) });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const value = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  console.log(await runIncident(value('--hosts', 20), value('--runs', 3), args.includes('--no-results') ? undefined : join(REPO_ROOT, 'bench', 'RESULTS.md')));
}
