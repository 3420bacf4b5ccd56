import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Chalk } from 'chalk';
import type { CliIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS_BASE = join(REPO_ROOT, 'test', 'corpus', 'base');

/** A temporary policies directory, removed by `dispose()` (call it in `finally`/`afterEach`). */
export interface TempPolicies {
  dir: string;
  write(relativePath: string, content: string | Uint8Array): string;
  dispose(): void;
}

export function tempPolicies(options: { copyBase?: boolean } = {}): TempPolicies {
  const dir = mkdtempSync(join(tmpdir(), 'benteng-policies-'));
  if (options.copyBase ?? true) cpSync(CORPUS_BASE, dir, { recursive: true });
  return {
    dir,
    write(relativePath, content) {
      const path = join(dir, relativePath);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, colours off, and returns what it printed. */
export async function runCli(argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    chalk: new Chalk({ level: 0 }),
    interactive: false,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/** True when the text looks like a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+\(.*:\d+:\d+\)/.test(text) || /\n\s+at file:\/\//.test(text);
}
