/**
 * Single-host benchmark shapes (issue 9): one dual-stack host with 2,000, 20,000 or 100,000 rules whose
 * client networks overlap heavily, the case a first-match compiler finds hardest. For each size and
 * backend: `benteng lint` and `benteng build` as processes (wall, peak RSS, each killed after a timeout
 * and reported as "timed out after N s"), verdict-map elements per policy rule in the emitted `.nft`,
 * and for the 20k size a load into a fresh network namespace. Prints a markdown section and writes it
 * between the single-host markers of a results file. `npm run bench` runs it after the fleets.
 *
 *   npx tsx bench/single-host.ts                              2k,20k,100k, nftables, section in bench/RESULTS.md
 *   npx tsx bench/single-host.ts --sizes 2k,10k --timeout-s 60 --backend both
 *   npx tsx bench/single-host.ts --services 20 --no-results   a custom size (20 services), print only
 *   options: --runs N, --kernel-sizes 2k,20k, --no-kernel, --no-lint, --results FILE, --keep, --quick
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { killActiveChildren } from './child-run.js';
import { ensureCompiled, machineLine, OUT_ROOT, REPO_ROOT } from './common.js';
import { type Backend, SINGLE_HOST_SIZES } from './single-host-generator.js';
import { kernelUnavailable, type Measurement, measure, removeNamespaces, type SizeSpec } from './single-host-measure.js';
import { renderSection, replaceSection } from './single-host-report.js';

type SizeName = keyof typeof SINGLE_HOST_SIZES;
const SIZE_NAMES = Object.keys(SINGLE_HOST_SIZES) as SizeName[];

export interface SingleHostOptions {
  sizes: SizeSpec[];
  backends: Backend[];
  timeoutS: number;
  runs: number;
  /** Names of the sizes whose output is loaded into a namespace. */
  kernelSizes: string[];
  lint: boolean;
  /** Results file whose single-host section is replaced; undefined: print only. */
  results?: string;
  keep: boolean;
  quick: boolean;
  /** How the run was started, for the report. */
  command: string;
}

const named = (name: SizeName): SizeSpec => ({ name, services: SINGLE_HOST_SIZES[name] });

/** Defaults of a full run, or of `--quick` (2k only, 60 s timeout, loaded into the kernel). */
export function defaultOptions(quick: boolean): SingleHostOptions {
  return quick
    ? { sizes: [named('2k')], backends: ['nftables'], timeoutS: 60, runs: 1, kernelSizes: ['2k'], lint: true, results: join(OUT_ROOT, 'RESULTS-quick.md'), keep: false, quick, command: 'npx tsx bench/single-host.ts --quick' }
    : { sizes: (['2k', '10k', '20k', '100k'] as const).map(named), backends: ['nftables'], timeoutS: 300, runs: 1, kernelSizes: ['20k'], lint: true, results: join(REPO_ROOT, 'bench', 'RESULTS.md'), keep: false, quick, command: 'npx tsx bench/single-host.ts' };
}

export function parseOptions(argv: readonly string[]): SingleHostOptions {
  const options = defaultOptions(argv.includes('--quick'));
  options.command = `npx tsx bench/single-host.ts${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`;
  let custom: SizeSpec[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const count = (text: string): number => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg}: \`${text}\` is not a positive whole number`);
      return n;
    };
    if (arg === '--quick') continue;
    else if (arg === '--sizes')
      options.sizes = value()
        .split(',')
        .map((s) => {
          if (!SIZE_NAMES.includes(s as SizeName)) throw new Error(`unknown size \`${s}\` (known: ${SIZE_NAMES.join(', ')})`);
          return named(s as SizeName);
        });
    else if (arg === '--services') custom = value().split(',').map((s) => ({ name: `${count(s)}svc`, services: count(s) }));
    else if (arg === '--timeout-s') options.timeoutS = count(value());
    else if (arg === '--runs') options.runs = count(value());
    else if (arg === '--backend') {
      const backend = value();
      if (backend !== 'nftables' && backend !== 'iptables' && backend !== 'both') throw new Error('--backend: nftables, iptables or both');
      options.backends = backend === 'both' ? ['nftables', 'iptables'] : [backend];
    } else if (arg === '--kernel-sizes') options.kernelSizes = value().split(',');
    else if (arg === '--no-kernel') options.kernelSizes = [];
    else if (arg === '--no-lint') options.lint = false;
    else if (arg === '--results') options.results = value();
    else if (arg === '--no-results') delete options.results;
    else if (arg === '--keep') options.keep = true;
    else throw new Error(`unknown option \`${arg}\` (known: --sizes ${SIZE_NAMES.join(',')}, --services N[,M], --timeout-s N, --runs N, --backend nftables|iptables|both, --kernel-sizes A,B, --no-kernel, --no-lint, --results FILE, --no-results, --keep, --quick)`);
  }
  if (custom) options.sizes = [...custom, ...(argv.includes('--sizes') ? options.sizes : [])];
  options.sizes.sort((a, b) => a.services - b.services);
  return options;
}

/** Runs every size and backend; returns the markdown section and whether anything failed. */
export async function runSingleHost(options: SingleHostOptions, log = (line: string) => process.stdout.write(`${line}\n`)): Promise<{ section: string; failed: boolean }> {
  await ensureCompiled();
  const workDir = await mkdtemp(join(tmpdir(), 'benteng-single-host-'));
  const interrupted = (signal: NodeJS.Signals) => {
    killActiveChildren();
    removeNamespaces();
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
    process.stderr.write(`\nsingle-host: ${signal}; children killed, namespaces removed${options.keep ? `, work files kept in ${workDir}` : ''}\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const measurements: Measurement[] = [];
  try {
    for (const size of options.sizes) {
      for (const backend of options.backends) {
        const kernel = options.kernelSizes.includes(size.name) && (kernelUnavailable(backend) ?? true);
        measurements.push(await measure(size, backend, { timeoutMs: options.timeoutS * 1000, runs: options.runs, lint: options.lint, kernel, workDir, log }));
      }
    }
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    removeNamespaces();
    if (options.keep) log(`single-host: work files kept in ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }

  const section = renderSection({ measurements, machine: machineLine(), command: options.command, timeoutS: options.timeoutS, quick: options.quick });
  log(`\n${section}`);
  if (options.results) {
    await replaceSection(options.results, section);
    log(`single-host: wrote the section to ${relative(process.cwd(), options.results)}`);
  }
  // A timeout is a finding of a full run (the emitter is slow), but a failure of the quick smoke test.
  const failed = measurements.some(
    (m) =>
      (m.lint?.counts?.error ?? 0) > 0 ||
      m.builds.some((b) => (b.timedOut ? options.quick : b.exitCode !== 0)) ||
      (m.kernel !== undefined && !('skipped' in m.kernel) && m.kernel.some((k) => (k.run.timedOut ? options.quick : k.run.exitCode !== 0))),
  );
  return { section, failed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { failed } = await runSingleHost(parseOptions(process.argv.slice(2)));
  if (failed) {
    process.stderr.write('single-host: a build or kernel load failed, or the generated policy has lint errors\n');
    process.exitCode = 1;
  }
}
