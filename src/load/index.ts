/**
 * The load stage: reads the policies directory and parses each file into plain data with its source
 * positions. The only stage that reads policy files. Reading and parsing are two steps so that the
 * build cache (src/cache) can fingerprint the inputs and skip parsing when nothing changed.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Diagnostic, diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { fastParse } from './fast-yaml.js';
import { type IndexedParse, parseIndexed } from './parse-file.js';
import { parseOnWorkers, workerCount } from './parse-workers.js';
import { IndexedSource } from './position-index.js';
import { readPolicySource, type SourceRead } from './source-file.js';
import { type PathSegment, YamlSource as ParsedYamlSource } from './yaml-source.js';

export type { PathSegment } from './yaml-source.js';
export type { IndexedParse } from './parse-file.js';
export { type PositionIndex } from './position-index.js';

/**
 * A parsed policy file with its source positions, as every later stage sees it: a `YamlSource` parsed
 * on this thread, or an `IndexedSource` rebuilt from the position index of the fast parser, a parse
 * worker or the cache (the same spans). `spanOf` maps a data path to the key or value that produced it.
 */
export interface PolicySource {
  readonly file: string;
  readonly text: string;
  positionAt(offset: number): { line: number; column: number; offset: number };
  spanOfOffsets(start: number, end: number): Span;
  spanOf(path: readonly PathSegment[], part?: 'key' | 'value'): Span;
}

/** The YAML parser (`YamlSource.parse`); as a type, any parsed policy file (`PolicySource`). */
export const YamlSource = ParsedYamlSource;
export type YamlSource = PolicySource;

/** The kinds of policy file, each validated by `schemas/<kind>.schema.json`. */
export type DocumentKind = 'hosts' | 'networks' | 'ports' | 'defaults' | 'blocklist' | 'service';

export interface LoadedDocument {
  kind: DocumentKind;
  source: PolicySource;
  /** Plain data as parsed; not yet validated. */
  data: unknown;
}

export interface LoadedPolicies {
  dir: string;
  documents: LoadedDocument[];
  diagnostics: Diagnostic[];
}

/** Raised for a policies directory that cannot be read at all: a usage or I/O error (exit 2). */
export class PolicyDirectoryError extends Error {}

const TOP_LEVEL: ReadonlyArray<[string, DocumentKind]> = [
  ['hosts', 'hosts'],
  ['networks', 'networks'],
  ['ports', 'ports'],
  ['defaults', 'defaults'],
  ['blocklist', 'blocklist'],
];

/** `benteng.yaml`: read here only for the input fingerprint (the lint stage parses it). */
const LINT_CONFIG_NAMES = ['benteng.yaml', 'benteng.yml'];

const isYaml = (name: string): boolean => name.endsWith('.yaml') || name.endsWith('.yml');

async function listDirectory(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

const READ_CONCURRENCY = 32;

async function readConcurrently(files: readonly string[]): Promise<SourceRead[]> {
  const results: SourceRead[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await readPolicySource(files[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  return results;
}

/** One policy file as read, before parsing. */
export interface PolicyFileRead {
  file: string;
  kind: DocumentKind;
  read: SourceRead;
}

/** The policies directory as read: every policy file's text, and a fingerprint of every input. */
export interface PolicyReads {
  dir: string;
  files: PolicyFileRead[];
  /**
   * SHA-256 over the name and bytes of every file that can influence a check or a build: the policy
   * files and `benteng.yaml`. Equal fingerprints mean equal inputs.
   */
  fingerprint: string;
  /** `benteng.yaml` as read, when present: part of the fingerprint, parsed by the lint stage. */
  lintConfig?: { file: string; read: SourceRead };
}

/**
 * Reads the policies directory: `hosts.yaml`, `networks.yaml`, `ports.yaml`, `defaults.yaml`,
 * `blocklist.yaml` and `services/*.yaml`, in a stable order, without parsing them.
 */
export async function readPolicyFiles(dir: string): Promise<PolicyReads> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new PolicyDirectoryError(`policies directory \`${dir}\` does not exist or is not a directory`);

  const topFiles = await listDirectory(dir);
  const found: Array<[string, DocumentKind]> = [];
  for (const [base, kind] of TOP_LEVEL) {
    const name = topFiles.find((f) => f === `${base}.yaml`) ?? topFiles.find((f) => f === `${base}.yml`);
    if (name) found.push([join(dir, name), kind]);
  }
  for (const name of (await listDirectory(join(dir, 'services'))).filter(isYaml)) {
    found.push([join(dir, 'services', name), 'service']);
  }
  const configName = LINT_CONFIG_NAMES.find((name) => topFiles.includes(name));
  const configFile = configName ? join(dir, configName) : undefined;

  // Reads run concurrently (the disk is not the bottleneck, waiting for it one file at a time is).
  const reads = await readConcurrently([...found.map(([file]) => file), ...(configFile ? [configFile] : [])]);
  const hash = createHash('sha256').update(`benteng-inputs\0${dir}\0`);
  reads.forEach((read, i) => {
    const file = i < found.length ? found[i]![0] : configFile!;
    hash.update(`${file}\0${read.ok ? `${read.text.length}\0${read.text}` : `unreadable\0${JSON.stringify(read.diagnostic)}`}\0`);
  });
  const files = found.map(([file, kind], i) => ({ file, kind, read: reads[i]! }));
  const lintConfig = configFile ? { file: configFile, read: reads[found.length]! } : undefined;
  return { dir, files, fingerprint: hash.digest('hex'), ...(lintConfig ? { lintConfig } : {}) };
}

/** Parsed files kept between runs (the build cache), by path and text. */
export interface ParsedFileCache {
  get(file: string, text: string): Promise<IndexedParse | undefined>;
  put(file: string, text: string, parsed: IndexedParse): Promise<void>;
  /** Called once all files are parsed. */
  flush(): Promise<void>;
}

export interface ParseOptions {
  /** Reuse files parsed by an earlier run, and keep the ones parsed now. */
  cache?: ParsedFileCache;
  /** Parse on worker threads when there are many files (default true). */
  workers?: boolean;
}

/** One file parsed; `source` is absent only when the file did not parse (then only its diagnostics count). */
type Parsed = { source?: PolicySource; data: unknown; diagnostics: Diagnostic[] };

function fromIndexed(file: string, text: string, parsed: IndexedParse): Parsed | undefined {
  if (parsed.data === undefined) return { data: undefined, diagnostics: parsed.diagnostics };
  if (!parsed.index) return undefined;
  return { source: new IndexedSource(file, text, parsed.index), data: parsed.data, diagnostics: parsed.diagnostics };
}

/**
 * Parses the files read by `readPolicyFiles`. Files come from the cache when it has them; the others
 * are parsed on this thread by the fast parser of plain policy YAML (`fast-yaml.ts`, the same data and
 * spans as `yaml`), and the few it declines by `yaml`: on worker threads when there are many
 * (`parse-workers.ts`), on this thread otherwise. Documents and diagnostics are in file order, whichever
 * way each file was parsed.
 */
export async function parsePolicyFiles(reads: PolicyReads, options: ParseOptions = {}): Promise<LoadedPolicies> {
  const { dir, files } = reads;
  const diagnostics: Diagnostic[] = [];
  if (files.length === 0) {
    diagnostics.push(
      diagnostic('no-policies', 'error', `no policy files in \`${dir}\`: expected hosts.yaml and services/*.yaml`),
    );
    return { dir, documents: [], diagnostics };
  }
  const { cache } = options;
  const parsed: Array<Parsed | undefined> = new Array(files.length);
  const pending: number[] = [];
  for (const [i, { file, read }] of files.entries()) {
    if (!read.ok) continue;
    const hit = cache ? await cache.get(file, read.text) : undefined;
    const fromCache = hit ? fromIndexed(file, read.text, hit) : undefined;
    if (fromCache) parsed[i] = fromCache;
    else pending.push(i);
  }

  // Files within the fast parser's subset are parsed here; only the files it declines go to `yaml`.
  const declined: number[] = [];
  for (const i of pending) {
    const { file, read } = files[i]!;
    const text = (read as { text: string }).text;
    const fast = fastParse(file, text);
    if (!fast) {
      declined.push(i);
      continue;
    }
    parsed[i] = { source: new IndexedSource(file, text, fast.index), data: fast.data, diagnostics: fast.diagnostics };
    if (cache) await cache.put(file, text, fast);
  }

  const texts = declined.map((i) => ({ file: files[i]!.file, text: (files[i]!.read as { text: string }).text }));
  const workers = options.workers === false ? 0 : workerCount(texts.length);
  const fromWorkers = workers > 0 ? await parseOnWorkers(texts, workers).catch(() => undefined) : undefined;
  for (const [n, i] of declined.entries()) {
    const { file, text } = texts[n]!;
    let result: IndexedParse | undefined = fromWorkers?.[n];
    let here: Parsed | undefined = result ? fromIndexed(file, text, result) : undefined;
    if (!here) {
      if (cache) {
        const both = parseIndexed(file, text);
        result = both.result;
        here = both.parsed;
      } else {
        here = ParsedYamlSource.parse(file, text);
        result = undefined;
      }
    }
    parsed[i] = here;
    if (cache && result?.index && result.data !== undefined) await cache.put(file, text, result);
  }

  await cache?.flush();

  const documents: LoadedDocument[] = [];
  for (const [i, { kind, read }] of files.entries()) {
    if (!read.ok) {
      diagnostics.push(read.diagnostic);
      continue;
    }
    const { source, data, diagnostics: found } = parsed[i]!;
    diagnostics.push(...found);
    if (data !== undefined && source) documents.push({ kind, source, data });
  }
  return { dir, documents, diagnostics };
}

/** Reads and parses the policies directory (`readPolicyFiles`, then `parsePolicyFiles`). */
export async function loadPolicies(dir: string, options: ParseOptions = {}): Promise<LoadedPolicies> {
  return parsePolicyFiles(await readPolicyFiles(dir), options);
}
