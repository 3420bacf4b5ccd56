import { Chalk, type ChalkInstance } from 'chalk';

/** Where the CLI writes, so tests can run commands in-process and read what they printed. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  chalk: ChalkInstance;
  /** Whether stderr is a terminal (progress lines are redrawn only there). */
  interactive: boolean;
}

/** Exit codes: 0 clean, 1 findings or a failed operation, 2 usage, I/O or internal error. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/** Colour unless NO_COLOR is set (https://no-color.org), `--no-color` is given, or stdout is not a terminal. */
export function processIo(argv: readonly string[]): CliIo {
  const noColor = (process.env.NO_COLOR ?? '') !== '' || argv.includes('--no-color');
  const forced = (process.env.FORCE_COLOR ?? '') !== '' && process.env.FORCE_COLOR !== '0';
  const level = noColor ? 0 : forced || process.stdout.isTTY ? 1 : 0;
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    chalk: new Chalk({ level }),
    interactive: Boolean(process.stderr.isTTY),
  };
}

/** An error the user caused (bad flag, missing directory): printed without a stack, exit 2. */
export class UsageError extends Error {}
