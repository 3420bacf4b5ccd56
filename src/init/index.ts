/**
 * `benteng init`: writes a ready policies repository (see `templates.ts`) and its compiled `generated/`
 * into a directory, all or nothing. Nothing existing is ever overwritten: the planned paths are checked
 * first (a conflict writes nothing), then every file is written into a staging directory inside the
 * target, the staged policies are compiled (lint errors write nothing), and each file is hard-linked
 * into place, which fails rather than replace a file that appeared meanwhile; on any failure the files
 * and directories already placed are removed again. The staging directory is always removed.
 */
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, mkdtemp, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildFleet, outputFiles } from '../build/index.js';
import { type Diagnostic, hasErrors } from '../diagnostics/diagnostic.js';
import { type InitOptions, LAYOUT, repositoryFiles } from './templates.js';

export { type InitOptions, EXAMPLE_SERVICE, LAYOUT } from './templates.js';

export interface InitResult {
  /** Files written, relative to the directory, sorted; empty when anything stopped the init. */
  written: string[];
  /** Planned files that already exist (or cannot be created because a parent is a file): nothing was written. */
  conflicts: string[];
  /** Findings on the new policies, with paths in the target directory; errors mean nothing was written. */
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
}

const STAGING_PREFIX = '.benteng-init-';

/** Whether `error` is a Node.js system error with one of `codes`. */
function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

async function kind(file: string): Promise<'missing' | 'directory' | 'other'> {
  try {
    return (await lstat(file)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if (isCode(error, 'ENOENT')) return 'missing';
    throw error;
  }
}

/** Planned paths (relative to `dir`) that exist, or whose parent directories include a non-directory. */
async function findConflicts(dir: string, planned: readonly string[]): Promise<string[]> {
  if ((await kind(dir)) === 'other') return ['.'];
  const conflicts: string[] = [];
  for (const relative of planned) {
    const parts = relative.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const found = await kind(path.join(dir, ...parts.slice(0, i)));
      if (found === 'missing') break;
      if (i === parts.length || found === 'other') {
        conflicts.push(relative);
        break;
      }
    }
  }
  return conflicts.sort();
}

/** Creates `dir` and its missing parents, recording each directory it created (outermost first). */
async function ensureDirectory(dir: string, created: string[]): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); (await kind(at)) === 'missing'; at = path.dirname(at)) missing.unshift(at);
  for (const each of missing) {
    await mkdir(each);
    created.push(each);
  }
}

/** Puts `staged` at `target` without ever replacing an existing file (EEXIST when one is there). */
async function place(staged: string, target: string): Promise<void> {
  try {
    await link(staged, target);
  } catch (error) {
    if (!isCode(error, 'EXDEV', 'EPERM', 'ENOTSUP', 'ENOSYS', 'EMLINK')) throw error;
    await copyFile(staged, target, constants.COPYFILE_EXCL);
  }
}

function relocate(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>, from: string, to: string) {
  const moved = (file: string) => (file.startsWith(from) ? path.join(to, path.relative(from, file)) : file);
  return {
    diagnostics: diagnostics.map((d) => ({
      ...d,
      ...(d.span ? { span: { ...d.span, file: moved(d.span.file) } } : {}),
      ...(d.related ? { related: d.related.map((r) => ({ ...r, span: { ...r.span, file: moved(r.span.file) } })) } : {}),
    })),
    sources: new Map([...sources].map(([file, text]) => [moved(file), text])),
  };
}

/** The schemas directory relative to the repository root, when it lies inside it (a vendored copy). */
function vendoredSchemas(dir: string, schemas: string): string | undefined {
  if (/^https?:\/\//.test(schemas)) return undefined;
  const relative = path.relative(path.resolve(dir), path.resolve(schemas));
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join('/');
}

/** Writes a new policies repository into `dir` (created when missing); see the module comment. */
export async function initRepository(dir: string, options: InitOptions): Promise<InitResult> {
  const files = repositoryFiles(options, vendoredSchemas(dir, options.schemas));
  const names = outputFiles(options.host);
  const generated = options.backend === 'nftables' ? [names.nft] : [names.rulesV4, names.rulesV6];
  const planned = [...files.keys(), ...generated.map((name) => `${LAYOUT.generated}/${name}`)].sort();
  const result: InitResult = { written: [], conflicts: await findConflicts(dir, planned), diagnostics: [], sources: new Map() };
  if (result.conflicts.length > 0) return result;

  const created: string[] = [];
  const placed: string[] = [];
  let staging: string | undefined;
  try {
    await ensureDirectory(dir, created);
    staging = await mkdtemp(path.join(dir, STAGING_PREFIX));
    const stage = async (relative: string, text: string) => {
      const file = path.join(staging!, ...relative.split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text, { encoding: 'utf8', mode: 0o644 });
    };
    for (const [relative, text] of files) await stage(relative, text);

    const build = await buildFleet(path.join(staging, LAYOUT.policies));
    Object.assign(result, relocate(build.diagnostics, build.sources, staging, dir));
    if (build.hosts.length === 0 || hasErrors(build.diagnostics)) throw new Abandon();
    for (const [name, text] of build.files) files.set(`${LAYOUT.generated}/${name}`, text);
    for (const [name, text] of build.files) await stage(`${LAYOUT.generated}/${name}`, text);

    const all = [...files.keys()].sort();
    const late = await findConflicts(dir, all);
    if (late.length > 0) {
      result.conflicts = late;
      throw new Abandon();
    }
    for (const relative of all) {
      const target = path.join(dir, ...relative.split('/'));
      await ensureDirectory(path.dirname(target), created);
      try {
        await place(path.join(staging, ...relative.split('/')), target);
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
        result.conflicts = [relative];
        throw new Abandon();
      }
      placed.push(target);
    }
    result.written = all;
    return result;
  } catch (error) {
    for (const file of placed.reverse()) await unlink(file).catch(() => undefined);
    if (staging) await rm(staging, { recursive: true, force: true });
    staging = undefined;
    for (const each of created.reverse()) await rmdir(each).catch(() => undefined);
    if (error instanceof Abandon) return result;
    throw error;
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

/** Stops the init after its reason was recorded in the result; everything placed is undone. */
class Abandon extends Error {}
