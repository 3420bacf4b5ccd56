/**
 * One single-host measurement (issue 9): writes the generated policy for one size and backend, runs
 * `benteng lint` and `benteng build` (the compiled CLI, child processes with a timeout, wall time and peak
 * RSS), counts what the build emitted, and optionally loads it into a fresh network namespace
 * `bt-bench-<pid>-single-<n>`, which is always deleted again (also on Ctrl-C, through `removeNamespaces`).
 */
import { createBlockIpsets } from './kernel.js';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChildRun, runChild } from './child-run.js';
import { BENCH_TODAY, CLI_MAIN } from './common.js';
import { countIptables, countNft, type IptablesCounts, type NftCounts } from './ruleset-count.js';
import { type Backend, generateSingleHost, HOST_NAME, type SingleHostPolicy, writePolicy } from './single-host-generator.js';

export interface SizeSpec {
  name: string;
  services: number;
}

export interface MeasureContext {
  timeoutMs: number;
  runs: number;
  lint: boolean;
  /** Load the build's output into a namespace; a string says why not. */
  kernel: boolean | string;
  workDir: string;
  log: (line: string) => void;
}

export interface LintResult {
  run: ChildRun;
  counts?: { error: number; warning: number; info: number };
}

export interface KernelLoad {
  command: string;
  run: ChildRun;
}

export interface Measurement {
  size: SizeSpec;
  backend: Backend;
  policy: Omit<SingleHostPolicy, 'files'> & { files: number; bytes: number; generateMs: number };
  lint?: LintResult;
  builds: ChildRun[];
  output?: { bytes: number; lines: number; nft?: NftCounts; iptables?: IptablesCounts };
  kernel?: KernelLoad[] | { skipped: string };
}

const cli = (...args: string[]): string[] => [process.execPath, CLI_MAIN, ...args];
export const describeRun = (run: ChildRun): string =>
  run.timedOut
    ? `timed out after ${Math.round(run.wallMs / 1000)} s`
    : `${run.wallMs.toFixed(0)} ms${run.maxRssKb === undefined ? '' : `, peak RSS ${(run.maxRssKb / 1024).toFixed(0)} MB`}, exit ${run.exitCode ?? run.signal}`;

export async function measure(size: SizeSpec, backend: Backend, context: MeasureContext): Promise<Measurement> {
  const dir = join(context.workDir, `${size.name}-${backend}`);
  const policies = join(dir, 'policies');
  const start = performance.now();
  const { files, ...policy } = generateSingleHost({ services: size.services, backend });
  await writePolicy({ files, ...policy }, policies);
  const generateMs = performance.now() - start;
  const bytes = [...files.values()].reduce((n, text) => n + Buffer.byteLength(text), 0);
  const result: Measurement = { size, backend, policy: { ...policy, files: files.size, bytes, generateMs }, builds: [] };
  context.log(`\n[single host ${size.name}, ${backend}] ${size.services} services, ${policy.serviceRules + policy.defaultRules} rules, ${policy.networks.total} networks, ${files.size} files written in ${generateMs.toFixed(0)} ms`);

  if (context.lint) {
    const report = join(dir, 'lint.json');
    const run = await runChild(cli('lint', '--policies', policies, '--today', BENCH_TODAY, '--format', 'json'), { timeoutMs: context.timeoutMs, rss: true, stdoutFile: report });
    result.lint = { run };
    if (!run.timedOut && (run.exitCode === 0 || run.exitCode === 1)) result.lint.counts = await lintCounts(report);
    const counts = result.lint.counts;
    context.log(`  benteng lint: ${describeRun(run)}${counts ? `; ${counts.error} errors, ${counts.warning} warnings, ${counts.info} info` : ''}`);
  }

  const out = join(dir, 'generated');
  for (let r = 0; r < context.runs; r++) {
    await rm(out, { recursive: true, force: true });
    const run = await runChild(cli('build', '--policies', policies, '--out', out, '--today', BENCH_TODAY), { timeoutMs: context.timeoutMs, rss: true });
    result.builds.push(run);
    context.log(`  benteng build run ${r + 1}/${context.runs}: ${describeRun(run)}`);
    if (run.exitCode !== 0) break;
  }
  if (result.builds.at(-1)?.exitCode !== 0) return result;

  const outputs = (await readdir(out)).filter((f) => f.startsWith(`${HOST_NAME}.`)).map((f) => join(out, f));
  const texts = await Promise.all(outputs.map((f) => readFile(f, 'utf8')));
  result.output = {
    bytes: (await Promise.all(outputs.map((f) => stat(f)))).reduce((n, s) => n + s.size, 0),
    lines: texts.reduce((n, t) => n + t.split('\n').length - 1, 0),
    ...(backend === 'nftables' ? { nft: countNft(texts.join('\n')) } : { iptables: countIptables(...texts) }),
  };
  const nft = result.output.nft;
  if (nft) context.log(`  output: ${nft.vmapElements} verdict-map elements in ${nft.vmaps.length} maps, ${nft.chainRules} chain rules`);
  if (result.output.iptables) context.log(`  output: ${result.output.iptables.rules} rules in ${result.output.iptables.chains} chains`);

  if (typeof context.kernel === 'string') result.kernel = { skipped: context.kernel };
  else if (context.kernel) {
    const loads: Array<[string, string]> =
      backend === 'nftables'
        ? [['nft -f', join(out, `${HOST_NAME}.nft`)]]
        : [
            ['iptables-restore', join(out, `${HOST_NAME}.rules.v4`)],
            ['ip6tables-restore', join(out, `${HOST_NAME}.rules.v6`)],
          ];
    result.kernel = await loadInNamespace(loads, context.timeoutMs);
    for (const load of result.kernel) context.log(`  kernel load ${load.command}: ${describeRun(load.run)}`);
  }
  return result;
}

async function lintCounts(file: string): Promise<LintResult['counts']> {
  try {
    const findings = JSON.parse(await readFile(file, 'utf8')) as Array<{ severity: 'error' | 'warning' | 'info' }>;
    const counts = { error: 0, warning: 0, info: 0 };
    for (const f of findings) counts[f.severity]++;
    return counts;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Kernel

/** Why rulesets of `backend` cannot be loaded here, or undefined when they can. */
export function kernelUnavailable(backend: Backend): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', ...(backend === 'nftables' ? ['nft'] : ['iptables-restore', 'ip6tables-restore'])]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `\`${tool}\` is not installed`;
  }
  return undefined;
}

const namespaces = new Set<string>();
let namespaceCounter = 0;

/** Deletes every namespace this process created and has not deleted yet (for interrupt handlers). */
export function removeNamespaces(): void {
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  namespaces.clear();
}

/** Runs each `[command, file]` (`nft -f`, `iptables-restore`, …) in one fresh namespace, in order, timed. */
async function loadInNamespace(loads: ReadonlyArray<[string, string]>, timeoutMs: number): Promise<KernelLoad[]> {
  const ns = `bt-bench-${process.pid}-single-${namespaceCounter++}`;
  const added = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (added.status !== 0) throw new Error(`ip netns add ${ns} failed: ${added.stderr.trim()}`);
  namespaces.add(ns);
  try {
    createBlockIpsets(ns);
    const results: KernelLoad[] = [];
    for (const [command, file] of loads) {
      const run = await runChild(['ip', 'netns', 'exec', ns, ...command.split(' '), file], { timeoutMs });
      results.push({ command, run });
      if (run.exitCode !== 0) break;
    }
    return results;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    namespaces.delete(ns);
  }
}
