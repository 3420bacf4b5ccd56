import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/build/compiled-host.js';
import type { CounterRow } from '../../src/deploy/counters.js';
import type { StatusReport } from '../../src/deploy/index.js';
import { createTestHost, kernelTestsEnabled, type TestHost } from './fixture.js';
import { runCli, tempPolicies, type TempPolicies } from '../support/policy-dir.js';

/**
 * The whole path through the CLI: policies → lint → build → `benteng deploy` over real SSH into an sshd
 * in a namespace (with a private /etc and /var/lib, so default server paths are safe) → `benteng status`.
 * The compiled ruleset must itself keep SSH from the admin network open, or the deploy rolls back.
 */
const enabled = kernelTestsEnabled();

function policiesFor(host: TestHost, extraIngress = '', backend: Backend = 'nftables'): TempPolicies {
  const policies = tempPolicies({ copyBase: false });
  const { server } = host;
  policies.write(
    'hosts.yaml',
    `hosts:\n  cli-target:\n    addresses: [${server.address}]\n    ssh: { address: ${server.address}, user: root, hostKey: "${server.hostKey}" }\n    backend: ${backend}\n`,
  );
  policies.write('networks.yaml', `networks:\n  admin:\n    tags: [admin]\n    include: [${server.clientAddress}/32]\n`);
  policies.write('defaults.yaml', 'defaults:\n  ingress:\n    - description: deployer\n      from: admin\n      ports: [tcp/22]\n');
  policies.write(
    'services/web.yaml',
    `service: web\ndescription: test web\nowners: [A, B]\nhosts: [cli-target]\ningress:\n  - from: any\n    ports: [tcp/443]\n${extraIngress}`,
  );
  return policies;
}

/** One TCP connect: `reset` (refused: the firewall let it through to a closed port), `open`, or `silent` after 2 s + 3 s. */
async function tcpProbe(to: string, port: number): Promise<'open' | 'reset' | 'silent'> {
  for (const waitMs of [2000, 3000]) {
    const seen = await new Promise<'open' | 'reset' | 'silent'>((resolve) => {
      const socket = connect({ host: to, port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve('silent');
      }, waitMs);
      socket.once('connect', () => (clearTimeout(timer), socket.destroy(), resolve('open')));
      socket.once('error', () => (clearTimeout(timer), resolve('reset')));
    });
    if (seen !== 'silent') return seen;
  }
  return 'silent';
}

describe.runIf(enabled)('benteng deploy / status through the CLI (real sshd)', () => {
  let host: TestHost | undefined;
  let policies: TempPolicies | undefined;
  let args: string[] = [];

  beforeAll(() => {
    expect(process.getuid?.()).toBe(0);
  });

  const statusJson = async (): Promise<StatusReport> => {
    const run = await runCli(['status', 'cli-target', '--format', 'json', ...args]);
    return (JSON.parse(run.stdout) as StatusReport[])[0]!;
  };

  afterEach(async () => {
    policies?.dispose();
    await host?.cleanup();
    host = undefined;
    policies = undefined;
  });

  it('deploys, confirms, reports in sync, then shows a dry-run diff for a changed policy', async () => {
    host = await createTestHost(3, { privateRoot: true });
    policies = policiesFor(host);
    args = ['-p', policies.dir, '-i', host.options.ssh!.privateKeyPath!, '--state-dir', join(host.dir, 'state')];

    const deploy = await runCli(['deploy', 'cli-target', '-t', '3', ...args]);
    expect(deploy.stdout).toMatch(/cli-target\s+nftables\s+confirmed/);
    expect(deploy.code).toBe(0);
    expect(deploy.stderr).toContain('[cli-target] confirmed');

    const live = await host.ns('nft', ['list', 'table', 'inet', 'benteng']);
    expect(live.stdout).toContain('web/ingress/0');

    const status = await runCli(['status', 'cli-target', ...args]);
    expect(status.stdout).toMatch(/cli-target\s+in sync/);
    expect(status.code).toBe(0);

    policies.dispose();
    policies = policiesFor(host, '  - from: any\n    ports: [tcp/8443]\n');
    args[1] = policies.dir;
    const dryRun = await runCli(['deploy', 'cli-target', '--dry-run', ...args]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('8443');
    const drifted = await runCli(['status', 'cli-target', ...args]);
    expect(drifted.stdout).toMatch(/cli-target\s+drifted/);
    expect(drifted.code).toBe(1);
  });

  it('deploys an emitted iptables ruleset, confirms and reports in sync', async () => {
    host = await createTestHost(3, { privateRoot: true });
    policies = policiesFor(host, '', 'iptables');
    args = ['-p', policies.dir, '-i', host.options.ssh!.privateKeyPath!, '--state-dir', join(host.dir, 'state')];

    const deploy = await runCli(['deploy', 'cli-target', '-t', '3', ...args]);
    expect(deploy.stdout).toMatch(/cli-target\s+iptables\s+confirmed/);
    expect(deploy.code).toBe(0);

    const live = await host.ns('iptables-save', []);
    expect(live.stdout).toMatch(/-A BENTENG-\S+ .*--dport 443 .*--comment "?web\/ingress\/0\b/);
    expect(live.stdout).toMatch(/--dport 22 .*--comment "?defaults\/ingress\/0\b/);

    const status = await runCli(['status', 'cli-target', ...args]);
    expect(status.stdout).toMatch(/cli-target\s+in sync/);
    expect(status.code).toBe(0);
  });

  it.each(['nftables', 'iptables'] as const)('status counters go up with real probes to the right service (%s)', async (backend) => {
    host = await createTestHost(3, { privateRoot: true });
    policies = policiesFor(host, '', backend);
    args = ['-p', policies.dir, '-i', host.options.ssh!.privateKeyPath!, '--state-dir', join(host.dir, 'state')];
    expect((await runCli(['deploy', 'cli-target', '-t', '3', ...args])).code).toBe(0);
    const before = await statusJson();
    const count = (rows: CounterRow[] | undefined, service: string, verdict: string) =>
      (rows ?? []).filter((r) => r.service === service && r.direction === 'ingress' && r.verdict === verdict).reduce((n, r) => n + r.packets, 0);
    // tcp/443 is open to any in web's policy (nothing listens: the kernel answers with a reset);
    // tcp/8443 is not, so it hits the default drop.
    for (let i = 0; i < 3; i++) expect(await tcpProbe(host.server.address, 443)).toBe('reset');
    for (let i = 0; i < 2; i++) expect(await tcpProbe(host.server.address, 8443)).toBe('silent');
    const after = await statusJson();
    expect(count(after.counters, 'web', 'accept') - count(before.counters, 'web', 'accept')).toBeGreaterThanOrEqual(3);
    expect(count(after.counters, '(default drop)', 'drop') - count(before.counters, '(default drop)', 'drop')).toBeGreaterThanOrEqual(2);
    const text = await runCli(['status', 'cli-target', ...args]);
    expect(text.stdout).toMatch(/cli-target: counters since the last deploy\n\s+service\s+direction\s+accepted\s+dropped\n/);
    expect(text.stdout).toMatch(/^\s+web\s+ingress\s+[1-9]\d* pkts, /m);
    expect(text.stdout).toMatch(/cli-target: last deploy \S+ by root from /);
  });

  it('refuses unknown hosts and host lists mixed with --all as usage errors', async () => {
    host = await createTestHost(3, { privateRoot: true });
    policies = policiesFor(host);
    expect((await runCli(['deploy', 'nope', '-p', policies.dir])).code).toBe(2);
    expect((await runCli(['deploy', 'cli-target', '--all', '-p', policies.dir])).code).toBe(2);
    expect((await runCli(['deploy', 'cli-target', '-t', '0', '-p', policies.dir])).code).toBe(2);
  });
});
