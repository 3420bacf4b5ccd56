/**
 * `benteng build` without `--check`: streams each host's files to the output directory as they are
 * emitted (src/build `buildToDirectory`), with the build cache unless `--no-cache`, and prints the
 * summary table. Cache problems are warnings; the build goes on without the cache.
 */
import { buildToDirectory } from '../../build/index.js';
import { REPORTERS } from '../../report/index.js';
import { EXIT, type CliIo } from '../io.js';
import { buildJson, table } from './build.js';

export interface WriteBuildFlags {
  policies: string;
  out: string;
  allBackends?: boolean;
  today?: string;
  cache?: boolean;
  format?: 'pretty' | 'json';
}

export async function writeBuild(io: CliIo, options: WriteBuildFlags, setExit: (code: number) => void): Promise<void> {
  const result = await buildToDirectory(options.policies, options.out, {
    ...(options.today ? { today: options.today } : {}),
    allBackends: options.allBackends === true,
    cache: options.cache !== false,
  });
  for (const warning of result.warnings) io.stderr(`${io.chalk.yellow('warning')}: ${warning}\n`);
  if (options.format === 'json') {
    const diagnostics = result.diagnostics;
    io.stdout(buildJson({ check: false, outDir: options.out, hosts: result.summary, total: result.files, ...(result.diff ? { diff: result.diff } : {}), diagnostics }));
    setExit(result.diff && result.summary.length > 0 ? EXIT.ok : EXIT.findings);
    return;
  }
  if (result.diagnostics.length > 0 || !result.diff || result.summary.length === 0) {
    io.stderr(REPORTERS.pretty!(result.diagnostics, { chalk: io.chalk, sources: result.sources }));
  }
  if (!result.diff || result.summary.length === 0) {
    io.stderr(`${io.chalk.red('error')}: nothing built; fix the errors above\n`);
    setExit(EXIT.findings);
    return;
  }
  const { diff } = result;
  io.stdout(table(result.summary));
  const changes = diff.missing.length + diff.changed.length + diff.stale.length;
  io.stdout(
    `${result.files} files in ${options.out}: ${diff.missing.length} created, ${diff.changed.length} updated, ${diff.stale.length} removed${changes === 0 ? ' (up to date)' : ''}\n`,
  );
  setExit(EXIT.ok);
}
