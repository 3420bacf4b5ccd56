/**
 * The package as a user gets it: `npm pack` gives a tarball with the compiled CLI, the server agent,
 * the schemas, the docs and the README (and no sources or tests); it installs globally into a temporary
 * prefix with only runtime dependencies (no execa); and from a directory outside the repository the
 * installed `benteng` prints its version, runs `init`, and `lint` and `build --check` pass on the result,
 * whose modelines point at the installed schemas.
 *
 * Packs the current `dist/` with `--ignore-scripts`: `npm test` builds it before vitest runs (as the
 * CLI tests assume), and rebuilding here would rewrite dist/ under the tests running beside this one.
 * (A real `npm pack` runs `prepare`, which empties dist/ and rebuilds it, so no stale module ships.)
 * Installs with `--prefer-offline` from the cache that `npm ci` filled.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/policy-dir.js';

const exec = promisify(execFile);

/** The environment of the children: ours without the variables `npm test` adds for its own package. */
const ENV = Object.fromEntries(
  Object.entries({ ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false' }).filter(
    ([key]) => !key.startsWith('npm_package_') && !key.startsWith('npm_lifecycle_'),
  ),
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd: string): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd, env: ENV, timeout: 120_000, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the npm package', () => {
  let temp: string;
  let prefix: string;
  let packed: string[] = [];
  let tarball: string;

  beforeAll(async () => {
    expect(existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build:ts` (npm test does)').toBe(true);
    temp = mkdtempSync(join(tmpdir(), 'benteng-pack-'));
    prefix = join(temp, 'prefix');
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], REPO_ROOT);
    expect(pack.code, pack.stderr).toBe(0);
    const [report] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(temp, report!.filename);
    packed = report!.files.map((f) => f.path);
    // --ignore-scripts: the dependencies' install scripts only compile optional native speed-ups (ssh2's
    // crypto binding, cpu-features; ssh2 falls back to pure JavaScript), which takes 20 s here.
    const install = await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], temp);
    expect(install.code, install.stderr).toBe(0);
  }, 120_000);

  afterAll(() => {
    if (temp) rmSync(temp, { recursive: true, force: true });
  });

  it('packs the CLI, the agent script, schemas, docs and README, and no sources or tests', () => {
    expect(tarball).toMatch(new RegExp(`benteng-${VERSION.replace(/\./g, '\\.')}\\.tgz$`));
    expect(packed).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/cli/main.js',
        'dist/init/index.js',
        'dist/deploy/agent/agent.sh',
        'docs/ARCHITECTURE.md',
        'docs/lint-rules.md',
        'schemas/hosts.schema.json',
        'schemas/service.schema.json',
      ]),
    );
    expect(packed.filter((path) => /^(src|test|bench|policies|generated)\//.test(path) || /\.test\.|\.ts$/.test(path))).toEqual([]);
  });

  it('installs with runtime dependencies only', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'benteng');
    expect(existsSync(join(installed, 'node_modules', 'yaml', 'package.json'))).toBe(true);
    for (const devOnly of ['execa', 'vitest', 'typescript', '@actions/workflow-parser']) {
      expect(existsSync(join(installed, 'node_modules', devOnly)), devOnly).toBe(false);
    }
  });

  it('runs --version, init, lint and build from a directory outside the repository', async () => {
    const bin = join(prefix, 'bin', 'benteng');
    const work = join(temp, 'work');
    mkdirSync(work);
    const version = await run(bin, ['--version'], work);
    expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });

    const init = await run(bin, ['init', 'fleet'], work);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Created a benteng policies repository in fleet:');
    const repo = join(work, 'fleet');

    const lint = await run(bin, ['lint', '--format', 'json'], repo);
    expect(lint.code, lint.stderr).toBe(0);
    expect(JSON.parse(lint.stdout)).toEqual([]);
    // build --check compiles every host and compares with the generated/ that init wrote.
    const check = await run(bin, ['build', '--check'], repo);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('generated is up to date');

    const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(join(repo, 'policies', 'hosts.yaml'), 'utf8'));
    const schemas = realpathSync(join(prefix, 'lib', 'node_modules', 'benteng', 'schemas'));
    expect(modeline?.[1]).toBe(join(schemas, 'hosts.schema.json'));
    expect(existsSync(modeline![1]!)).toBe(true);
    expect(readFileSync(join(repo, '.github', 'workflows', 'benteng.yml'), 'utf8')).toContain(`BENTENG_PACKAGE: "benteng@${VERSION}"`);
  });
});
