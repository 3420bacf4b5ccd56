/**
 * The build stage: policies directory → checked model → one ruleset per host (the host's backend, or
 * both) → the files of `generated/`. Errors from load, validation, resolution or lint stop it with no
 * hosts and no files. `buildFleet` returns every file in memory (for `--check`, deploy and tests);
 * `buildToDirectory` streams each host's files to the output directory as they are emitted and can use
 * the build cache (src/cache). Only `output-dir.ts` touches the output directory.
 */
import { type Diagnostic, hasErrors } from '../diagnostics/diagnostic.js';
import { emitHost, emittedLogKeys } from '../emit/index.js';
import { checkKey, hostKey } from '../cache/keys.js';
import { CacheStore, sha256 } from '../cache/store.js';
import { readPolicyFiles } from '../load/index.js';
import type { BaselineSettings, HostModel } from '../model/index.js';
import type { HostAccess } from '../access/index.js';
import { checkPolicies, checkReads } from '../pipeline.js';
import { todayUtc } from '../resolve/index.js';
import type { Backend, CompiledHost } from './compiled-host.js';
import { type GeneratedDiff, OutputWriter } from './output-dir.js';

export { compareGenerated, type GeneratedDiff, isClean, OutputWriter, writeGenerated } from './output-dir.js';

export interface BuildOptions {
  /** Judge expiry against this day (`YYYY-MM-DD`). */
  today?: string;
  /** Emit both backends for every host instead of the host's own. */
  allBackends?: boolean;
}

export interface BuildSummaryRow {
  host: string;
  backend: Backend;
  policyRules: number;
  emittedRules: number;
  sets: number;
  regions: number;
  layers: number;
  files: string[];
}

export interface BuildResult {
  hosts: CompiledHost[];
  /** Output files by path relative to the out directory, sorted by path. */
  files: Map<string, string>;
  summary: BuildSummaryRow[];
  diagnostics: Diagnostic[];
  /** Policy sources, for code frames. */
  sources: Map<string, string>;
}

/** File names of one host's outputs. */
export function outputFiles(host: string): { nft: string; rulesV4: string; rulesV6: string } {
  return { nft: `${host}.nft`, rulesV4: `${host}.rules.v4`, rulesV6: `${host}.rules.v6` };
}

/** Compiles every host of the policies directory. */
export async function buildFleet(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const checked = await checkPolicies(dir, options.today ? { today: options.today } : {});
  const result: BuildResult = { hosts: [], files: new Map(), summary: [], diagnostics: checked.diagnostics, sources: checked.sources };
  if (!checked.model || hasErrors(checked.diagnostics)) return result;
  const { model } = checked;
  const entries: Array<[string, string]> = [];
  for (const host of [...model.hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const backends: Backend[] = options.allBackends ? ['nftables', 'iptables'] : [host.backend];
    const emitted = emitHost(host, model.baseline, backends, checked.access?.host(host));
    result.hosts.push({ host: host.name, backend: host.backend, ssh: host.ssh, ruleset: emitted.ruleset, logKeys: emittedLogKeys(emitted) });
    const names = outputFiles(host.name);
    for (const backend of backends) {
      const stats = emitted.stats[backend]!;
      const files: string[] = [];
      if (backend === 'nftables') {
        entries.push([names.nft, emitted.ruleset.nft!]);
        files.push(names.nft);
      } else {
        entries.push([names.rulesV4, emitted.ruleset.rulesV4!], [names.rulesV6, emitted.ruleset.rulesV6!]);
        files.push(names.rulesV4, names.rulesV6);
      }
      result.summary.push({ host: host.name, backend, ...stats, files });
    }
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  result.files = new Map(entries);
  return result;
}


export interface BuildToDirectoryOptions extends BuildOptions {
  /** Use and update the build cache in `<policies>/.benteng-cache/` (default false). */
  cache?: boolean;
}

export interface BuildToDirectoryResult {
  /** One row per host and backend, by host name; empty when nothing was built. */
  summary: BuildSummaryRow[];
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  /** What changed in the output directory; absent when errors stopped the build. */
  diff?: GeneratedDiff;
  /** Files the build produced. */
  files: number;
  /** Problems with the cache (the build went on without it), for the CLI to print as warnings. */
  warnings: string[];
  /** Hosts whose files came from the cache, and hosts emitted afresh. */
  hosts: { cached: number; emitted: number };
}

/** What the cache keeps of one host: its summary rows and its files' texts (as blob hashes). */
interface CachedHost {
  rows: BuildSummaryRow[];
  files: Array<[name: string, blob: string]>;
}

/** What the cache keeps of a whole build: its hosts' keys, in output order. */
interface CachedBuild {
  hosts: string[];
}

const byName = (a: HostModel, b: HostModel): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Emits one host: its summary rows and files (blob hashes only when they go to the cache). */
function hostFiles(host: HostModel, baseline: BaselineSettings, backends: readonly Backend[], access: HostAccess | undefined, hash: boolean): CachedHost & { texts: string[] } {
  const emitted = emitHost(host, baseline, backends, access);
  const names = outputFiles(host.name);
  const entry: CachedHost & { texts: string[] } = { rows: [], files: [], texts: [] };
  for (const backend of backends) {
    const files: Array<[string, string]> =
      backend === 'nftables' ? [[names.nft, emitted.ruleset.nft!]] : [[names.rulesV4, emitted.ruleset.rulesV4!], [names.rulesV6, emitted.ruleset.rulesV6!]];
    for (const [name, text] of files) {
      entry.files.push([name, hash ? sha256(text) : '']);
      entry.texts.push(text);
    }
    entry.rows.push({ host: host.name, backend, ...emitted.stats[backend]!, files: files.map(([name]) => name) });
  }
  return entry;
}

/** A cached host's files, or undefined when its entry or one of its blobs is missing or corrupted. */
async function cachedHost(cache: CacheStore, key: string): Promise<(CachedHost & { texts: string[] }) | undefined> {
  const entry = await cache.get<CachedHost>('host', key);
  if (!entry || !Array.isArray(entry.rows) || !Array.isArray(entry.files)) return undefined;
  const texts: string[] = [];
  for (const [, blob] of entry.files) {
    const text = await cache.getBlob(blob);
    if (text === undefined) return undefined;
    texts.push(text);
  }
  return { ...entry, texts };
}

/**
 * Builds the fleet into `outDir`, one host at a time: each host's text is written (atomically) as soon
 * as it is emitted and then dropped. With `cache`, an unchanged fleet is replayed from the cache
 * without parsing, and after a change only the hosts whose resolved model changed are emitted again
 * (load, validate, resolve and lint still run over the whole fleet, since lint rules look across hosts).
 */
export async function buildToDirectory(dir: string, outDir: string, options: BuildToDirectoryOptions = {}): Promise<BuildToDirectoryResult> {
  const reads = await readPolicyFiles(dir);
  const cache = options.cache ? new CacheStore(dir) : undefined;
  const today = options.today ?? todayUtc();
  const buildKey = sha256(`build\0${checkKey(reads.fingerprint, { today, lint: true })}\0${options.allBackends ? 'all' : 'own'}`);
  const writer = new OutputWriter(outDir);
  const summary: BuildSummaryRow[] = [];
  const hosts = { cached: 0, emitted: 0 };
  const done = (diagnostics: Diagnostic[], sources: Map<string, string>, diff?: GeneratedDiff): BuildToDirectoryResult => ({
    summary,
    diagnostics,
    sources,
    ...(diff ? { diff } : {}),
    files: writer.count,
    warnings: cache?.warnings ?? [],
    hosts,
  });

  let checked: Awaited<ReturnType<typeof checkReads>> | undefined = await checkReads(reads, { today, ...(cache ? { cache } : {}) });
  const { diagnostics, sources } = checked;
  if (hasErrors(diagnostics)) return done(diagnostics, sources);

  if (cache && checked.cached) {
    const build = await cache.get<CachedBuild>('build', buildKey);
    const entries: CachedHost[] = [];
    for (const key of Array.isArray(build?.hosts) ? build.hosts : []) {
      const entry = await cache.get<CachedHost>('host', key);
      if (!entry || !Array.isArray(entry.rows) || !Array.isArray(entry.files)) break;
      entries.push(entry);
    }
    let complete = build !== undefined && entries.length === build.hosts.length;
    for (const entry of complete ? entries : []) {
      const texts: string[] = [];
      for (const [, blob] of entry.files) {
        const text = await cache.getBlob(blob);
        if (text === undefined) break;
        texts.push(text);
      }
      if (texts.length < entry.files.length) {
        complete = false;
        break;
      }
      summary.push(...entry.rows);
      for (const [i, [name]] of entry.files.entries()) await writer.add(name, texts[i]!);
      hosts.cached++;
    }
    if (complete) {
      await cache.prune(['check', 'build', 'host', 'blobs']);
      return done(diagnostics, sources, await writer.finish());
    }
    // A blob was missing: build afresh (files already written are identical and are not written again).
    summary.length = 0;
    hosts.cached = 0;
    // The check was cached but not the build: run the check again for the model.
    checked = await checkReads(reads, { today, cache, model: true });
  }
  const { model, access } = checked;
  checked = undefined; // the parsed documents are not needed any more
  if (!model) return done(diagnostics, sources);

  const keys: string[] = [];
  for (const host of [...model.hosts].sort(byName)) {
    const backends: Backend[] = options.allBackends ? ['nftables', 'iptables'] : [host.backend];
    const key = cache ? hostKey(host, model.baseline, backends) : undefined;
    let entry = cache && key ? await cachedHost(cache, key) : undefined;
    if (entry) hosts.cached++;
    else {
      entry = hostFiles(host, model.baseline, backends, access?.host(host), cache !== undefined);
      hosts.emitted++;
      if (cache && key) {
        for (const [i, [, blob]] of entry.files.entries()) await cache.putBlob(entry.texts[i]!, blob);
        await cache.put('host', key, { rows: entry.rows, files: entry.files } satisfies CachedHost);
      }
    }
    if (key) keys.push(key);
    summary.push(...entry.rows);
    for (const [i, [name]] of entry.files.entries()) await writer.add(name, entry.texts[i]!);
  }
  if (cache) {
    await cache.put('build', buildKey, { hosts: keys } satisfies CachedBuild);
    await cache.prune(['check', 'build', 'host', 'blobs']);
  }
  return done(diagnostics, sources, await writer.finish());
}
