/**
 * The policies directory as it is at a git revision, copied into a temporary directory with git
 * plumbing only (`rev-parse`, `ls-tree`, `cat-file --batch`): the user's working tree, index and refs
 * are never touched, and git runs without a shell. Only the files the loader reads are copied: the
 * top-level `*.yaml`/`*.yml` files and `services/*.yaml`/`*.yml` (regular files; symlinks and
 * submodules at the revision are skipped).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

/** The revision cannot be read: not a git repository, unknown revision, no policies there, git missing. */
export class GitTreeError extends Error {}

export interface RevisionTree {
  /** The policies directory inside the temporary copy. */
  dir: string;
  /** The revision as given, and the commit it names. */
  ref: string;
  commit: string;
  /** The policies directory relative to the repository root, `/`-separated (`''` at the root). */
  relativePath: string;
  /** Removes the temporary copy; safe to call more than once. */
  dispose(): Promise<void>;
}

const POLICY_FILE = /^(services\/)?[^/]+\.ya?ml$/;
const REGULAR_FILE = new Set(['100644', '100755']);

interface GitFailure {
  code?: string | number;
  stderr: string;
}

function git(args: readonly string[], cwd: string, input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      { cwd, encoding: 'buffer', maxBuffer: 1 << 30, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        reject({ code, stderr: stderr.toString('utf8') } satisfies GitFailure);
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

function firstLine(failure: unknown): string {
  const f = failure as GitFailure;
  return (f.stderr ?? '').split('\n').find((l) => l.trim() !== '')?.replace(/^fatal: /, '').trim() ?? 'git failed';
}

async function gitOrFail(args: readonly string[], cwd: string, explain: (reason: string) => string, input?: Buffer): Promise<Buffer> {
  try {
    return await git(args, cwd, input);
  } catch (failure) {
    if ((failure as GitFailure).code === 'ENOENT') throw new GitTreeError('git is not installed or not on PATH; use --against <dir> to compare with another directory');
    throw new GitTreeError(explain(firstLine(failure)));
  }
}

/** Splits `git cat-file --batch` output into the blobs' contents, in request order. */
function parseBatch(output: Buffer, count: number): Buffer[] {
  const blobs: Buffer[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const eol = output.indexOf(0x0a, pos);
    if (eol === -1) throw new GitTreeError('unexpected end of `git cat-file` output');
    const header = output.subarray(pos, eol).toString('utf8').split(' ');
    if (header[1] !== 'blob') throw new GitTreeError(`cannot read object ${header[0]} (${header.slice(1).join(' ')})`);
    const size = Number(header[2]);
    blobs.push(output.subarray(eol + 1, eol + 1 + size));
    pos = eol + 1 + size + 1;
  }
  return blobs;
}

/**
 * Copies the policy files of `policiesDir` at revision `ref` into a new temporary directory.
 * The caller disposes of it in `finally`. Throws `GitTreeError` with a plain message on every failure.
 */
export async function readRevision(policiesDir: string, ref: string): Promise<RevisionTree> {
  if (ref === '' || ref.startsWith('-')) throw new GitTreeError(`\`${ref}\` is not a git revision`);
  const dir = await realpath(policiesDir).catch(() => {
    throw new GitTreeError(`policies directory \`${policiesDir}\` does not exist`);
  });
  const top = (await gitOrFail(['rev-parse', '--show-toplevel'], dir, (why) => `\`${policiesDir}\` is not inside a git repository (${why}); use --against <dir> instead`)).toString('utf8').trim();
  const root = await realpath(top);
  const relativePath = relative(root, dir).split(sep).join('/');
  if (relativePath.startsWith('..')) throw new GitTreeError(`\`${policiesDir}\` is outside its git repository ${root}`);

  const commit = (await gitOrFail(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], root, () => `unknown git revision \`${ref}\``)).toString('utf8').trim();
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new GitTreeError(`unknown git revision \`${ref}\``);
  const label = `${ref} (${commit.slice(0, 7)})`;

  const listing = await gitOrFail(['ls-tree', '-r', '-z', commit, '--', ...(relativePath === '' ? [] : [relativePath])], root, (why) => `cannot list \`${policiesDir}\` at ${label}: ${why}`);
  const prefix = relativePath === '' ? '' : `${relativePath}/`;
  const files: Array<{ path: string; object: string }> = [];
  for (const entry of listing.toString('utf8').split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab === -1) continue;
    const [mode, type, object] = entry.slice(0, tab).split(' ');
    const path = entry.slice(tab + 1);
    if (type !== 'blob' || !REGULAR_FILE.has(mode!) || !path.startsWith(prefix)) continue;
    const inside = path.slice(prefix.length);
    if (POLICY_FILE.test(inside)) files.push({ path: inside, object: object! });
  }
  if (files.length === 0) throw new GitTreeError(`\`${policiesDir}\` holds no policy files at ${label}`);

  const output = await gitOrFail(['cat-file', '--batch'], root, (why) => `cannot read the policy files at ${label}: ${why}`, Buffer.from(files.map((f) => `${f.object}\n`).join('')));
  const blobs = parseBatch(output, files.length);

  const temp = await mkdtemp(join(tmpdir(), 'benteng-diff-'));
  const dispose = () => rm(temp, { recursive: true, force: true });
  try {
    const copy = join(temp, 'policies');
    await mkdir(join(copy, 'services'), { recursive: true });
    await Promise.all(files.map((f, i) => writeFile(join(copy, ...f.path.split('/')), blobs[i]!)));
    return { dir: copy, ref, commit, relativePath, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
