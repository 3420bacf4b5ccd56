/**
 * `benteng diff` on copies of the example fleet: each case edits one service file's YAML text and
 * compares the copy with the original, through `diffAccess` and through the CLI (in-process runner).
 */
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { diffAccess, isEmptyDiff } from '../../src/diff/index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { hasStackTrace, runCli } from '../support/policy-dir.js';
import { append, edit, type FleetCopies, fleetCopies } from './fleet.js';

const NARROW_MONITORING: [string, string, string] = ['services/monitoring.yaml', '    from: admin\n    ports: [https]', '    from: csirt-vpn\n    ports: [https]'];
const OPEN_POSTGRES = ['services/permit-db.yaml', '  - description: Debugging from anywhere\n    from: any\n    ports: [postgres]\n'] as const;

async function diffDirs(oldDir: string, newDir: string) {
  const [before, after] = await Promise.all([checkPolicies(oldDir, { lint: false }), checkPolicies(newDir, { lint: false })]);
  return diffAccess(before, after);
}

let fleet: FleetCopies;
let base: string;
let work: string;

beforeEach(() => {
  fleet = fleetCopies();
  base = fleet.copy('base');
  work = fleet.copy('work');
});

afterEach(() => fleet.dispose());

describe('diffAccess', () => {
  it('(a) no change: an empty diff, exit 0', async () => {
    const diff = await diffDirs(base, work);
    expect(isEmptyDiff(diff)).toBe(true);
    expect(diff.sensitive).toEqual([]);
    const pretty = await runCli(['diff', '--against', base, '-p', work]);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toContain('no access changes');
    const json = await runCli(['diff', '--against', base, '-p', work, '-f', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: 1, hosts: [], baseline: [], sensitive: [], summary: { changes: 0, hosts: 0 } });
  });

  it('(b) narrowing a rule\'s peers: exactly the lost peers go accept -> drop, with the rule and its position', async () => {
    edit(work, ...NARROW_MONITORING);
    const diff = await diffDirs(base, work);
    const oldRule = { id: 'monitoring/ingress/0', service: 'monitoring', span: { file: join(base, 'services', 'monitoring.yaml'), start: { line: 8, column: 5 } } };
    const change = (family: 'ipv4' | 'ipv6', peers: Array<[bigint, bigint]>) => ({
      family,
      protocol: 'tcp',
      values: [{ from: 443, to: 443 }],
      peers: peers.map(([start, end]) => ({ start, end })),
      old: { verdict: 'accept', reason: 'rule', rule: oldRule },
      new: { verdict: 'drop', reason: 'default-drop' },
    });
    expect(diff.baseline).toEqual([]);
    expect(diff.sensitive).toEqual([]);
    expect(diff.hosts).toMatchObject([
      {
        host: 'mon-01',
        status: 'changed',
        chains: [
          {
            direction: 'ingress',
            changes: [
              // admin minus csirt-vpn: the bastion (192.0.2.5) and the admin workstations (198.51.100.0/28)
              change('ipv4', [[0xc0000205n, 0xc0000205n], [0xc6336400n, 0xc633640fn]]),
              change('ipv6', [[0x20010db8002000000000000000000005n, 0x20010db8002000000000000000000005n], [0x20010db800ad00000000000000000000n, 0x20010db800ad0000ffffffffffffffffn]]),
            ],
          },
        ],
      },
    ]);
    expect(diff.hosts[0]!.chains[0]!.changes).toHaveLength(2);
    expect(diff.hosts[0]!.chains[0]!.changes[0]!.new.rule).toBeUndefined();

    const cli = await runCli(['diff', '--against', base, '-p', work]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('IPv4 tcp/443 from 192.0.2.5/32, 198.51.100.0/28: accept → drop');
    expect(cli.stdout).toContain(`was accept by monitoring/ingress/0  ${join(base, 'services', 'monitoring.yaml')}:8:5`);
    expect(cli.stdout).toContain('now drop (default: no rule matches)');
    expect(cli.stdout).toContain('IPv6 tcp/443 from 2001:db8:20::5/128, 2001:db8:ad::/64: accept → drop');
    expect(cli.stdout).toContain('2 changes on 1 host');

    const json = JSON.parse((await runCli(['diff', '--against', base, '-p', work, '-f', 'json'])).stdout);
    expect(json.hosts[0].chains[0].changes[0]).toEqual({
      family: 'ipv4',
      protocol: 'tcp',
      values: [{ from: 443, to: 443 }],
      peers: [
        { start: '192.0.2.5', end: '192.0.2.5' },
        { start: '198.51.100.0', end: '198.51.100.15' },
      ],
      cidrs: ['192.0.2.5/32', '198.51.100.0/28'],
      old: { verdict: 'accept', reason: 'rule', rule: { id: 'monitoring/ingress/0', service: 'monitoring', file: join(base, 'services', 'monitoring.yaml'), line: 8, column: 5 } },
      new: { verdict: 'drop', reason: 'default-drop', rule: null },
    });
  });

  it('(c) opening tcp/5432 from any on a database: the sensitive finding and exit 1', async () => {
    append(work, ...OPEN_POSTGRES);
    const diff = await diffDirs(base, work);
    const rule = { id: 'permit-db/ingress/1', span: { file: join(work, 'services', 'permit-db.yaml'), start: { line: 11, column: 5 } } };
    expect(diff.sensitive).toMatchObject([
      { host: 'db-01', family: 'ipv4', protocol: 'tcp', port: 5432, name: 'PostgreSQL', rules: [rule] },
      { host: 'db-01', family: 'ipv6', protocol: 'tcp', port: 5432, name: 'PostgreSQL', rules: [rule] },
    ]);
    expect(diff.hosts.map((h) => h.host)).toEqual(['db-01']);
    const [v4] = diff.hosts[0]!.chains[0]!.changes;
    expect(v4).toMatchObject({ family: 'ipv4', protocol: 'tcp', values: [{ from: 5432, to: 5432 }], old: { verdict: 'drop', reason: 'default-drop' }, new: { verdict: 'accept', rule } });

    const pretty = await runCli(['diff', '--against', base, '-p', work]);
    expect(pretty.code).toBe(1);
    expect(pretty.stdout).toMatch(/error: this change newly opens a sensitive port to the whole internet:\n {2}PostgreSQL \(tcp\/5432\) from the whole IPv4 and IPv6 internet on db-01, by permit-db\/ingress\/1/);
    // 203.0.113.66 stays dropped: blocklist.yaml decides before any rule.
    expect(pretty.stdout).toContain('IPv4 tcp/5432 from any except 192.0.2.30/32, 203.0.113.10/31, 203.0.113.66/32: drop → accept');

    const github = await runCli(['diff', '--against', base, '-p', work, '-f', 'github']);
    expect(github.code).toBe(1);
    expect(github.stdout).toMatch(/^::error file=[^,]*permit-db\.yaml,line=11,col=5,title=benteng diff%3A sensitive port opened to the internet::Newly opens PostgreSQL \(tcp\/5432\)/m);
    expect(github.stdout).toMatch(/^::warning file=[^,]*permit-db\.yaml,line=11,col=5,title=benteng diff%3A permit-db\/ingress\/1 changes access::db-01 ingress: IPv4 tcp\/5432/m);
    expect(github.stderr).toContain('error: this change newly opens PostgreSQL (tcp/5432)');

    const markdown = await runCli(['diff', '--against', base, '-p', work, '-f', 'markdown']);
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toContain('## benteng diff: access changes');
    expect(markdown.stdout).toContain('> [!CAUTION]');
    expect(markdown.stdout).toContain('### `db-01`');
    expect(markdown.stdout).toContain('| ingress | IPv4 tcp/5432 | from any except 192.0.2.30/32, 203.0.113.10/31, 203.0.113.66/32 | **drop** (default: no rule matches) | **accept** by `permit-db/ingress/1`');

    const json = JSON.parse((await runCli(['diff', '--against', base, '-p', work, '-f', 'json'])).stdout);
    expect(json.summary).toEqual({ changes: 2, hosts: 1, added: 0, removed: 0, sensitive: 2 });
    expect(json.sensitive[0]).toEqual({ host: 'db-01', family: 'ipv4', protocol: 'tcp', port: 5432, name: 'PostgreSQL', rules: [{ id: 'permit-db/ingress/1', service: 'permit-db', file: join(work, 'services', 'permit-db.yaml'), line: 11, column: 5 }] });
  });

  it('drop and reject are different verdicts, and the output says how', async () => {
    edit(work, 'services/mail-relay.yaml', '    from: guest-wifi\n    action: drop', '    from: guest-wifi\n    action: reject');
    const diff = await diffDirs(base, work);
    const changes = diff.hosts.flatMap((h) => h.chains.flatMap((c) => c.changes.map((x) => ({ host: h.host, direction: c.direction, ...x }))));
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) {
      expect(c).toMatchObject({ host: 'mail-01', direction: 'ingress', old: { verdict: 'drop', rule: { id: 'mail-relay/ingress/1' } }, new: { verdict: 'reject', rule: { id: 'mail-relay/ingress/1' } } });
    }
    expect(changes.map((c) => `${c.family} ${c.protocol}`)).toEqual(['ipv4 tcp', 'ipv4 udp', 'ipv4 icmp', 'ipv4 other', 'ipv6 tcp', 'ipv6 udp', 'ipv6 icmp', 'ipv6 other']);
    // The ICMP baseline accepts the essential types before any rule, so only the other types change.
    expect(changes[2]!.values).toEqual([{ from: 1, to: 2 }, { from: 4, to: 7 }, { from: 9, to: 10 }, { from: 13, to: 255 }]);
    const cli = await runCli(['diff', '--against', base, '-p', work]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('IPv4 tcp (all ports) from 198.51.100.112/28: drop → reject');
    expect(cli.stdout).toContain('note: drop and reject both refuse the traffic: drop stays silent, reject answers with an error');
  });

  it('a blocklist.yaml entry added: its address goes from accepted to dropped by the blocklist on every host', async () => {
    append(work, 'blocklist.yaml', '  - addresses: [198.51.100.99]\n    reason: "port scan, ticket CSIRT-2026-120"\n    added: 2026-11-22\n    by: bob\n');
    const diff = await diffDirs(base, work);
    const changes = diff.hosts.flatMap((h) => h.chains.flatMap((c) => c.changes.map((x) => ({ host: h.host, direction: c.direction, ...x }))));
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) {
      expect(c).toMatchObject({ family: 'ipv4', peers: [{ start: 0xc6336463n, end: 0xc6336463n }], old: { verdict: 'accept' }, new: { verdict: 'drop', reason: 'blocklist' } });
      expect(c.new.rule).toBeUndefined();
    }
    // The portal's https was open to everyone, so web-01 and web-02 lose it for that one address.
    expect(changes.filter((c) => c.protocol === 'tcp' && c.values.some((v) => v.from <= 443 && 443 <= v.to)).map((c) => `${c.host} ${c.direction}`)).toEqual(
      expect.arrayContaining(['web-01 ingress', 'web-02 ingress']),
    );
    const cli = await runCli(['diff', '--against', base, '-p', work]);
    expect(cli.stdout).toContain('now drop (blocklist.yaml)');
  });

  it('a host added is compared with nothing deployed; the same host is "removed" the other way round', async () => {
    edit(
      work,
      'hosts.yaml',
      '  mail-01:\n',
      '  web-03:\n    addresses: [203.0.113.12]\n    ssh: { address: 192.0.2.112, user: deploy, hostKey: "SHA256:AtCHH9wKtHS6Gq7bQtwDAMLDJYZ6W58yXNsmzddHL8U" }\n    backend: nftables\n    tags: [web, dmz]\n  mail-01:\n',
    );
    const diff = await diffDirs(base, work);
    const added = diff.hosts.find((h) => h.host === 'web-03')!;
    expect(added.status).toBe('added');
    const ingress = added.chains.find((c) => c.direction === 'ingress')!.changes;
    expect(ingress.every((c) => c.old.reason === 'no-host' && c.new.verdict === 'accept')).toBe(true);
    expect(ingress.find((c) => c.family === 'ipv4' && c.protocol === 'tcp' && c.values.some((v) => v.from === 443))).toMatchObject({
      // Everyone but 203.0.113.66 (0xcb007142), which blocklist.yaml drops on every host.
      peers: [
        { start: 0n, end: 0xcb007141n },
        { start: 0xcb007143n, end: 0xffffffffn },
      ],
      new: { verdict: 'accept', rule: { id: 'city-portal/ingress/0' } },
    });
    expect(diff.hosts.map((h) => h.host)).toEqual(['web-03']);
    expect(diff.sensitive).toEqual([]);

    const reverse = await diffDirs(work, base);
    expect(reverse.hosts.find((h) => h.host === 'web-03')).toEqual({ host: 'web-03', status: 'removed', chains: [] });
    const cli = await runCli(['diff', '--against', base, '-p', work]);
    expect(cli.stdout).toContain('web-03 host added (compared with nothing deployed: what it accepts is new)');
    expect(cli.stdout).toContain(`IPv4 tcp/80,443 from any except 203.0.113.66/32: accept by city-portal/ingress/0  ${join(work, 'services', 'city-portal.yaml')}:8:5`);
    const pretty = await runCli(['diff', '--against', work, '-p', base]);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toContain('web-03 host removed');
  });

  it('reports the baseline settings outside the access model as fleet-wide changes', async () => {
    edit(work, 'defaults.yaml', '  established: true', '  established: false');
    const diff = await diffDirs(base, work);
    expect(diff).toEqual({ hosts: [], baseline: [{ setting: 'established', old: true, new: false }], sensitive: [] });
    const cli = await runCli(['diff', '--against', base, '-p', work]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('fleet baseline established: true → false (packets of established and related connections accepted before any rule)');
  });

  it('merges consecutive ports with the same change into one group and keeps the rest apart', async () => {
    edit(work, 'services/monitoring.yaml', '    from: admin\n    ports: [https]', '    from: admin\n    ports: [tcp/440-450]');
    const diff = await diffDirs(base, work);
    const changes = diff.hosts[0]!.chains[0]!.changes.filter((c) => c.family === 'ipv4');
    expect(changes.map((c) => ({ values: c.values, old: c.old.verdict, new: c.new.verdict }))).toEqual([{ values: [{ from: 440, to: 442 }, { from: 444, to: 450 }], old: 'drop', new: 'accept' }]);
  });
});

describe('benteng diff errors', () => {
  it('errors in the new tree: diagnostics, exit 1', async () => {
    edit(work, 'services/monitoring.yaml', '    from: admin', '    from: no-such-network');
    const result = await runCli(['diff', '--against', base, '-p', work]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-such-network');
    expect(result.stderr).toContain('have errors; nothing to compare');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('errors in the base tree: diagnostics, exit 2', async () => {
    edit(base, 'services/monitoring.yaml', '    from: admin', '    from: no-such-network');
    const result = await runCli(['diff', '--against', base, '-p', work]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the base policies');
    expect(result.stdout).toBe('');
  });

  it('--base with --against, a missing directory or an unknown format is a usage error (exit 2)', async () => {
    expect((await runCli(['diff', '--against', base, '--base', 'HEAD', '-p', work])).code).toBe(2);
    const missing = await runCli(['diff', '--against', join(fleet.root, 'nope'), '-p', work]);
    expect(missing.code).toBe(2);
    expect(hasStackTrace(missing.stderr)).toBe(false);
    expect((await runCli(['diff', '--against', base, '-p', work, '-f', 'xml'])).code).toBe(2);
  });

  it('--help lists the formats and the exit codes', async () => {
    const result = await runCli(['diff', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--base <git-ref>');
    for (const format of ['"pretty"', '"json"', '"markdown"', '"github"']) expect(result.stdout).toContain(format);
    expect(result.stdout).toContain('Exit codes: 0 no access change');
  });
});

describe('colour', () => {
  it('colours through the CLI\'s chalk only (so NO_COLOR and --no-color apply)', async () => {
    append(work, ...OPEN_POSTGRES);
    const printed = async (level: 0 | 1) => {
      let stdout = '';
      const io: CliIo = { stdout: (t) => void (stdout += t), stderr: () => undefined, chalk: new Chalk({ level }), interactive: false };
      expect(await run(['diff', '--against', base, '-p', work], io)).toBe(1);
      return stdout;
    };
    expect(await printed(1)).toContain('\u001b[');
    expect(await printed(0)).not.toContain('\u001b[');
  });
});

describe('performance', () => {
  it('diffs the example fleet well under a second', async () => {
    append(work, ...OPEN_POSTGRES);
    edit(work, ...NARROW_MONITORING);
    const [before, after] = await Promise.all([checkPolicies(base, { lint: false }), checkPolicies(work, { lint: false })]);
    const start = performance.now();
    diffAccess(before, after);
    expect(performance.now() - start).toBeLessThan(500);
  });
});
