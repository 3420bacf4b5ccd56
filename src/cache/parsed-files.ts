/**
 * Parsed policy files in the build cache: each file's data and position index under a key of benteng's
 * code fingerprint, the file's path and its text, so an unchanged file is never parsed twice. All the
 * files of one run are kept in one pack (`parse/pack`), read once at the first lookup and replaced at
 * the end of the run by the entries that run used, so the pack does not grow with edits.
 */
import type { IndexedParse, ParsedFileCache, PositionIndex } from '../load/index.js';
import { codeFingerprint } from './keys.js';
import { type CacheStore, sha256 } from './store.js';

interface StoredIndex {
  nodes: string;
  keys: string[];
  lineStarts: string;
  root: number;
}

type Pack = Record<string, { data: unknown; index: StoredIndex }>;

const encode = (array: Int32Array): string => Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');

function decode(text: unknown): Int32Array | undefined {
  if (typeof text !== 'string') return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  const out = new Int32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** True when `value` survives JSON unchanged: plain objects and arrays, strings, finite numbers (not -0), booleans, null. */
function jsonSafe(value: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((v) => jsonSafe(v, depth + 1));
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Object.keys(value)) if (key === '__proto__' || !jsonSafe((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

export class ParsedFiles implements ParsedFileCache {
  private pack: Pack | undefined;
  private readonly used: Pack = {};
  private changed = false;

  constructor(private readonly store: CacheStore) {}

  async get(file: string, text: string): Promise<IndexedParse | undefined> {
    this.pack ??= (await this.store.get<Pack>('parse', 'pack')) ?? {};
    const key = this.key(file, text);
    const entry = Object.hasOwn(this.pack, key) ? this.pack[key] : undefined;
    if (!entry?.index || !Array.isArray(entry.index.keys) || typeof entry.index.root !== 'number') return undefined;
    const nodes = decode(entry.index.nodes);
    const lineStarts = decode(entry.index.lineStarts);
    if (!nodes || !lineStarts) return undefined;
    this.used[key] = entry;
    return { data: entry.data, diagnostics: [], index: { nodes, keys: entry.index.keys, lineStarts, root: entry.index.root } };
  }

  async put(file: string, text: string, parsed: IndexedParse): Promise<void> {
    if (!parsed.index || parsed.diagnostics.length > 0 || !jsonSafe(parsed.data)) return;
    const { nodes, keys, lineStarts, root } = parsed.index;
    this.used[this.key(file, text)] = { data: parsed.data, index: { nodes: encode(nodes), keys, lineStarts: encode(lineStarts), root } };
    this.changed = true;
  }

  async flush(): Promise<void> {
    const dropped = Object.keys(this.pack ?? {}).some((key) => !Object.hasOwn(this.used, key));
    if (this.changed || dropped) await this.store.put('parse', 'pack', this.used);
  }

  private key(file: string, text: string): string {
    return sha256(`parse\0${codeFingerprint()}\0${file}\0${text}`);
  }
}

/** The parsed-file cache of a cache store. */
export const parsedFileCache = (store: CacheStore): ParsedFiles => new ParsedFiles(store);

export type { PositionIndex };
