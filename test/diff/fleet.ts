import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { REPO_ROOT } from '../support/policy-dir.js';

export const EXAMPLE_POLICIES = join(REPO_ROOT, 'policies');

/** A temporary directory holding copies of the example fleet; `dispose()` removes it. */
export interface FleetCopies {
  root: string;
  /** Copies the example fleet to `<root>/<name>` and returns its path. */
  copy(name: string): string;
  dispose(): void;
}

export function fleetCopies(): FleetCopies {
  const root = mkdtempSync(join(tmpdir(), 'benteng-diff-test-'));
  return {
    root,
    copy(name) {
      const dir = join(root, name);
      // A developer's local build cache (git-ignored) is not part of the example fleet.
      cpSync(EXAMPLE_POLICIES, dir, { recursive: true, filter: (source) => !source.split(sep).includes('.benteng-cache') });
      return dir;
    },
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Replaces one exact piece of a policy file's text; fails when the text is not there exactly once. */
export function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  if (text.split(from).length !== 2) throw new Error(`expected exactly one \`${from}\` in ${path}`);
  writeFileSync(path, text.replace(from, to));
}

export function append(dir: string, file: string, text: string): void {
  const path = join(dir, file);
  writeFileSync(path, readFileSync(path, 'utf8') + text);
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'benteng test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'benteng test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
}

/** Temporary directories `readRevision` creates and has not removed yet. */
export function revisionTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('benteng-diff-') && !name.startsWith('benteng-diff-test-'));
}
