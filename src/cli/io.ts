import { InvalidArgumentError } from 'commander';
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

/** Parses a `--today` value: a real calendar day written `YYYY-MM-DD`. */
export function parseDay(text: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : undefined;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) {
    throw new InvalidArgumentError('expected a day written YYYY-MM-DD');
  }
  return text;
}

/** Parses a whole-number option of at least `min`. */
export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
    return Number(text);
  };
}
