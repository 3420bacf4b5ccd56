import type { Command } from 'commander';
import { buildFleet, compareGenerated, isClean, writeGenerated, type BuildSummaryRow } from '../../build/index.js';
import { REPORTERS } from '../../report/index.js';
import { EXIT, type CliIo, parseDay } from '../io.js';

function table(rows: readonly BuildSummaryRow[]): string {
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
    .addHelpText('after', '\nExit codes: 0 built (or up to date), 1 policy errors or --check found differences, 2 usage or I/O error.')
    .action(async (options: { policies: string; out: string; check?: boolean; allBackends?: boolean; today?: string }) => {
      const result = await buildFleet(options.policies, {
        ...(options.today ? { today: options.today } : {}),
        allBackends: options.allBackends === true,
      });
      if (result.diagnostics.length > 0 || result.hosts.length === 0) {
        io.stderr(REPORTERS.pretty!(result.diagnostics, { chalk: io.chalk, sources: result.sources }));
      }
      if (result.hosts.length === 0) {
        io.stderr(`${io.chalk.red('error')}: nothing built; fix the errors above\n`);
        setExit(EXIT.findings);
        return;
      }
      const { chalk } = io;
      if (options.check) {
        const diff = await compareGenerated(options.out, result.files);
        if (isClean(diff)) {
          io.stdout(`${options.out} is up to date (${result.files.size} files)\n`);
          setExit(EXIT.ok);
          return;
        }
        const lines = [
          ...diff.changed.map((f) => `  ${chalk.yellow('changed')}  ${f}`),
          ...diff.missing.map((f) => `  ${chalk.green('missing')}  ${f}`),
          ...diff.stale.map((f) => `  ${chalk.red('stale')}    ${f}`),
        ];
        io.stdout(`${options.out} differs from a fresh build:\n${lines.join('\n')}\nRun \`benteng build\` and commit the result.\n`);
        setExit(EXIT.findings);
        return;
      }
      const diff = await writeGenerated(options.out, result.files);
      io.stdout(table(result.summary));
      const changes = diff.missing.length + diff.changed.length + diff.stale.length;
      io.stdout(
        `${result.files.size} files in ${options.out}: ${diff.missing.length} created, ${diff.changed.length} updated, ${diff.stale.length} removed${changes === 0 ? ' (up to date)' : ''}\n`,
      );
      setExit(EXIT.ok);
    });
}
