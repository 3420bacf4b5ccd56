/**
 * `benteng import` from a live server: a lab sshd in a namespace runs a ufw-style ruleset; the import
 * reads it over SSH (host key pinned in hosts.yaml, or from known_hosts with --ssh), writes the same
 * policy as the import of the saved file, and changes nothing on the server.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHost, kernelTestsEnabled, type TestHost } from '../deploy/fixture.js';
import { inNs } from '../support/netns.js';
import { runCli } from '../support/policy-dir.js';

const enabled = kernelTestsEnabled();
const FIXTURES = join(import.meta.dirname, 'fixtures');

describe.skipIf(!enabled)('benteng import over SSH (read-only)', () => {
  let host: TestHost;
  let scratch: string;
  const listing = async () => (await inNs(host.server.netns, 'iptables', ['-S'])).stdout;

  beforeAll(async () => {
    host = await createTestHost();
    scratch = mkdtempSync(join(tmpdir(), 'bt-import-live-'));
    const restore = await inNs(host.server.netns, 'iptables-restore', [], readFileSync(join(FIXTURES, 'ufw.rules'), 'utf8'));
    if (restore.exitCode !== 0) throw new Error(`iptables-restore: ${restore.stderr}`);
  });
  afterAll(async () => {
    await host?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('--from-host reads iptables-save over SSH and imports as from the saved file; the server is unchanged', async () => {
    const policies = join(scratch, 'inventory');
    const { server } = host;
    const before = await listing();
    mkdirSync(policies, { recursive: true });
    writeFileSync(join(policies, 'hosts.yaml'), `hosts:\n  lab:\n    addresses: [${server.address}]\n    ssh: { address: ${server.address}, user: root, hostKey: "${server.hostKey}" }\n    backend: iptables\n`);
    const out = join(scratch, 'live');
    const ssh = host.options.ssh!;
    const result = await runCli(['import', '--from-host', 'lab', '--policies', policies, '-i', ssh.privateKeyPath!, '--known-hosts', ssh.knownHostsPath!, '--out', out, '--host', 'web-01', '--address', '203.0.113.10', '--packets', '500']);
    expect(result.stderr).toContain('read-only');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('equivalence: 500 random packets (seed 1): equivalent');
    const fromFile = join(scratch, 'file');
    expect((await runCli(['import', join(FIXTURES, 'ufw.rules'), '--out', fromFile, '--host', 'web-01', '--address', '203.0.113.10', '--packets', '500'])).code).toBe(1);
    const service = (dir: string) =>
      readFileSync(join(dir, 'services', 'in-02-ssh.yaml'), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*#/.test(line) && !line.startsWith('description:'))
        .join('\n');
    expect(service(out)).toEqual(service(fromFile));
    expect(readFileSync(join(out, 'services', 'in-02-ssh.yaml'), 'utf8')).toContain('# via lab:iptables-save:');
    expect(readFileSync(join(out, 'hosts.yaml'), 'utf8')).toContain(`ssh: { address: "${server.address}", port: 22, user: root, hostKey: "${server.hostKey}" }`);
    expect(await listing()).toEqual(before);
  });

  it('an unknown host key is refused before any command (exit 2, nothing written)', async () => {
    const out = join(scratch, 'refused');
    const empty = join(scratch, 'empty_known_hosts');
    writeFileSync(empty, '');
    const result = await runCli(['import', '--ssh', `root@${host.server.address}`, '-i', host.options.ssh!.privateKeyPath!, '--known-hosts', empty, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/host key of .* is unknown/);
  });
});

describe.skipIf(!enabled)('benteng import over SSH as a user other than root', () => {
  const hosts: TestHost[] = [];
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'bt-import-sudo-'));
  });
  afterAll(async () => {
    for (const host of hosts) await host.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const importAs = async (sudo: 'nopasswd' | 'password') => {
    const host = await createTestHost(3, { deployUser: { name: 'btimport', sudo } });
    hosts.push(host);
    const restore = await inNs(host.server.netns, 'iptables-restore', [], readFileSync(join(FIXTURES, 'plain-drop.rules'), 'utf8').replace('-A INPUT -s 203.0.113.66/32 -j DROP', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'));
    if (restore.exitCode !== 0) throw new Error(`iptables-restore: ${restore.stderr}`);
    const policies = join(scratch, `inventory-${sudo}`);
    mkdirSync(policies, { recursive: true });
    const { server } = host;
    writeFileSync(join(policies, 'hosts.yaml'), `hosts:\n  lab:\n    addresses: [${server.address}]\n    ssh: { address: ${server.address}, user: btimport, hostKey: "${server.hostKey}" }\n    backend: iptables\n`);
    const out = join(scratch, `out-${sudo}`);
    const result = await runCli(['import', '--from-host', 'lab', '--policies', policies, '-i', host.options.ssh!.privateKeyPath!, '--out', out, '--host', 'web-01', '--address', '203.0.113.10', '--packets', '300']);
    return { result, out };
  };

  it('runs the listings through sudo -n', async () => {
    const { result, out } = await importAs('nopasswd');
    expect(result.code).toBe(1);
    expect(readFileSync(join(out, 'services', 'postgres.yaml'), 'utf8')).toContain('# lab:iptables-save:');
  });

  it('a sudo that wants a password is an error naming the command (exit 2, nothing written)', async () => {
    const { result, out } = await importAs('password');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/printed no ruleset \(`iptables-save` exited 1/);
    expect(existsSync(out)).toBe(false);
  });
});
