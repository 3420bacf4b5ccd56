import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/build/compiled-host.js';
import { deployHost, statusHost, type DeployOptions } from '../../src/deploy/index.js';
import { alive, createClientKey } from '../../src/lab/server.js';
import { createTestHost, kernelTestsEnabled, type TestHost } from './fixture.js';
import { rulesets } from './rulesets.js';

/**
 * Login paths the deploy scenarios (which log in as root with a key file) do not take: a non-root user
 * going through `sudo -n`, and authentication by ssh-agent alone. Real sshd in a namespace; the deploy
 * user exists only in that sshd's private /etc and /home (see LabDeployUser).
 */
const enabled = kernelTestsEnabled();
const BACKENDS: Backend[] = ['nftables', 'iptables'];
const DEPLOY_USER = 'btdeploy';

/** Every firewall rule in the namespace, both backends, without counters or timestamps. */
async function firewall(host: TestHost): Promise<string> {
  const parts = await Promise.all([host.ns('nft', ['-s', 'list', 'ruleset']), host.ns('iptables', ['-S']), host.ns('ip6tables', ['-S'])]);
  return parts.map((p) => p.stdout).join('\n--\n');
}

/** An ssh-agent in the foreground (`-D`) on a socket under `dir`, so its pid is ours to kill. */
async function startAgent(dir: string): Promise<{ socket: string; pid: number }> {
  const socket = join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const pid = child.pid;
  if (!pid) throw new Error('ssh-agent did not start');
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!existsSync(socket)) {
    process.kill(pid, 'SIGKILL');
    throw new Error(`ssh-agent did not create ${socket}`);
  }
  return { socket, pid };
}

describe.runIf(enabled)('deploy paths not yet exercised (real sshd)', () => {
  let host: TestHost | undefined;
  let agentPid: number | undefined;

  beforeAll(() => {
    expect(process.getuid?.()).toBe(0);
  });

  afterEach(async () => {
    if (agentPid && alive(agentPid)) process.kill(agentPid, 'SIGKILL');
    agentPid = undefined;
    await host?.cleanup();
    host = undefined;
  });

  for (const backend of BACKENDS) {
    it(`a non-root user with passwordless sudo deploys, and the audit names that user (${backend})`, async () => {
      host = await createTestHost(3, { deployUser: { name: DEPLOY_USER, sudo: 'nopasswd' } });
      const rs = rulesets(backend);
      const target = host.target(rs.allowSsh, backend);
      expect(target.ssh.user).toBe(DEPLOY_USER);

      const report = await deployHost(target, host.options);
      expect(report.outcome, report.message).toBe('confirmed');
      expect(report.liveHash).toBe(report.newHash);

      const status = await statusHost(target, host.options);
      expect(status.error).toBeUndefined();
      expect(status.state).toBe('in-sync');
      expect(status.audit.at(-1)).toMatchObject({ outcome: 'confirmed', user: DEPLOY_USER, client: host.server.clientAddress });
      expect(await firewall(host)).toMatch(/dport 22/);
    });
  }

  it('a user without passwordless sudo fails with sudo-failed and changes nothing', async () => {
    host = await createTestHost(3, { deployUser: { name: DEPLOY_USER, sudo: 'password' } });
    const before = await firewall(host);
    const report = await deployHost(host.target(rulesets('nftables').allowSsh, 'nftables'), host.options);
    expect(report.outcome).toBe('failed');
    expect(report.error?.code).toBe('sudo-failed');
    expect(report.message).toMatch(/sudo -n needs a password.*passwordless sudo/);
    expect(await firewall(host)).toBe(before);
    expect(existsSync(host.options.server!.stateDir!)).toBe(false);
  });

  /** The key file is a fresh key sshd does not accept, so only a key held by the agent can log in. */
  const agentOnly = async (on: TestHost, socket: string): Promise<DeployOptions> => {
    const decoy = await createClientKey(join(on.dir, 'decoy'));
    return { ...on.options, ssh: { ...on.options.ssh, privateKeyPath: decoy.privateKeyPath, agentSocket: socket } };
  };

  it('authenticates with ssh-agent alone', async () => {
    host = await createTestHost(3);
    const agent = await startAgent(host.dir);
    agentPid = agent.pid;
    await execa('ssh-add', ['-q', host.options.ssh!.privateKeyPath!], { env: { SSH_AUTH_SOCK: agent.socket } });
    const options = await agentOnly(host, agent.socket);
    const report = await deployHost(host.target(rulesets('nftables').allowSsh, 'nftables'), options);
    expect(report.outcome, report.message).toBe('confirmed');
  });

  it('an ssh-agent holding no key is refused with auth-failed', async () => {
    host = await createTestHost(3);
    const agent = await startAgent(host.dir);
    agentPid = agent.pid;
    const options = await agentOnly(host, agent.socket);
    const before = await firewall(host);
    const report = await deployHost(host.target(rulesets('nftables').allowSsh, 'nftables'), options);
    expect(report.outcome).toBe('refused');
    expect(report.error?.code).toBe('auth-failed');
    expect(report.message).toContain('ssh-agent');
    expect(await firewall(host)).toBe(before);
  });
});
