import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from '../support/policy-dir.js';
import { readRulesetText, sourceOracle } from '../../src/import/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const scratch = mkdtempSync(join(tmpdir(), 'bt-import-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const outDir = () => join(scratch, `out-${n++}`);

describe('benteng import (CLI)', () => {
  it('writes the policies and the report, prints a summary, exits 1 when the report lists rules not imported', async () => {
    const out = outDir();
    const result = await runCli(['import', join(FIXTURES, 'plain-drop.rules'), '--out', out, '--host', 'web-01', '--address', '203.0.113.10', '--packets', '2000']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/imported into .*: \d+ files \(6 services, 7 rules\)/);
    expect(result.stdout).toContain('report: 1 not imported, 0 approximated');
    expect(result.stdout).toMatch(/not-imported .*plain-drop\.rules:15: -A INPUT -p udp -m udp --dport 161 -m limit/);
    expect(result.stdout).toMatch(/equivalence: 2000 random packets \(seed 1\): equivalent/);
    expect(readdirSync(out).sort()).toEqual(['IMPORT-REPORT.md', 'defaults.yaml', 'hosts.yaml', 'networks.yaml', 'services']);
    const report = readFileSync(join(out, 'IMPORT-REPORT.md'), 'utf8');
    expect(report).toContain('| ') ;
    expect(report).toMatch(/\| .*plain-drop\.rules:15 \| `-A INPUT -p udp -m udp --dport 161 -m limit --limit 10\/sec -j ACCEPT` \| benteng cannot express rate limit/);
    // The written directory is a policy benteng accepts as is.
    const lint = await runCli(['lint', '--policies', out]);
    expect(lint.code).toBe(0);
    const build = await runCli(['build', '--policies', out, '--out', join(scratch, `generated-${n}`)]);
    expect(build.code).toBe(0);
  });

  it('exits 0 when everything was imported and equivalent; --format json for scripts', async () => {
    const out = outDir();
    const rules = join(scratch, 'clean.rules');
    writeFileSync(rules, '*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A INPUT -s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n');
    const result = await runCli(['import', rules, '--out', out, '--host', 'db-01', '--address', '203.0.113.20', '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { services: string[]; rulesImported: number; needsReview: boolean; equivalence: { unexplained: number } };
    expect(json).toMatchObject({ services: ['policy-accept-out', 'ssh'], rulesImported: 2, needsReview: false, equivalence: { unexplained: 0 } });
  });

  it('refuses a non-empty output directory and writes nothing', async () => {
    const out = outDir();
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const result = await runCli(['import', join(FIXTURES, 'plain-drop.rules'), '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not empty');
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('a syntax error in the source is file:line:col, exit 2, nothing written, no stack trace', async () => {
    const out = outDir();
    const rules = join(scratch, 'bad.rules');
    writeFileSync(rules, '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport ssh -j ACCEPT\nCOMMIT\n');
    const result = await runCli(['import', rules, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${rules}:3:25: error: \`ssh\` is not a port number`);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('usage errors: no source, two sources, a bad address, an unreadable file (exit 2)', async () => {
    expect((await runCli(['import', '--out', outDir()])).code).toBe(2);
    expect((await runCli(['import', join(FIXTURES, 'ufw.rules'), '--ssh', 'root@203.0.113.10', '--out', outDir()])).code).toBe(2);
    expect((await runCli(['import', join(FIXTURES, 'ufw.rules'), '--address', 'web', '--out', outDir()])).code).toBe(2);
    const twice = await runCli(['import', join(FIXTURES, 'ufw.rules'), join(FIXTURES, 'plain-drop.rules'), '--out', outDir()]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('are both IPv4 iptables-save rulesets');
    const missing = await runCli(['import', join(scratch, 'nope.rules'), '--out', outDir()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});

describe('query on an imported policy answers as the original ruleset decides', () => {
  const cases: Array<{ fixture: string; address: string; questions: Array<[string, string, 'tcp' | 'udp' | 'icmp', number]> }> = [
    {
      fixture: 'ufw.rules',
      address: '203.0.113.10',
      questions: [
        ['203.0.113.200', 'tcp/22', 'tcp', 22],
        ['198.51.100.7', 'tcp/5432', 'tcp', 5432],
        ['203.0.113.200', 'tcp/5432', 'tcp', 5432],
        ['203.0.113.66', 'tcp/443', 'tcp', 443],
        ['203.0.113.66', 'tcp/9999', 'tcp', 9999],
        ['203.0.113.200', 'tcp/8080', 'tcp', 8080],
        ['203.0.113.200', 'udp/137', 'udp', 137],
        ['203.0.113.200', 'icmp/echo-request', 'icmp', 8],
      ],
    },
    {
      fixture: 'plain-drop.rules',
      address: '203.0.113.10',
      questions: [
        ['198.51.100.9', 'tcp/22', 'tcp', 22],
        ['203.0.113.9', 'tcp/22', 'tcp', 22],
        ['203.0.113.66', 'tcp/80', 'tcp', 80],
        ['203.0.113.67', 'tcp/80', 'tcp', 80],
        ['198.51.100.9', 'tcp/5432', 'tcp', 5432],
        ['203.0.113.9', 'tcp/5432', 'tcp', 5432],
      ],
    },
  ];
  for (const { fixture, address, questions } of cases) {
    it(fixture, async () => {
      const out = outDir();
      const imported = await runCli(['import', join(FIXTURES, fixture), '--out', out, '--host', 'web-01', '--address', address, '--packets', '500']);
      expect(imported.code).toBeLessThan(2);
      const oracle = sourceOracle(readRulesetText(readFileSync(join(FIXTURES, fixture), 'utf8'), fixture), [address]);
      const answers: Array<[string, string, boolean, boolean]> = [];
      for (const [from, what, protocol, value] of questions) {
        const result = await runCli(['query', from, 'host:web-01', what, '--policies', out, '--format', 'json']);
        expect(result.code).toBeLessThan(2);
        const source = oracle({ family: 'ipv4', hook: 'input', peer: from, protocol, ...(protocol === 'icmp' ? { icmpType: value } : { port: value }) });
        answers.push([from, what, result.code === 0, source.verdict === 'accept']);
      }
      for (const [from, what, open, sourceAccepts] of answers) expect({ from, what, open }).toEqual({ from, what, open: sourceAccepts });
      expect(answers.some(([, , open]) => open)).toBe(true);
      expect(answers.some(([, , open]) => !open)).toBe(true);
    });
  }
});
