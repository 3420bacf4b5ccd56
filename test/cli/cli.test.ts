import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, REPO_ROOT, runCli, tempPolicies } from '../support/policy-dir.js';

const BIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');

describe('benteng CLI (in-process)', () => {
  it('lints the example fleet clean', async () => {
    const result = await runCli(['lint', '--policies', join(REPO_ROOT, 'policies')]);
    expect(result.stdout).toContain('no problems');
    expect(result.code).toBe(0);
  });

  it('--help lists the commands and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\n {2}lint +check the policies/);
    expect(result.stdout).toContain('benteng <command> --help');
  });

  it('no arguments prints help and exits 2', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Usage: benteng');
  });

  it('an unknown option, format or day is a usage error (exit 2)', async () => {
    expect((await runCli(['lint', '--bogus'])).code).toBe(2);
    expect((await runCli(['lint', '--format', 'xml'])).code).toBe(2);
    expect((await runCli(['lint', '--today', '2026-02-30'])).code).toBe(2);
    expect((await runCli(['build', '--today', 'tomorrow', '--check'])).code).toBe(2);
  });

  it('json output carries file, line and column of each finding', async () => {
    const policies = tempPolicies();
    try {
      policies.write('services/x.yaml', 'service: x\nhosts: [web-01]\ningress:\n  - from: any\n    prots: [tcp/22]\n');
      const result = await runCli(['lint', '-p', policies.dir, '--format', 'json']);
      expect(result.code).toBe(1);
      const [finding] = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
      expect(finding).toMatchObject({ code: 'schema-unknown-field', messageId: null, severity: 'error', line: 5, column: 5, endLine: 5, endColumn: 10 });
      expect(finding!.file).toBe(join(policies.dir, 'services', 'x.yaml'));
    } finally {
      policies.dispose();
    }
  });

  it('pretty output groups by file and shows a code frame', async () => {
    const policies = tempPolicies();
    try {
      policies.write('services/x.yaml', 'service: x\nhosts: [web-01]\ningress:\n  - from: 10.0.0.1/33\n');
      const result = await runCli(['lint', '-p', policies.dir]);
      expect(result.stdout).toContain(join(policies.dir, 'services', 'x.yaml'));
      expect(result.stdout).toContain('> 4 |   - from: 10.0.0.1/33');
      expect(result.stdout).toContain('[invalid-address]');
    } finally {
      policies.dispose();
    }
  });
});

// `npm test` builds dist/ before vitest runs (see package.json), so the bin tested is the current code.
describe('benteng CLI (the built bin, as a process)', () => {
  it('a reader that closes the pipe early (`| head`) gets no stack trace, and the exit code stays the command\'s', async () => {
    const policies = tempPolicies();
    try {
      // Many findings, an error among them: far more output than a pipe buffer holds.
      const services = Array.from({ length: 400 }, (_, i) => `  - from: any\n    ports: [tcp/${5000 + i}]\n`).join('');
      policies.write('services/x.yaml', `service: x\ndescription: x\nowners: [A, B]\nhosts: [web-01]\ningress:\n  - from: any\n    ports: [tcp/5432]\n${services}`);
      const child = spawn('node', [BIN, 'lint', '-p', policies.dir, '--no-cache'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).not.toContain('EPIPE');
      expect(hasStackTrace(stderr)).toBe(false);
      expect(code).toBe(1);
    } finally {
      policies.dispose();
    }
  });

  it('--version and -V print the package version, the same as through commander', () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const viaCommander = spawnSync('node', [BIN, '--no-color', '--version'], { encoding: 'utf8' });
    expect(viaCommander.stdout).toBe(`${version}\n`);
    for (const flag of ['--version', '-V']) {
      const result = spawnSync('node', [BIN, flag], { encoding: 'utf8' });
      expect(result.stdout).toBe(viaCommander.stdout);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });

  it('honours NO_COLOR and FORCE_COLOR', () => {
    const policies = tempPolicies();
    try {
      policies.write('services/x.yaml', 'service: x\nhosts: [web-01]\nprots: 1\n');
      const colored = spawnSync('node', [BIN, 'lint', '-p', policies.dir], { env: { ...process.env, FORCE_COLOR: '1', NO_COLOR: '' }, encoding: 'utf8' });
      const plain = spawnSync('node', [BIN, 'lint', '-p', policies.dir], { env: { ...process.env, FORCE_COLOR: '1', NO_COLOR: '1' }, encoding: 'utf8' });
      expect(colored.stdout).toContain('\u001b[');
      expect(plain.stdout).not.toContain('\u001b[');
      expect(plain.status).toBe(1);
    } finally {
      policies.dispose();
    }
  });

  it('exits 2 without a stack trace on an unreadable policies directory', () => {
    const result = spawnSync('node', [BIN, 'lint', '-p', '/nonexistent/dir'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});
