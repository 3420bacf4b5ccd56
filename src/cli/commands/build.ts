/**
 * `benteng build`: compiles the policies into the output directory (src/cli/commands/build-write.ts),
 * or with `--check` writes nothing and shows how the output directory differs from a fresh build (the
 * first changed lines of each file, bounded) with exit 1. `--format json` prints one JSON object on
 * stdout instead (`BuildJson`): hosts, files, region counts and diagnostics.
 */
import { type Command, Option } from 'commander';
import { boundDiff, countChanges, type DriftStatus, readDrift } from '../../build/check-diff.js';
import { buildFleet, compareGenerated, type GeneratedDiff, isClean, type BuildSummaryRow } from '../../build/index.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { unifiedDiff } from '../../deploy/diff.js';
import { REPORTERS } from '../../report/index.js';
import { formatJson, type JsonFinding } from '../../report/json.js';
import { EXIT, type CliIo, parseDay } from '../io.js';
import { writeBuild } from './build-write.js';

export interface BuildFlags {
  policies: string;
  out: string;
  check?: boolean;
  allBackends?: boolean;
  today?: string;
  cache?: boolean;
  format?: 'pretty' | 'json';
}

/** Changed lines shown per file by `--check`, and files shown with their diff (the rest are listed). */
export const CHECK_LINES_PER_FILE = 12;
export const CHECK_FILES_WITH_DIFF = 10;

/** `build --format json`: what scripts read. Positions in `diagnostics` as in `lint --format json`. */
export interface BuildJson {
  ok: boolean;
  check: boolean;
  outDir: string;
  /** One entry per host and backend: rule, set, region and layer counts and the host's files. */
  hosts: BuildSummaryRow[];
  /** Files of the build; with `--check`, `changed`/`missing`/`stale` say what differs and nothing is written. */
  files: {
    total: number;
    created: string[];
    updated: string[];
    removed: string[];
    /** `--check` only: each drifted file with the number of lines a rebuild adds and removes. */
    drift?: Array<{ file: string; status: DriftStatus; added: number; removed: number }>;
  };
  diagnostics: JsonFinding[];
}

/** The JSON summary of a build or a check, with a trailing newline. */
export function buildJson(input: {
  check: boolean;
  outDir: string;
  hosts: readonly BuildSummaryRow[];
  total: number;
  diff?: GeneratedDiff;
  drift?: BuildJson['files']['drift'];
  diagnostics: readonly Diagnostic[];
}): string {
  const built = input.hosts.length > 0 && input.diff !== undefined;
  const json: BuildJson = {
    ok: built && (!input.check || isClean(input.diff!)),
    check: input.check,
    outDir: input.outDir,
    hosts: [...input.hosts],
    files: {
      total: input.total,
      created: input.diff?.missing ?? [],
      updated: input.diff?.changed ?? [],
      removed: input.diff?.stale ?? [],
      ...(input.check ? { drift: input.drift ?? [] } : {}),
    },
    diagnostics: JSON.parse(formatJson(input.diagnostics)) as JsonFinding[],
  };
  return `${JSON.stringify(json, null, 2)}
`;
}

export function table(rows: readonly BuildSummaryRow[]): string {
  const header = ['host', 'backend', 'policy rules', 'emitted rules', 'sets', 'regions', 'layers'];
  const body = rows.map((r) => [r.host, r.backend, String(r.policyRules), String(r.emittedRules), String(r.sets), String(r.regions), String(r.layers)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n') + '\n';
}

export function registerBuild(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('build')
    .description('compile the policies to nftables / iptables rulesets, one set of files per host')
    .option('-p, --policies <dir>', 'policies directory', 'policies')
    .option('-o, --out <dir>', 'output directory', 'generated')
    .option('--check', 'write nothing; exit 1 when the output directory differs from a fresh build')
    .option('--all-backends', 'emit both nftables and iptables files for every host')
    .option('--today <date>', 'judge rule expiry against this day (YYYY-MM-DD) instead of today', parseDay)
    .option('--no-cache', 'neither read nor write the build cache (<policies>/.benteng-cache/)')
    .addOption(new Option('-f, --format <format>', 'output: a table (pretty), or one JSON object on stdout for scripts (json)').choices(['pretty', 'json']).default('pretty'))
    .addHelpText('after', '\nExit codes: 0 built (or up to date), 1 policy errors or --check found differences, 2 usage or I/O error.')
    .action(async (options: BuildFlags) => {
      if (!options.check) return writeBuild(io, options, setExit);
      await checkBuild(io, options, setExit);
    });
}

const STATUS_WORDS: Record<DriftStatus, string> = { changed: 'changed', missing: 'missing (a build creates it)', stale: 'stale (a build removes it)' };

/** `build --check`: compares without writing; prints what differs, the first changed lines of each file. */
async function checkBuild(io: CliIo, options: BuildFlags, setExit: (code: number) => void): Promise<void> {
  const json = options.format === 'json';
  const result = await buildFleet(options.policies, {
    ...(options.today ? { today: options.today } : {}),
    allBackends: options.allBackends === true,
  });
  if (result.hosts.length === 0) {
    if (json) io.stdout(buildJson({ check: true, outDir: options.out, hosts: [], total: 0, diagnostics: result.diagnostics }));
    else {
      io.stderr(REPORTERS.pretty!(result.diagnostics, { chalk: io.chalk, sources: result.sources }));
      io.stderr(`${io.chalk.red('error')}: nothing built; fix the errors above\n`);
    }
    setExit(EXIT.findings);
    return;
  }
  if (!json && result.diagnostics.length > 0) io.stderr(REPORTERS.pretty!(result.diagnostics, { chalk: io.chalk, sources: result.sources }));
  const diff = await compareGenerated(options.out, result.files);
  const drift = await readDrift(options.out, result.files, diff);
  const diffs = drift.map((d) => ({
    ...d,
    unified: unifiedDiff(d.current, d.expected, { before: `${options.out}/${d.file} (current)`, after: `${options.out}/${d.file} (fresh build)` }),
  }));
  setExit(isClean(diff) ? EXIT.ok : EXIT.findings);
  if (json) {
    const counts = diffs.map((d) => ({ file: d.file, status: d.status, ...countChanges(d.unified) }));
    io.stdout(buildJson({ check: true, outDir: options.out, hosts: result.summary, total: result.files.size, diff, drift: counts, diagnostics: result.diagnostics }));
    return;
  }
  if (isClean(diff)) {
    io.stdout(`${options.out} is up to date (${result.files.size} files)\n`);
    return;
  }
  const { chalk } = io;
  const out = [`${options.out} differs from a fresh build (${drift.length} of ${result.files.size + diff.stale.length} files):`];
  for (const [i, d] of diffs.entries()) {
    const { added, removed } = countChanges(d.unified);
    const colour = d.status === 'changed' ? chalk.yellow : d.status === 'missing' ? chalk.green : chalk.red;
    out.push(`  ${colour(STATUS_WORDS[d.status])}  ${d.file}  ${chalk.green(`+${added}`)} ${chalk.red(`-${removed}`)}`);
    if (d.status !== 'changed' || i >= CHECK_FILES_WITH_DIFF) continue;
    const bounded = boundDiff(d.unified, CHECK_LINES_PER_FILE);
    for (const line of bounded.text.trimEnd().split('\n')) {
      out.push(`    ${line.startsWith('+') && !line.startsWith('+++') ? chalk.green(line) : line.startsWith('-') && !line.startsWith('---') ? chalk.red(line) : line.startsWith('@@') ? chalk.cyan(line) : line}`);
    }
    if (bounded.omitted > 0) out.push(`    ${chalk.dim(`… ${bounded.omitted} more changed line${bounded.omitted === 1 ? '' : 's'} in ${d.file}`)}`);
  }
  const unshown = diffs.filter((d, i) => d.status === 'changed' && i >= CHECK_FILES_WITH_DIFF).length;
  if (unshown > 0) out.push(`  ${chalk.dim(`(diffs of ${unshown} more changed file${unshown === 1 ? '' : 's'} not shown)`)}`);
  out.push('Run `benteng build` and commit the result.');
  io.stdout(`${out.join('\n')}\n`);
}
