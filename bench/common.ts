/**
 * What the benchmark scripts share: the repository root, the fixed day rule expiry is judged against,
 * the compiled CLI (rebuilt when older than `src/`) and the machine line printed above every result.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_ROOT = join(REPO_ROOT, 'bench', 'out');
export const CLI_MAIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');
/** Expiry is judged against a fixed day, so every run sees the same policy. */
export const BENCH_TODAY = '2026-11-22';

/** Compiles `dist/` (tsc -p tsconfig.build.json) when the CLI is missing or older than any file in `src/`. */
export async function ensureCompiled(): Promise<void> {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((t, e) => Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  if (existsSync(CLI_MAIN) && statSync(CLI_MAIN).mtimeMs >= newest(join(REPO_ROOT, 'src'))) return;
  process.stdout.write('bench: compiling dist/ (tsc -p tsconfig.build.json)\n');
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('tsc -p tsconfig.build.json failed');
}

/** CPU, cores, Node, kernel, time and load average: the line above every result. */
export function machineLine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? spawnSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).stdout.trim() : '';
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  return `${cpuinfo || cpus()[0]?.model || 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${process.platform} ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; load average at the end (1 / 5 / 15 min): ${load}`;
}
