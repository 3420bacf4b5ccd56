import type { Command } from 'commander';
import { Option } from 'commander';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { checkPolicies } from '../../pipeline.js';
import { REPORTERS } from '../../report/index.js';
import { EXIT, type CliIo } from '../io.js';

export function registerLint(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('lint')
    .description('check the policies: YAML, schema, references and lint rules; print findings')
    .option('-p, --policies <dir>', 'policies directory', 'policies')
    .addOption(new Option('-f, --format <format>', 'output format').choices(Object.keys(REPORTERS)).default('pretty'))
    .option('--today <date>', 'judge rule expiry against this day (YYYY-MM-DD) instead of today')
    .addHelpText('after', '\nExit codes: 0 no errors, 1 errors found, 2 usage or I/O error.')
    .action(async (options: { policies: string; format: string; today?: string }) => {
      const result = await checkPolicies(options.policies, options.today ? { today: options.today } : {});
      io.stdout(REPORTERS[options.format]!(result.diagnostics, { chalk: io.chalk, sources: result.sources }));
      setExit(hasErrors(result.diagnostics) ? EXIT.findings : EXIT.ok);
    });
}
