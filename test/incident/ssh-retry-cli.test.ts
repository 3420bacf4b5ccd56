import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempPolicies, type TempPolicies } from '../support/policy-dir.js';

/**
 * `block`, `unblock`, `blocks` and `drops` retry the first connection to a host like `deploy` does: a
 * server whose sshd refuses (rebooting, restarting) gets three attempts, each retry on stderr, then a
 * failure that says so. The host's SSH endpoint is a closed port on this machine's loopback (nothing
 * leaves the machine).
 */
describe('incident commands retry the first connection', () => {
  let policies: TempPolicies | undefined;
  afterEach(() => {
    policies?.dispose();
    policies = undefined;
  });

  it.each([
    [['blocks', 'web-01']],
    [['unblock', '198.51.100.77', 'web-01']],
    [['block', '198.51.100.77', '--ttl', '1h', '--reason', 'scan', 'web-01']],
    [['drops', 'web-01', '--since', '5m']],
  ])('%j: two retries shown, then the host fails (exit 1)', async (argv) => {
    policies = tempPolicies();
    policies.write(
      'hosts.yaml',
      'hosts:\n  web-01:\n    addresses: [203.0.113.10, "2001:db8:203::10"]\n    ssh: { address: 127.0.0.1, port: 2, hostKey: "SHA256:AtCHH9wKtHS6Gq7bQtwDAMLDJYZ6W58yXNsmzddHL8U" }\n    backend: nftables\n    tags: [web]\n  db-01:\n    addresses: [192.0.2.20]\n    backend: iptables\n',
    );
    // The admin network may reach that port, or ssh-lockout refuses the policy.
    policies.write('defaults.yaml', 'defaults:\n  ingress:\n    - from: admin\n      ports: [ssh, tcp/2]\n    - from: office\n      ports: [https]\n');
    const run = await runCli([...argv, '-p', policies.dir]);
    const retries = run.stderr.split('\n').filter((line) => line.includes('[web-01] retrying'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/attempt 1 of 3 failed: .*ECONNREFUSED.*; retrying in 1 s/);
    // `block` first asks the servers for this client's address (a guard rail): that connection is the retried one.
    expect(run.stdout + run.stderr).toMatch(argv[0] === 'block' ? /error: web-01: cannot reach root@127\.0\.0\.1:2/ : /gave up after 3 attempts, 1 s, 2 s apart/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(1);
  }, 30_000);

  it('drops on a policy with errors says so and reads nothing (exit 1)', async () => {
    policies = tempPolicies();
    policies.write('hosts.yaml', 'hosts:\n  web-01:\n    addresses: [203.0.113.10]\n    ssh: { address: 127.0.0.1, port: 2 }\n    backend: nftables\n  db-01:\n    addresses: [192.0.2.20]\n    backend: iptables\n');
    const run = await runCli(['drops', 'web-01', '-p', policies.dir]);
    expect(run.stderr).toContain('[ssh-lockout]');
    expect(run.stderr).toContain('error: the policies have errors, so the drop log cannot be attributed; nothing was read');
    expect(run.stderr).not.toContain('retrying');
    expect(run.code).toBe(1);
  });
});
