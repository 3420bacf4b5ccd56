import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, REPO_ROOT, runCli, tempPolicies } from '../support/policy-dir.js';

/**
 * Every file in test/corpus/bad is a broken policy file whose first line says what benteng must report:
 * `# expect: <code> <line>:<col> [in <file>] [exit <n>]`. The file is placed next to the small valid
 * fleet in test/corpus/base: as a service, or, when named `hosts--…`, `networks--…`, `ports--…`,
 * `defaults--…` or `blocklist--…`, in place of (or as) that file.
 */
const CORPUS = join(REPO_ROOT, 'test', 'corpus', 'bad');
const EXPECT = /^# expect: (\S+) (\d+):(\d+)(?: in (\S+))?(?: exit (\d))?$/;

interface Expectation {
  code: string;
  line: number;
  column: number;
  file: string;
  exit: number;
}

function placement(name: string): string {
  const replaced = /^(hosts|networks|ports|defaults|blocklist)--/.exec(name);
  return replaced ? `${replaced[1]}.yaml` : `services/${name}`;
}

function expectationOf(name: string): Expectation {
  const header = readFileSync(join(CORPUS, name), 'utf8').split('\n')[0]!;
  const match = EXPECT.exec(header);
  if (!match) throw new Error(`${name}: first line must be an expectation, got ${header}`);
  return {
    code: match[1]!,
    line: Number(match[2]),
    column: Number(match[3]),
    file: match[4] ?? placement(name),
    exit: match[5] === undefined ? 1 : Number(match[5]),
  };
}

async function lintJson(dir: string) {
  const result = await runCli(['lint', '--policies', dir, '--format', 'json']);
  return { ...result, findings: JSON.parse(result.stdout || '[]') as Array<Record<string, unknown>> };
}

const cases = readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort();

describe('bad-input corpus (test/corpus/bad)', () => {
  it('has at least 40 cases on disk', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s', async (name) => {
    const expected = expectationOf(name);
    const policies = tempPolicies();
    try {
      policies.write(placement(name), readFileSync(join(CORPUS, name)));
      const result = await lintJson(policies.dir);
      expect(hasStackTrace(result.stdout + result.stderr)).toBe(false);
      expect(result.code).toBe(expected.exit);
      const found = result.findings.map((f) => `${f.code} ${String(f.file).slice(policies.dir.length + 1)} ${f.line}:${f.column}`);
      expect(found).toContain(`${expected.code} ${expected.file} ${expected.line}:${expected.column}`);
    } finally {
      policies.dispose();
    }
  });
});

describe('bad inputs made at test time', () => {
  const generated: Array<[string, (p: ReturnType<typeof tempPolicies>) => void, string, string]> = [
    ['a Latin-1 file (not UTF-8)', (p) => p.write('services/latin1.yaml', Buffer.from('service: caf\xe9\nhosts: [web-01]\n', 'latin1')), 'file-not-utf8', 'services/latin1.yaml 1:13'],
    ['a binary file', (p) => p.write('services/binary.yaml', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00])), 'file-binary', 'services/binary.yaml 1:7'],
    ['a 50 MB file', (p) => p.write('services/huge.yaml', Buffer.alloc(50 * 1024 * 1024, 'a: 1\n')), 'file-too-large', 'services/huge.yaml 1:1'],
    [
      'a service defined in two files',
      (p) => p.write('services/portal-copy.yaml', 'service: portal\nhosts: [web-01]\n'),
      'duplicate-service',
      'services/portal.yaml 1:10',
    ],
  ];

  it.each(generated)('%s', async (_title, make, code, where) => {
    const policies = tempPolicies();
    try {
      make(policies);
      const result = await lintJson(policies.dir);
      expect(hasStackTrace(result.stdout + result.stderr)).toBe(false);
      expect(result.code).toBe(1);
      const found = result.findings.map((f) => `${f.code} ${String(f.file).slice(policies.dir.length + 1)} ${f.line}:${f.column}`);
      expect(found).toContain(`${code} ${where}`);
    } finally {
      policies.dispose();
    }
  });

  it('a directory with no policies', async () => {
    const policies = tempPolicies({ copyBase: false });
    try {
      const result = await lintJson(policies.dir);
      expect(result.code).toBe(1);
      expect(result.findings.map((f) => f.code)).toEqual(['no-policies']);
    } finally {
      policies.dispose();
    }
  });

  it('services without an inventory', async () => {
    const policies = tempPolicies({ copyBase: false });
    try {
      policies.write('services/portal.yaml', 'service: portal\nhosts: [web-01]\n');
      const result = await lintJson(policies.dir);
      expect(result.code).toBe(1);
      expect(result.findings.map((f) => f.code)).toEqual(['missing-inventory']);
    } finally {
      policies.dispose();
    }
  });

  it('a policies directory that does not exist is a usage error (exit 2)', async () => {
    const result = await runCli(['lint', '--policies', '/nonexistent/benteng-policies']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not exist');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});
