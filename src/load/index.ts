import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Diagnostic, diagnostic } from '../diagnostics/diagnostic.js';
import { readPolicySource, type SourceRead } from './source-file.js';
import { YamlSource } from './yaml-source.js';

export { YamlSource, type PathSegment } from './yaml-source.js';

/** The kinds of policy file, each validated by `schemas/<kind>.schema.json`. */
export type DocumentKind = 'hosts' | 'networks' | 'ports' | 'defaults' | 'blocklist' | 'service';

export interface LoadedDocument {
  kind: DocumentKind;
  source: YamlSource;
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

/**
 * Reads the policies directory: `hosts.yaml`, `networks.yaml`, `ports.yaml`, `defaults.yaml`,
 * `blocklist.yaml` and `services/*.yaml`, in a stable order. The only stage that reads policy files.
 */
export async function loadPolicies(dir: string): Promise<LoadedPolicies> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new PolicyDirectoryError(`policies directory \`${dir}\` does not exist or is not a directory`);

  const topFiles = await listDirectory(dir);
  const files: Array<[string, DocumentKind]> = [];
  for (const [base, kind] of TOP_LEVEL) {
    const name = topFiles.find((f) => f === `${base}.yaml`) ?? topFiles.find((f) => f === `${base}.yml`);
    if (name) files.push([join(dir, name), kind]);
  }
  for (const name of (await listDirectory(join(dir, 'services'))).filter(isYaml)) {
    files.push([join(dir, 'services', name), 'service']);
  }

  const diagnostics: Diagnostic[] = [];
  if (files.length === 0) {
    diagnostics.push(
      diagnostic('no-policies', 'error', `no policy files in \`${dir}\`: expected hosts.yaml and services/*.yaml`),
    );
    return { dir, documents: [], diagnostics };
  }

  // Reads run concurrently (the disk is not the bottleneck, waiting for it one file at a time is);
  // parsing stays in file order so output and diagnostics are deterministic.
  const reads = await readConcurrently(files.map(([file]) => file));
  const documents: LoadedDocument[] = [];
  files.forEach(([file, kind], i) => {
    const read = reads[i]!;
    if (!read.ok) {
      diagnostics.push(read.diagnostic);
      return;
    }
    const parsed = YamlSource.parse(file, read.text);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.data !== undefined) documents.push({ kind, source: parsed.source, data: parsed.data });
  });
  return { dir, documents, diagnostics };
}
