import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueryJson } from '../../src/query/json.js';
import { hasStackTrace, REPO_ROOT, runCli, tempPolicies } from '../support/policy-dir.js';

const POLICIES = join(REPO_ROOT, 'policies');
const query = (...words: string[]) => runCli(['query', ...words, '--policies', POLICIES]);
/** Rule files are printed relative to the directory the command runs in. */
const file = (path: string) => relative(process.cwd(), join(REPO_ROOT, path));

describe('benteng query (in-process)', () => {
  it('an open path exits 0 and names the deciding rule on both ends with file:line:col', async () => {
    const result = await query('host:web-01', 'host:db-01', 'tcp/5432');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('web-01 -> db-01: open\n  IPv4 203.0.113.10 -> 192.0.2.20: open\n');
    expect(result.stdout).toContain(`    web-01 egress: accept, rule permit-portal/egress/0 "Application database" (${file('policies/services/permit-portal.yaml')}:13:5)\n`);
    expect(result.stdout).toContain(`    db-01 ingress: accept, rule permit-db/ingress/0 "Only the permit portal's web servers" (${file('policies/services/permit-db.yaml')}:8:5)\n`);
    expect(result.stdout).toContain('  IPv6 2001:db8:203::10 -> 2001:db8:20::20: open\n');
    expect(result.stdout).toContain('1 path: 1 open, 0 closed\n');
    expect(result.stdout).toContain('Replies (established/related packets) are accepted by the baseline');
  });

  it('a closed path exits 1 and says which end is not checked', async () => {
    const result = await query('203.0.113.7', 'host:db-01', 'tcp/5432');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('203.0.113.7 is not a fleet host: its egress is not checked\n    db-01 ingress: drop, default drop (no rule matches)\n');
    expect(result.stdout).toContain('1 path: 0 open, 1 closed\n');
  });

  it('the essential ICMP baseline is named as such', async () => {
    const result = await query('198.51.100.5', 'host:web-01', 'icmp/echo-request');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('web-01 ingress: accept, baseline: essential ICMP\n');
  });

  it('a service on several hosts is one path per host; one closed path makes the exit 1', async () => {
    const result = await query('service:permit-portal', 'service:mail-relay', 'tcp/587');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('web-01 -> mail-01: closed\n');
    expect(result.stdout).toContain('web-02 -> mail-01: closed\n');
    expect(result.stdout).toContain('2 paths: 0 open, 2 closed\n');
  });

  it('--format json follows the version-1 schema', async () => {
    const result = await query('service:permit-portal', '192.0.2.20', 'tcp/5432', '--format', 'json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as QueryJson;
    const rule = (id: string, description: string, path: string, line: number, column: number) => ({ id, service: id.split('/')[0], description, action: 'accept', file: file(path), line, column });
    const check = (web: string, address: string) => ({
      family: 'ipv4',
      from: address,
      to: '192.0.2.20',
      open: true,
      egress: { host: web, direction: 'egress', verdict: 'accept', decidedBy: 'rule', rule: rule('permit-portal/egress/0', 'Application database', 'policies/services/permit-portal.yaml', 13, 5), blocklist: null, repliesAccepted: true },
      ingress: { host: 'db-01', direction: 'ingress', verdict: 'accept', decidedBy: 'rule', rule: rule('permit-db/ingress/0', "Only the permit portal's web servers", 'policies/services/permit-db.yaml', 8, 5), blocklist: null, repliesAccepted: true },
    });
    expect(json).toEqual({
      version: 1,
      question: { from: 'service:permit-portal', to: '192.0.2.20', protocol: 'tcp', port: 5432, icmpType: null, icmpTypeName: null },
      open: true,
      summary: { paths: 2, open: 2, closed: 0 },
      paths: [
        { from: { host: 'web-01', address: null }, to: { host: 'db-01', address: null }, open: true, checks: [check('web-01', '203.0.113.10')] },
        { from: { host: 'web-02', address: null }, to: { host: 'db-01', address: null }, open: true, checks: [check('web-02', '203.0.113.11')] },
      ],
    });
  });

  it('--format json: outside addresses, ICMP types and non-rule deciders', async () => {
    const result = await query('2001:db8:ad::9', 'host:web-01', 'icmpv6/128', '--format', 'json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as QueryJson;
    expect(json.question).toEqual({ from: '2001:db8:ad::9', to: 'host:web-01', protocol: 'icmpv6', port: null, icmpType: 128, icmpTypeName: 'echo-request' });
    expect(json.paths).toEqual([
      {
        from: { host: null, address: '2001:db8:ad::9' },
        to: { host: 'web-01', address: null },
        open: true,
        checks: [{ family: 'ipv6', from: '2001:db8:ad::9', to: '2001:db8:203::10', open: true, egress: null, ingress: { host: 'web-01', direction: 'ingress', verdict: 'accept', decidedBy: 'icmp-baseline', rule: null, blocklist: null, repliesAccepted: true } }],
      },
    ]);
  });

  it('a blocklist.yaml address is dropped before any rule, naming the entry (exit 1)', async () => {
    // 203.0.113.66 is blocked in policies/blocklist.yaml; the portal's https is open to everyone else.
    const blocked = await query('203.0.113.66', 'host:web-01', 'tcp/443', '--format', 'json');
    expect(blocked.code).toBe(1);
    const ingress = (JSON.parse(blocked.stdout) as QueryJson).paths[0]!.checks[0]!.ingress!;
    expect(ingress.verdict).toBe('drop');
    expect(ingress.decidedBy).toBe('blocklist');
    expect(ingress.rule).toBeNull();
    expect(ingress.blocklist).toEqual({
      id: 'blocklist/0',
      addresses: ['203.0.113.66', '2001:db8:bad::/48'],
      reason: 'defacement of the city portal, ticket CSIRT-2026-114',
      file: 'policies/blocklist.yaml',
      line: 6,
      column: 5,
    });
    const pretty = await query('203.0.113.66', 'host:web-01', 'tcp/443');
    expect(pretty.stdout).toContain('web-01 ingress: drop, blocklist blocklist/0 (203.0.113.66, 2001:db8:bad::/48) "defacement of the city portal, ticket CSIRT-2026-114" (policies/blocklist.yaml:6:5)');
    const neighbour = await query('203.0.113.67', 'host:web-01', 'tcp/443');
    expect(neighbour.code).toBe(0);
  });

  it.each([
    [['host:web-1', 'host:db-01', 'tcp/5432'], 'error: <from>: no host `web-1` in the fleet, did you mean `web-01`?'],
    [['service:portal', 'service:db', 'tcp/5432'], 'error: <from>: no service `portal` runs on any host, did you mean `city-portal` or `permit-portal`?\nerror: <to>: no service `db` runs on any host, did you mean `permit-db` or `registry-db`?'],
    [['db-01', 'host:web-01', 'tcp/22'], 'error: <from>: `db-01` is a bare name: write host:db-01 or service:db-01'],
    [['10.0.0.0/8', 'host:web-01', 'tcp/22'], 'error: <from>: `10.0.0.0/8` is a block of addresses: query one address in it'],
    [['host:db-01', 'host:web-01', 'tcp/80-90'], 'error: <proto>/<port>: `tcp/80-90` is a port range: query one port'],
    [['host:db-01', 'host:web-01', 'icmp/ping'], 'error: <proto>/<port>: unknown icmp type `ping` (known: echo-reply'],
    [['host:db-01', 'host:web-01', 'sctp/9'], 'error: <proto>/<port>: `sctp/9` is not a protocol: write tcp/<port>, udp/<port>, icmp/<type> or icmpv6/<type>'],
    [['198.51.100.1', '203.0.113.7', 'tcp/80'], 'error: neither 198.51.100.1 nor 203.0.113.7 is an address of a fleet host'],
    [['198.51.100.1', 'host:db-01', 'icmpv6/echo-request'], 'error: icmpv6 is IPv6 only'],
  ])('%j is a usage error (exit 2)', async (words, message) => {
    const result = await query(...words);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('(run `benteng query --help` for usage)');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('missing arguments, an unknown format and a missing directory are usage errors (exit 2)', async () => {
    expect((await runCli(['query', 'host:web-01', 'host:db-01'])).code).toBe(2);
    expect((await query('host:web-01', 'host:db-01', 'tcp/22', '--format', 'sarif')).code).toBe(2);
    const missing = await runCli(['query', 'host:web-01', 'host:db-01', 'tcp/22', '--policies', '/nonexistent/dir']);
    expect(missing.code).toBe(2);
    expect(hasStackTrace(missing.stderr)).toBe(false);
  });

  it('--help shows examples and exit codes', async () => {
    const result = await runCli(['query', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('$ benteng query 203.0.113.7 host:db-01 tcp/5432');
    expect(result.stdout).toContain('Exit codes: 0 every path is open, 1 a path is closed');
  });

  it('policy errors are printed as by lint and exit 1', async () => {
    const policies = tempPolicies();
    try {
      policies.write('services/x.yaml', 'service: x\nhosts: [web-01]\ningress:\n  - from: any\n    prots: [tcp/22]\n');
      const result = await runCli(['query', 'host:web-01', 'host:db-01', 'tcp/22', '-p', policies.dir]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('[schema-unknown-field]');
      expect(result.stderr).toContain('the policies have errors');
    } finally {
      policies.dispose();
    }
  });

  it('checks only the families both ends have (db-01 has no IPv6 address)', async () => {
    const policies = tempPolicies();
    try {
      const result = await runCli(['query', '198.51.100.70', 'host:web-01', 'tcp/443', '-p', policies.dir, '--format', 'json']);
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout) as QueryJson;
      expect(json.paths[0]!.checks.map((c) => [c.family, c.ingress?.rule?.id])).toEqual([['ipv4', 'defaults/ingress/1']]);
      const hosts = await runCli(['query', 'host:web-01', 'host:db-01', 'tcp/443', '-p', policies.dir, '--format', 'json']);
      expect(hosts.code).toBe(1);
      expect((JSON.parse(hosts.stdout) as QueryJson).paths[0]!.checks.map((c) => c.family)).toEqual(['ipv4']);
    } finally {
      policies.dispose();
    }
  });
});
