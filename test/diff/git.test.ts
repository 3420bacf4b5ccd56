/**
 * `benteng diff --base <ref>` reads the revision with git plumbing into a temporary directory: the same
 * result as `--against` a copy of that revision, the repository left as it was, every temporary
 * directory removed, and plain errors (exit 2, no stack trace) for a bad revision or no repository.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRevision } from '../../src/diff/git-tree.js';
import { hasStackTrace, runCli } from '../support/policy-dir.js';
import { edit, type FleetCopies, fleetCopies, git, revisionTempDirs } from './fleet.js';

let fleet: FleetCopies;
let repo: string;
let policies: string;
let pristine: string;

beforeEach(() => {
  fleet = fleetCopies();
  repo = join(fleet.root, 'repo');
  policies = fleet.copy(join('repo', 'policies'));
  pristine = fleet.copy('pristine');
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'add', '.');
  git(repo, 'commit', '--quiet', '-m', 'policies');
});

afterEach(() => fleet.dispose());

interface JsonDiff {
  base: string;
  hosts: Array<{ chains: Array<{ changes: Array<{ old: { rule: { file: string } | null } }> }> }>;
}

/** The JSON output with the old side's files written the same way for both runs, and no base label. */
function normalised(stdout: string, oldDir: string): unknown {
  const parsed = JSON.parse(stdout) as JsonDiff;
  for (const host of parsed.hosts) {
    for (const chain of host.chains) {
      for (const change of chain.changes) {
        if (change.old.rule) change.old.rule.file = change.old.rule.file.replace(oldDir, '<old>');
      }
    }
  }
  return { ...parsed, base: '<base>' };
}

describe('benteng diff --base', () => {
  it('(d) --base HEAD on a git repository gives the same as --against a copy of HEAD', async () => {
    edit(policies, 'services/monitoring.yaml', '    from: admin\n    ports: [https]', '    from: csirt-vpn\n    ports: [https]');
    edit(policies, 'services/permit-db.yaml', '    ports: [postgres]', '    ports: [postgres, ssh]');
    const statusBefore = git(repo, 'status', '--porcelain');
    const indexBefore = git(repo, 'ls-files', '--stage');
    const tempsBefore = revisionTempDirs();

    const viaGit = await runCli(['diff', '-p', policies, '-f', 'json']);
    const viaDir = await runCli(['diff', '--against', pristine, '-p', policies, '-f', 'json']);
    expect(viaGit.stderr).toBe('');
    expect(viaGit.code).toBe(0);
    expect(viaDir.code).toBe(0);
    expect(normalised(viaGit.stdout, policies)).toEqual(normalised(viaDir.stdout, pristine));
    expect(JSON.parse(viaGit.stdout).base).toMatch(/^HEAD \([0-9a-f]{7}\)$/);
    expect(JSON.parse(viaGit.stdout).summary.hosts).toBe(2);

    const pretty = await runCli(['diff', '-p', policies, '--base', 'main']);
    expect(pretty.stdout).toContain(`was accept by monitoring/ingress/0  ${join(policies, 'services', 'monitoring.yaml')}:8:5 at main`);
    expect(pretty.stdout).toContain(`compared with main (`);

    expect(git(repo, 'status', '--porcelain')).toBe(statusBefore);
    expect(git(repo, 'ls-files', '--stage')).toBe(indexBefore);
    expect(revisionTempDirs()).toEqual(tempsBefore);
  });

  it('reads the policies directory at an older revision and only the loader\'s files', async () => {
    writeFileSync(join(policies, 'README.md'), 'not a policy\n');
    mkdirSync(join(policies, 'drafts'));
    writeFileSync(join(policies, 'drafts', 'next.yaml'), 'service: draft\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'notes');
    edit(policies, 'services/monitoring.yaml', '    from: admin', '    from: csirt-vpn');
    git(repo, 'commit', '--quiet', '-am', 'narrow monitoring');
    const tree = await readRevision(policies, 'HEAD~1');
    try {
      expect(tree.relativePath).toBe('policies');
      expect(readdirSync(tree.dir, { recursive: true }).map(String).sort()).toEqual(readdirSync(pristine, { recursive: true }).map(String).sort());
      expect(tree.commit).toBe(git(repo, 'rev-parse', 'HEAD~1').trim());
      const result = await runCli(['diff', '--against', tree.dir, '-p', policies, '-f', 'json']);
      expect(JSON.parse(result.stdout).summary.changes).toBe(2);
    } finally {
      await tree.dispose();
    }
    const sameAsHead = await runCli(['diff', '-p', policies]);
    expect(sameAsHead.stdout).toContain('no access changes');
  });

  it('(e) an unknown revision: exit 2, a plain message, no stack trace', async () => {
    const tempsBefore = revisionTempDirs();
    const result = await runCli(['diff', '-p', policies, '--base', 'no-such-branch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: unknown git revision `no-such-branch`');
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(result.stdout).toBe('');
    const option = await runCli(['diff', '-p', policies, '--base=--output=/tmp/x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('is not a git revision');
    expect(revisionTempDirs()).toEqual(tempsBefore);
  });

  it('outside a git repository: exit 2 with a plain message', async () => {
    const result = await runCli(['diff', '-p', pristine]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: `.*pristine` is not inside a git repository .*use --against <dir> instead/);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('a revision without the policies directory: exit 2 with a plain message', async () => {
    git(repo, 'checkout', '--quiet', '--orphan', 'empty');
    git(repo, 'rm', '-r', '--quiet', '--cached', '.');
    git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'empty');
    const result = await runCli(['diff', '-p', policies, '--base', 'empty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('holds no policy files at empty (');
  });
});
