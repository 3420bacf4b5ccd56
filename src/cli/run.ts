import { Command, CommanderError } from 'commander';
import { PolicyDirectoryError } from '../load/index.js';
import { registerBlock } from './commands/block.js';
import { registerBuild } from './commands/build.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDiff } from './commands/diff.js';
import { registerDrops } from './commands/drops.js';
import { registerImport } from './commands/import.js';
import { registerInit } from './commands/init.js';
import { registerLint } from './commands/lint.js';
import { registerQuery } from './commands/query.js';
import { EXIT, type CliIo, UsageError } from './io.js';

const DESCRIPTION =
  'benteng: firewall policy as code. Lint per-service YAML network policies, compile them to nftables ' +
  'and iptables rulesets, and deploy them over SSH with server-side rollback.';

/** Builds the command tree; each command sets the exit code through `setExit`. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('benteng')
    .description(DESCRIPTION)
    .version('0.1.0')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .showHelpAfterError('(run `benteng --help` for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerInit(program, io, setExit);
  registerImport(program, io, setExit);
  registerLint(program, io, setExit);
  registerBuild(program, io, setExit);
  registerDeploy(program, io, setExit);
  registerDiff(program, io, setExit);
  registerQuery(program, io, setExit);
  registerBlock(program, io, setExit);
  registerDrops(program, io, setExit);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never throws. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    io.stdout(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError || error instanceof PolicyDirectoryError) {
      io.stderr(`${io.chalk.red('error')}: ${error.message}\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`${io.chalk.red('internal error')}: ${message}\nThis is a bug in benteng; please report it with the command you ran.\n`);
    if (process.env.BENTENG_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
    return EXIT.usage;
  }
}
