import type { Command } from 'commander';
import { Option } from 'commander';
import { CacheStore } from '../../cache/store.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { checkPolicies } from '../../pipeline.js';
import { REPORTERS } from '../../report/index.js';
import { EXIT, type CliIo, parseDay, wholeNumber } from '../io.js';

export function registerLint(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('lint')
    .description('check the policies: YAML, schema, references and lint rules; print findings')
    .option('-p, --policies <dir>', 'policies directory', 'policies')
    .addOption(new Option('-f, --format <format>', 'output format').choices(Object.keys(REPORTERS)).default('pretty'))
    .option('--today <date>', 'judge rule expiry against this day (YYYY-MM-DD) instead of today', parseDay)
    .option('--max-warnings <n>', 'exit 1 when there are more than n warnings', wholeNumber(0))
    .option('--no-cache', 'neither read nor write the build cache (<policies>/.benteng-cache/)')
    .addHelpText(
      'after',
      '\nRule severities and options: <policies>/benteng.yaml. Suppress one finding with a comment on the line before:\n' +
        '  # benteng-disable-next-line <rule-id> -- <reason>\n' +
        '\nExit codes: 0 no errors (and at most --max-warnings warnings), 1 findings, 2 usage or I/O error.',
    )
    .action(async (options: { policies: string; format: string; today?: string; maxWarnings?: number; cache?: boolean }) => {
      const cache = options.cache === false ? undefined : new CacheStore(options.policies);
      const result = await checkPolicies(options.policies, { ...(options.today ? { today: options.today } : {}), ...(cache ? { cache } : {}) });
      for (const warning of cache?.warnings ?? []) io.stderr(`${io.chalk.yellow('warning')}: ${warning}\n`);
      io.stdout(REPORTERS[options.format]!(result.diagnostics, { chalk: io.chalk, sources: result.sources, cwd: process.cwd() }));
      const warnings = result.diagnostics.filter((d) => d.severity === 'warning').length;
      const tooManyWarnings = options.maxWarnings !== undefined && warnings > options.maxWarnings;
      if (tooManyWarnings && !hasErrors(result.diagnostics)) {
        io.stderr(`${warnings} warnings exceed --max-warnings ${options.maxWarnings}\n`);
      }
      setExit(hasErrors(result.diagnostics) || tooManyWarnings ? EXIT.findings : EXIT.ok);
    });
}
