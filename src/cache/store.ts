/**
 * The build cache on disk: `.benteng-cache/` inside the policies directory. Entries are JSON values
 * under a key that hashes every input able to change them (see `keys.ts`); blobs are texts named by
 * their own SHA-256. The cache is an optimisation only, so it never fails a run: a missing, unreadable
 * or corrupted entry (its recorded checksum does not match) is a miss, and the first write that fails
 * becomes a warning and turns writing off for the rest of the run. Deleting the directory is always safe.
 * `prune` keeps only what this run read or wrote, so the cache holds one build, not every edit's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The cache directory's name, inside the policies directory. */
export const CACHE_DIR = '.benteng-cache';

/** Bump when the layout of entries changes, so old entries are never misread. */
const LAYOUT = 'v1';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export class CacheStore {
  /** Problems writing the cache, for the CLI to print as warnings; the run goes on without caching. */
  readonly warnings: string[] = [];
  private writable = true;
  private readonly root: string;
  /** Files of the cache this run found or wrote. */
  private readonly touched = new Set<string>();

  /**
   * The cache of `policiesDir`: `<policiesDir>/.benteng-cache/`, or, when `BENTENG_CACHE_DIR` is set (a
   * CI cache, a read-only checkout, the test suite), a folder in it named by the policies directory's
   * absolute path, so several policies directories never prune each other's entries.
   */
  constructor(policiesDir: string, base: string | undefined = process.env.BENTENG_CACHE_DIR || undefined) {
    this.root = base ? join(base, sha256(resolve(policiesDir)).slice(0, 16), LAYOUT) : join(policiesDir, CACHE_DIR, LAYOUT);
  }

  /** The value stored under `kind`/`key`, or undefined when absent, unreadable or corrupted. */
  async get<T>(kind: string, key: string): Promise<T | undefined> {
    const file = join(this.root, kind, `${key}.json`);
    const text = await this.readText(file);
    if (text === undefined) return undefined;
    this.touched.add(file);
    const newline = text.indexOf('\n');
    const body = text.slice(newline + 1);
    if (newline !== 64 || text.slice(0, 64) !== sha256(body)) return undefined;
    try {
      return JSON.parse(body) as T;
    } catch {
      return undefined;
    }
  }

  /** Stores `value` (plain JSON data) under `kind`/`key`. */
  async put(kind: string, key: string, value: unknown): Promise<void> {
    const body = JSON.stringify(value);
    await this.write(join(this.root, kind), `${key}.json`, `${sha256(body)}\n${body}`);
  }

  /** The text whose SHA-256 is `hash`, or undefined when absent or corrupted. */
  async getBlob(hash: string): Promise<string | undefined> {
    const file = join(this.root, 'blobs', hash.slice(0, 2), hash);
    const text = await this.readText(file);
    if (text === undefined || sha256(text) !== hash) return undefined;
    this.touched.add(file);
    return text;
  }

  /** Stores a text under its SHA-256 (given, when the caller already has it) and returns the hash. */
  async putBlob(text: string, hash = sha256(text)): Promise<string> {
    await this.write(join(this.root, 'blobs', hash.slice(0, 2)), hash, text);
    return hash;
  }

  /**
   * Removes every entry and blob of `kinds` that this run neither found nor wrote (a later run that
   * needs one again recomputes it). Errors are ignored: pruning is housekeeping.
   */
  async prune(kinds: readonly string[]): Promise<void> {
    if (!this.writable) return;
    for (const kind of kinds) {
      const dir = join(this.root, kind);
      const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const file = join(entry.parentPath, entry.name);
        if (entry.isFile() && !this.touched.has(file)) await rm(file, { force: true }).catch(() => undefined);
      }
    }
  }

  private async readText(file: string): Promise<string | undefined> {
    try {
      return await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  private async write(dir: string, name: string, text: string): Promise<void> {
    if (!this.writable) return;
    const temp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(temp, text, 'utf8');
      await rename(temp, join(dir, name));
      this.touched.add(join(dir, name));
    } catch (error) {
      this.writable = false;
      await rm(temp, { force: true }).catch(() => undefined);
      this.warnings.push(`cannot write the build cache in \`${join(this.root, '..')}\` (${(error as Error).message}); going on without it`);
    }
  }
}
