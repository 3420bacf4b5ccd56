import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { COMMANDS, commandNameOf } from './commands/index.js';
import { EXIT, type CliIo, UsageError } from './io.js';

const DESCRIPTION =
  'benteng: firewall policy as code. Lint per-service YAML network policies, compile them to nftables ' +
  'and iptables rulesets, and deploy them over SSH with server-side rollback.';

/** The installed package's version (`package.json` sits two levels above both `src/cli` and `dist/cli`). */
function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/**
 * Builds the command tree; each command sets the exit code through `setExit`. Only the module of
 * `load` (the command being run) is imported; every other command is a stub with its summary, enough
 * for `--help`, "unknown command" suggestions and `--version`.
 */
export async function buildProgram(io: CliIo, setExit: (code: number) => void, load?: string): Promise<Command> {
  const program = new Command('benteng')
    .description(DESCRIPTION)
    .version(packageVersion())
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .showHelpAfterError('(run `benteng --help` for usage)')
    .addHelpText('after', '\nRun `benteng <command> --help` for its arguments, options and exit codes.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const wanted = COMMANDS.find((c) => c.name === load);
  const registered = new Set<string>();
  for (const entry of COMMANDS) {
    if (registered.has(entry.name)) continue;
    if (wanted && entry.load === wanted.load) {
      (await entry.load())(program, io, setExit);
      for (const command of program.commands) registered.add(command.name());
    } else {
      program.command(entry.name).description(entry.summary).allowUnknownOption().allowExcessArguments();
      registered.add(entry.name);
    }
  }
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never throws. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  try {
    const program = await buildProgram(
      io,
      (c) => {
        code = c;
      },
      commandNameOf(argv),
    );
    if (argv.length === 0) {
      io.stdout(program.helpInformation());
      return EXIT.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { PolicyDirectoryError } = await import('../load/index.js');
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
