/**
 * `benteng init`: the repository it writes passes `lint` (no findings at all) and `build --check` as
 * it is, with the default placeholders and with options; it never overwrites a file (nothing is
 * written then, no staging directory is left); its modelines point at schemas that exist and carry the
 * schemas' stable `$id`s; and its GitHub Actions workflow is accepted by GitHub's own workflow parser
 * (`@actions/workflow-parser`, the parser behind the Actions language service), which also rejects a
 * broken copy of it, so the check can fail.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { register } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_BASE_URL, SCHEMA_DIR } from '../../src/validate/schema-registry.js';
import { runCli } from '../support/policy-dir.js';

// The parser imports its JSON schema without `with { type: 'json' }`, which Node's loader (vitest leaves
// node_modules to it) refuses; this hook adds the attribute for that package's JSON files only.
register(
  `data:text/javascript,${encodeURIComponent(
    'export async function load(url, context, next) {' +
      " if (url.endsWith('.json') && url.includes('/@actions/workflow-parser/'))" +
      " return next(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });" +
      ' return next(url, context); }',
  )}`,
);
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = await import('@actions/workflow-parser');

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'benteng-init-test-'));
  temps.push(dir);
  return dir;
}

/** Every file under `dir` with its content, for before/after comparisons. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

const EXPECTED_FILES = [
  '.github/workflows/benteng.yml',
  '.gitignore',
  'README.md',
  'generated/web-01.nft',
  'policies/benteng.yaml',
  'policies/defaults.yaml',
  'policies/hosts.yaml',
  'policies/networks.yaml',
  'policies/ports.yaml',
  'policies/services/website.yaml',
];

async function lintAndCheck(repo: string): Promise<void> {
  const lint = await runCli(['lint', '--format', 'json', '--policies', join(repo, 'policies')]);
  expect(lint.stderr).toBe('');
  expect(JSON.parse(lint.stdout)).toEqual([]);
  expect(lint.code).toBe(0);
  const check = await runCli(['build', '--check', '--policies', join(repo, 'policies'), '--out', join(repo, 'generated')]);
  expect(check.stdout).toContain('is up to date');
  expect(check.code).toBe(0);
  const build = await runCli(['build', '--policies', join(repo, 'policies'), '--out', join(repo, 'generated')]);
  expect(build.stdout).toContain('(up to date)');
  expect(build.code).toBe(0);
}

function workflowErrors(content: string): string[] {
  const parsed = parseWorkflow({ name: 'benteng.yml', content }, new NoOperationTraceWriter());
  return parsed.context.errors.getErrors().map((e) => e.message);
}

describe('benteng init', () => {
  it('writes a repository that lint and build accept as it is, and prints next steps', async () => {
    const repo = join(tempDir(), 'fleet');
    const init = await runCli(['init', repo]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(Object.keys(tree(repo)).sort()).toEqual(EXPECTED_FILES);
    for (const file of EXPECTED_FILES) expect(init.stdout).toContain(`  ${file}\n`);
    expect(init.stdout).toMatch(/Next steps:\n {2}1\. cd /);
    expect(init.stdout).toContain('198.51.100.0/24, 2001:db8:ad::/64 are placeholders');
    expect(init.stdout).toContain('benteng@0.1.0');
    await lintAndCheck(repo);
    const gitignore = readFileSync(join(repo, '.gitignore'), 'utf8');
    expect(gitignore).toMatch(/^\.benteng-cache\/$/m);
    expect(gitignore).not.toMatch(/^\/?generated/m);
  });

  it('takes the host, its addresses, the backend and the admin network from options', async () => {
    const repo = tempDir();
    const init = await runCli(['init', repo, '--host', 'db-01', '--address', '10.20.0.5', '--backend', 'iptables', '--admin', '10.9.0.7/24']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).not.toContain('placeholders');
    const files = tree(repo);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['generated/db-01.rules.v4', 'generated/db-01.rules.v6']));
    expect(files['policies/hosts.yaml']).toContain('  db-01:\n');
    expect(files['policies/hosts.yaml']).toContain('addresses: ["10.20.0.5"]');
    expect(files['policies/hosts.yaml']).toContain('backend: iptables');
    expect(files['policies/networks.yaml']).toContain('include: ["10.9.0.0/24"]');
    await lintAndCheck(repo);
    const ssh = async (from: string) => {
      const query = await runCli(['query', from, 'host:db-01', 'tcp/22', '--format', 'json', '--policies', join(repo, 'policies')]);
      return (JSON.parse(query.stdout) as { open: boolean }).open;
    };
    expect(await ssh('10.9.0.9')).toBe(true);
    expect(await ssh('10.8.0.9')).toBe(false);
  });

  it('gives the placeholder host the families of the admin networks, so lint stays clean', async () => {
    const repo = tempDir();
    const init = await runCli(['init', repo, '--admin', '10.1.0.0/16']);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('203.0.113.10: placeholders');
    expect(readFileSync(join(repo, 'policies', 'hosts.yaml'), 'utf8')).toContain('addresses: ["203.0.113.10"]\n');
    await lintAndCheck(repo);
  });

  it('refuses to overwrite: lists the existing files, exits 2 and changes nothing', async () => {
    const repo = tempDir();
    mkdirSync(join(repo, 'policies', 'services'), { recursive: true });
    writeFileSync(join(repo, 'policies', 'hosts.yaml'), 'hosts: {}\n');
    writeFileSync(join(repo, 'README.md'), '# ours\n');
    writeFileSync(join(repo, 'notes.txt'), 'keep\n');
    const before = tree(repo);
    const init = await runCli(['init', repo]);
    expect(init.code).toBe(2);
    expect(init.stdout).toBe('');
    expect(init.stderr).toContain('refusing to overwrite existing files');
    expect(init.stderr).toContain('  README.md\n  policies/hosts.yaml\n');
    expect(init.stderr).toContain('Nothing was written');
    expect(tree(repo)).toEqual(before);
    expect(readdirSync(repo).sort()).toEqual(['README.md', 'notes.txt', 'policies']);
  });

  it('refuses when a parent of a planned file is a file, or the target is a file', async () => {
    const repo = tempDir();
    writeFileSync(join(repo, 'generated'), 'not a directory\n');
    const init = await runCli(['init', repo]);
    expect(init.code).toBe(2);
    expect(init.stderr).toContain('  generated/web-01.nft\n');
    expect(readdirSync(repo)).toEqual(['generated']);
    const onFile = await runCli(['init', join(repo, 'generated')]);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain('exists and is not a directory; nothing was written');
    expect(statSync(join(repo, 'generated')).isFile()).toBe(true);
  });

  it('writes nothing when the options give policies with errors (exit 1), or are invalid (exit 2)', async () => {
    const parent = tempDir();
    const repo = join(parent, 'fleet');
    // SSH from the whole internet: the policies would fail lint, so nothing may be left behind.
    const open = await runCli(['init', repo, '--admin', '0.0.0.0/0']);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('nothing was written');
    expect(open.stderr).toContain(`${join(repo, 'policies', 'defaults.yaml')}\n  10:7 `);
    expect(open.stderr).toContain('[sensitive-port-internet]');
    expect(open.stderr).not.toContain('.benteng-init-');
    expect(readdirSync(parent)).toEqual([]);
    for (const bad of [['--address', '300.1.1.1'], ['--admin', '10.0.0.0/33'], ['--host', 'Web_01'], ['--backend', 'pf']]) {
      const run = await runCli(['init', repo, ...bad]);
      expect(run.code, bad.join(' ')).toBe(2);
      expect(run.stderr).toContain(bad[0]);
    }
    expect(readdirSync(parent)).toEqual([]);
  });

  it('writes modelines that point at the installed schemas, whose $ids are stable URLs', async () => {
    const repo = tempDir();
    expect((await runCli(['init', repo])).code).toBe(0);
    const yamlFiles = Object.entries(tree(repo)).filter(([file]) => file.startsWith('policies/'));
    expect(yamlFiles).toHaveLength(6);
    for (const [file, text] of yamlFiles) {
      const match = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
      expect(match, file).not.toBeNull();
      const schemaFile = match![1]!;
      expect(schemaFile.startsWith(`${SCHEMA_DIR}/`), file).toBe(true);
      const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { $id: string };
      expect(schema.$id).toBe(`${SCHEMA_BASE_URL}${schemaFile.slice(SCHEMA_DIR.length + 1)}`);
    }
    expect(readdirSync(SCHEMA_DIR).map((f) => (JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as { $id: string }).$id)).toEqual(
      readdirSync(SCHEMA_DIR).map((f) => `${SCHEMA_BASE_URL}${f}`),
    );
  });

  it('writes modelines relative to each file for a schemas directory inside the repository, or a URL', async () => {
    const repo = tempDir();
    expect((await runCli(['init', repo, '--schemas', join(repo, 'vendor', 'schemas')])).code).toBe(0);
    expect(readFileSync(join(repo, 'policies', 'hosts.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/vendor\/schemas\/hosts\.schema\.json\n/);
    expect(readFileSync(join(repo, 'policies', 'services', 'website.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/\.\.\/vendor\/schemas\/service\.schema\.json\n/,
    );
    const spaced = tempDir();
    expect((await runCli(['init', spaced, '--schemas', '/opt/my tools/benteng/schemas'])).code).toBe(0);
    expect(readFileSync(join(spaced, 'policies', 'hosts.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=file:\/\/\/opt\/my%20tools\/benteng\/schemas\/hosts\.schema\.json\n/);
    const other = tempDir();
    expect((await runCli(['init', other, '--schemas', SCHEMA_BASE_URL])).code).toBe(0);
    expect(readFileSync(join(other, 'policies', 'ports.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=https:\/\/benteng\.dev\/schemas\/v1\/ports\.schema\.json\n/);
  });

  it('writes a GitHub Actions workflow that GitHub\'s workflow parser accepts, with lint, SARIF, build --check and diff', async () => {
    const repo = tempDir();
    expect((await runCli(['init', repo, '--package', 'https://example.org/benteng-0.1.0.tgz'])).code).toBe(0);
    const content = readFileSync(join(repo, '.github', 'workflows', 'benteng.yml'), 'utf8');
    const parsed = parseWorkflow({ name: 'benteng.yml', content }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    expect(template.errors ?? []).toEqual([]);
    const steps = template.jobs.flatMap((job) => ('steps' in job ? job.steps : []));
    const runs = steps.map((s) => ('run' in s ? String(s.run) : '')).join('\n');
    const uses = steps.map((s) => ('uses' in s ? String(s.uses) : ''));
    expect(runs).toContain('npm install --global --no-audit --no-fund "$BENTENG_PACKAGE"');
    expect(runs).toContain('benteng lint --format github');
    expect(runs).toContain('benteng lint --format sarif > benteng.sarif');
    expect(runs).toContain('benteng build --check');
    expect(runs).toContain('benteng diff --base "origin/$BASE_REF" --format markdown');
    expect(uses).toEqual(expect.arrayContaining(['actions/checkout@v5', 'actions/setup-node@v5', 'github/codeql-action/upload-sarif@v4']));
    expect(content).toContain('BENTENG_PACKAGE: "https://example.org/benteng-0.1.0.tgz"');
    // Each step's script is shellcheck-clean bash (GitHub runs them with `bash -e`).
    const scripts = steps.filter((s) => 'run' in s).map((s) => String((s as { run: unknown }).run));
    expect(scripts.length).toBeGreaterThanOrEqual(5);
    for (const [i, script] of scripts.entries()) {
      const file = join(repo, `step-${i}.sh`);
      writeFileSync(file, `#!/bin/bash\nset -e\n${script}`);
      const checked = spawnSync('shellcheck', ['-s', 'bash', file], { encoding: 'utf8' });
      expect(checked.error, 'shellcheck must be installed (.ci/run installs it)').toBeUndefined();
      expect(checked.stdout, script).toBe('');
      expect(checked.status).toBe(0);
    }
    // The check can fail: GitHub's parser rejects a misspelt key and a bad permission level.
    expect(workflowErrors(content.replace('runs-on:', 'runs_on:')).join('\n')).toMatch(/runs_on/);
    expect(workflowErrors(content.replace('security-events: write', 'security-events: writable')).join('\n')).toMatch(/writable/);
  });
});
