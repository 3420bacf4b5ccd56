import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DropsReport } from '../../src/deploy/index.js';
import { runCli, tempPolicies, type TempPolicies } from '../support/policy-dir.js';
import { createTestHost, kernelTestsEnabled, type TestHost } from './fixture.js';

/**
 * `benteng drops` against the lab's real sshd, both backends: a port scan from the client shows up
 * within seconds, attributed to the default drop, and a probe of a port a service drops explicitly is
 * attributed to that service's rule. The lab's servers live in network namespaces, whose netfilter
 * log lines reach the kernel log only with net.netfilter.nf_log_all_netns=1 (a real server logs from
 * the initial namespace); the test turns it on and puts the old value back.
 */
const enabled = kernelTestsEnabled();
const SYSCTL = '/proc/sys/net/netfilter/nf_log_all_netns';

/** Sends one SYN (a connect that gives up after 400 ms); the verdict does not matter here. */
function knock(to: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: to, port });
    const done = () => (socket.destroy(), resolve());
    socket.setTimeout(400, done);
    socket.once('connect', done);
    socket.once('error', done);
  });
}

describe.runIf(enabled)('benteng drops (real sshd, kernel log)', () => {
  let previous = '';
  let host: TestHost | undefined;
  let policies: TempPolicies | undefined;
  beforeAll(() => {
    previous = readFileSync(SYSCTL, 'utf8').trim();
    writeFileSync(SYSCTL, '1');
  });
  afterAll(() => {
    if (previous) writeFileSync(SYSCTL, previous);
  });
  afterEach(async () => {
    policies?.dispose();
    await host?.cleanup();
    host = undefined;
    policies = undefined;
  });

  it.each(['nftables', 'iptables'] as const)('a scan shows up attributed to the default drop, an explicit drop to its service (%s)', async (backend) => {
    host = await createTestHost(3, { privateRoot: true });
    const { server } = host;
    policies = tempPolicies({ copyBase: false });
    policies.write('hosts.yaml', `hosts:\n  scan-target:\n    addresses: [${server.address}]\n    ssh: { address: ${server.address}, user: root, hostKey: "${server.hostKey}" }\n    backend: ${backend}\n`);
    policies.write('networks.yaml', `networks:\n  admin:\n    tags: [admin]\n    include: [${server.clientAddress}/32]\n`);
    policies.write('defaults.yaml', 'defaults:\n  ingress:\n    - description: deployer\n      from: admin\n      ports: [tcp/22]\n');
    policies.write(
      'services/web.yaml',
      'service: web\ndescription: test web\nowners: [A, B]\nhosts: [scan-target]\ningress:\n  - description: the old admin port stays shut\n    from: any\n    ports: [tcp/8081]\n    action: drop\n  - from: any\n    ports: [tcp/443]\n',
    );
    const args = ['-p', policies.dir, '-i', host.options.ssh!.privateKeyPath!, '--state-dir', join(host.dir, 'state')];
    const deploy = await runCli(['deploy', 'scan-target', '-t', '3', ...args]);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);

    const scanned = Array.from({ length: 12 }, (_, i) => 9000 + i);
    await Promise.all([...scanned.map((p) => knock(server.address, p)), knock(server.address, 8081)]);
    const run = await runCli(['drops', 'scan-target', '--since', '2m', '--top', '20', '--format', 'json', ...args]);
    expect(run.code, run.stderr).toBe(0);
    const report = (JSON.parse(run.stdout) as DropsReport[])[0]!;
    expect(report.ok).toBe(true);
    expect(report.sources.find((s) => s.value === server.clientAddress)?.count).toBeGreaterThanOrEqual(13);
    const mine = (JSON.parse((await runCli(['drops', 'scan-target', '--since', '2m', '--top', '20', '--peer', server.clientAddress, '--format', 'json', ...args])).stdout) as DropsReport[])[0]!;
    expect(mine.sources.map((s) => s.value)).toEqual([server.clientAddress]);
    const ports = new Set(mine.ports.map((p) => p.value));
    expect(scanned.filter((p) => !ports.has(`tcp/${p}`))).toEqual([]);
    const byWhat = new Map(report.rules.filter((r) => r.direction === 'ingress').map((r) => [r.what, r.count]));
    expect(byWhat.get('default drop')).toBeGreaterThanOrEqual(12);
    expect(byWhat.get('web (web/ingress/0)')).toBeGreaterThanOrEqual(1);

    const text = await runCli(['drops', 'scan-target', '--since', '2m', ...args]);
    expect(text.stdout).toMatch(/^scan-target: \d+ logged drops \((dmesg|journal)\)$/m);
    expect(text.stdout).toMatch(/^\s+\d+\s+ingress\s+web \(web\/ingress\/0\)$/m);
  });
});
