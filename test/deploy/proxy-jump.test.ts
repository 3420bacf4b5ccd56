import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshEndpoint } from '../../src/build/compiled-host.js';
import type { StatusReport, SshOptions } from '../../src/deploy/index.js';
import { retryFirstConnection } from '../../src/deploy/ssh/retry.js';
import { connectSsh } from '../../src/deploy/ssh/transport.js';
import { runCli, tempPolicies, type TempPolicies } from '../support/policy-dir.js';
import { createTestHost, kernelTestsEnabled, type TestHost } from './fixture.js';

/**
 * ProxyJump against real sshds: a bastion reachable from the root namespace, and a target whose only
 * link goes to the bastion's namespace (no route to it from here). `benteng deploy` and `status` reach
 * the target through the bastion, once from hosts.yaml's `ssh.proxyJump` and once from an ssh config
 * file (`--ssh-config`); every hop's host key is checked and a failure names its hop. The tests share
 * the two servers and run in order: the ssh-config test reads the ruleset the deploy test confirmed.
 */
const enabled = kernelTestsEnabled();

describe.runIf(enabled)('ProxyJump through a bastion (real sshd in namespaces)', () => {
  let bastion: TestHost;
  let target: TestHost;
  let key: string;
  const policyDirs: TempPolicies[] = [];

  beforeAll(async () => {
    bastion = await createTestHost(3);
    target = await createTestHost(3, { privateRoot: true, behind: bastion });
    key = bastion.options.ssh!.privateKeyPath!;
    // One operator key for both hops.
    appendFileSync(join(target.server.dir, 'authorized_keys'), readFileSync(`${key}.pub`, 'utf8'));
  }, 30_000);

  afterAll(async () => {
    for (const p of policyDirs) p.dispose();
    await target?.cleanup();
    await bastion?.cleanup();
  });

  const bastionEndpoint = (hostKey = bastion.server.hostKey): SshEndpoint => ({ name: 'bastion-01', address: bastion.server.address, port: 22, user: 'root', hostKey });
  const targetEndpoint = (jump: SshEndpoint, port = 22): SshEndpoint => ({
    name: 'inner-01',
    address: target.server.address,
    port,
    user: 'root',
    hostKey: target.server.hostKey,
    proxyJump: [jump],
  });
  const ssh = (): SshOptions => ({ privateKeyPath: key, agentSocket: '', knownHostsPath: join(bastion.dir, 'no_known_hosts'), sshConfigPath: 'none', readyTimeoutMs: 3000 });

  it('the target cannot be reached directly from the root namespace, only through the bastion', async () => {
    const direct = await connectSsh({ ...targetEndpoint(bastionEndpoint()), proxyJump: [] }, { ...ssh(), readyTimeoutMs: 1500 });
    expect(direct.ok).toBe(false);
    expect(!direct.ok && direct.error.code).toBe('unreachable');
    const jumped = await connectSsh(targetEndpoint(bastionEndpoint()), ssh());
    expect(jumped.ok, !jumped.ok ? jumped.error.message : '').toBe(true);
    if (!jumped.ok) return;
    try {
      // The target sees the connection come from the bastion's address on their private link.
      const seen = await jumped.value.exec('echo $SSH_CLIENT');
      expect(seen.stdout.split(' ')[0]).toBe(target.server.clientAddress);
      expect((await jumped.value.exec('cat /proc/sys/kernel/hostname')).code).toBe(0);
    } finally {
      jumped.value.close();
    }
  });

  it('checks the jump host key and names the hop that failed', async () => {
    const wrongKey = await connectSsh(targetEndpoint(bastionEndpoint(target.server.hostKey)), ssh());
    expect(!wrongKey.ok && wrongKey.error).toMatchObject({ code: 'host-key-changed', message: expect.stringMatching(/^jump host bastion-01: host key of 203\.0\.113\.\d+:22 does not match/) });
    const unknownKey = await connectSsh(targetEndpoint({ ...bastionEndpoint(), hostKey: undefined } as SshEndpoint), ssh());
    expect(!unknownKey.ok && unknownKey.error).toMatchObject({ code: 'host-key-unknown', message: expect.stringMatching(/^jump host bastion-01: host key of .* is unknown/) });
    const closedPort = await connectSsh(targetEndpoint(bastionEndpoint(), 2222), ssh());
    expect(!closedPort.ok && closedPort.error).toMatchObject({
      code: 'unreachable',
      transient: true,
      message: expect.stringMatching(/^cannot reach root@203\.0\.113\.\d+:2222: the jump host could not connect: .*\(through jump host bastion-01\)$/),
    });
  });

  it('retries the first connection on a refused port with a message per attempt, and never on a host key mismatch', async () => {
    const messages: string[] = [];
    const connect = retryFirstConnection(connectSsh, { delaysMs: [100, 200], onRetry: (host, m) => messages.push(`${host}: ${m}`) });
    const refused = await connect({ ...bastionEndpoint(), port: 2 }, ssh());
    expect(!refused.ok && refused.error.message).toMatch(/ECONNREFUSED.*\(gave up after 3 attempts, 0\.10 s, 0\.20 s apart\)$/);
    expect(messages).toEqual([
      expect.stringMatching(/^bastion-01: attempt 1 of 3 failed: cannot reach root@203\.0\.113\.\d+:2: .*ECONNREFUSED.*; retrying in 0\.10 s$/),
      expect.stringMatching(/^bastion-01: attempt 2 of 3 failed: .*; retrying in 0\.20 s$/),
    ]);
    messages.length = 0;
    const mismatch = await retryFirstConnection(connectSsh, { delaysMs: [100], onRetry: (host, m) => messages.push(m) })(bastionEndpoint(target.server.hostKey), ssh());
    expect(!mismatch.ok && mismatch.error.code).toBe('host-key-changed');
    expect(messages).toEqual([]);
  });

  function policies(proxyJump: string): TempPolicies {
    const p = tempPolicies({ copyBase: false });
    policyDirs.push(p);
    const { server: b } = bastion;
    const { server: t } = target;
    p.write(
      'hosts.yaml',
      [
        'hosts:',
        '  bastion-01:',
        `    addresses: [${b.address}, ${t.clientAddress}]`,
        `    ssh: { address: ${b.address}, hostKey: "${b.hostKey}" }`,
        '    backend: nftables',
        '    tags: [bastion]',
        '  inner-01:',
        `    addresses: [${t.address}]`,
        `    ssh: { address: ${t.address}, hostKey: "${t.hostKey}"${proxyJump ? `, proxyJump: ${proxyJump}` : ''} }`,
        '    backend: nftables',
        '    tags: [inner]',
        '',
      ].join('\n'),
    );
    // The operators' address, and the bastion (its address on the inner link is the one the target sees).
    p.write('networks.yaml', `networks:\n  admin:\n    tags: [admin]\n    include: [${b.clientAddress}/32, host:bastion-01]\n`);
    p.write('defaults.yaml', 'defaults:\n  ingress:\n    - description: operators and the bastion\n      from: admin\n      ports: [tcp/22]\n');
    p.write('services/web.yaml', 'service: web\ndescription: test web\nowners: [A, B]\nhosts: [inner-01]\ningress:\n  - from: any\n    ports: [tcp/443]\n');
    return p;
  }

  it('deploys and reads status through hosts.yaml proxyJump, selecting the host by tag', async () => {
    const p = policies('bastion-01');
    const args = ['-p', p.dir, '-i', key, '--known-hosts', join(bastion.dir, 'no_known_hosts'), '--ssh-config', 'none', '--state-dir', join(target.dir, 'state')];
    const deploy = await runCli(['deploy', 'tag:inner', '-t', '3', ...args]);
    expect(deploy.stdout, deploy.stderr).toMatch(/inner-01\s+nftables\s+confirmed/);
    expect(deploy.stdout).not.toMatch(/bastion-01/);
    expect(deploy.code).toBe(0);
    const status = await runCli(['status', 'inner-01', '--format', 'json', ...args]);
    const [report] = JSON.parse(status.stdout) as StatusReport[];
    expect(report).toMatchObject({ host: 'inner-01', ok: true, state: 'in-sync' });
    expect(report!.audit.at(-1)).toMatchObject({ outcome: 'confirmed', client: target.server.clientAddress });
    expect(status.code).toBe(0);
    // The bastion's own firewall was never touched.
    expect((await bastion.ns('nft', ['list', 'tables'])).stdout).not.toMatch(/benteng/);
  });

  it('reads status through a ProxyJump from an ssh config file (--ssh-config), keys and known_hosts from it too', async () => {
    const p = policies('');
    const knownHosts = join(bastion.dir, 'bastion_known_hosts');
    const pub = readFileSync(join(bastion.server.dir, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ');
    writeFileSync(knownHosts, `${bastion.server.address} ${pub[0]} ${pub[1]}\n`);
    const config = join(bastion.dir, 'ssh_config');
    writeFileSync(
      config,
      [
        'Host inner-*',
        `  ProxyJump root@${bastion.server.address}:22`,
        `Host ${bastion.server.address}`,
        `  UserKnownHostsFile ${knownHosts}`,
        'Match exec "true"',
        '  User nobody',
        'Host *',
        `  IdentityFile ${key}`,
        '  IdentitiesOnly yes',
        '',
      ].join('\n'),
    );
    const status = await runCli(['status', 'inner-01', '--format', 'json', '-p', p.dir, '--ssh-config', config, '--state-dir', join(target.dir, 'state')]);
    const [report] = JSON.parse(status.stdout) as StatusReport[];
    expect(report, status.stderr).toMatchObject({ host: 'inner-01', ok: true, state: 'in-sync' });
    expect(status.stderr).toMatch(/note: .*ssh_config:5: `Match exec true` is not supported/);
    expect(status.code).toBe(0);

    // Without the config's ProxyJump the target is out of reach, and the error says so.
    const none = await runCli(['status', 'inner-01', '--format', 'json', '-p', p.dir, '-i', key, '--ssh-config', 'none', '--state-dir', join(target.dir, 'state')]);
    const [direct] = JSON.parse(none.stdout) as StatusReport[];
    expect(direct).toMatchObject({ ok: false, error: { code: 'unreachable' } });
    expect(none.code).toBe(1);
  }, 20_000);

  it('unknown host names get a did-you-mean and nothing else; unknown tags too', async () => {
    const p = policies('bastion-01');
    const typo = await runCli(['status', 'inner-1', '-p', p.dir]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown host "inner-1", did you mean `inner-01`\?/);
    expect(typo.stderr).not.toMatch(/bastion-01/);
    const far = await runCli(['deploy', 'zzzzzz', '-p', p.dir]);
    expect(far.stderr).toMatch(/unknown host "zzzzzz" \(hosts: bastion-01, inner-01\)/);
    const tag = await runCli(['deploy', 'tag:iner', '-p', p.dir]);
    expect(tag.code).toBe(2);
    expect(tag.stderr).toMatch(/no host has tag "iner", did you mean `tag:inner`\?/);
  });
});
