/**
 * What `benteng build --check` found: each file where the output directory and a fresh build differ,
 * with both texts, so the CLI can show how they differ and scripts can count the changed lines. Reads
 * the output directory only (build owns it); writes nothing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GeneratedDiff } from './output-dir.js';

/** `changed`: content differs; `missing`: a fresh build would create it; `stale`: it would be removed. */
export type DriftStatus = 'changed' | 'missing' | 'stale';

export interface FileDrift {
  /** Path relative to the output directory. */
  file: string;
  status: DriftStatus;
  /** The file as it is in the output directory ('' when missing). */
  current: string;
  /** The file as a fresh build writes it ('' when stale). */
  expected: string;
}

async function textOf(outDir: string, name: string): Promise<string> {
  try {
    return await readFile(path.join(outDir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** The drifted files of `diff`, sorted by name, with their current and expected texts. */
export async function readDrift(outDir: string, files: ReadonlyMap<string, string>, diff: GeneratedDiff): Promise<FileDrift[]> {
  const entries: Array<[string, DriftStatus]> = [
    ...diff.changed.map((f): [string, DriftStatus] => [f, 'changed']),
    ...diff.missing.map((f): [string, DriftStatus] => [f, 'missing']),
    ...diff.stale.map((f): [string, DriftStatus] => [f, 'stale']),
  ];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: FileDrift[] = [];
  for (const [file, status] of entries) {
    out.push({
      file,
      status,
      current: status === 'missing' ? '' : await textOf(outDir, file),
      expected: status === 'stale' ? '' : (files.get(file) ?? ''),
    });
  }
  return out;
}

/**
 * The first `maxChanged` added or removed lines of a unified diff (with the headers and context
 * before them), and how many changed lines were left out.
 */
export function boundDiff(unified: string, maxChanged: number): { text: string; omitted: number } {
  const lines = unified.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const kept: string[] = [];
  let shown = 0;
  let omitted = 0;
  for (const [i, line] of lines.entries()) {
    const changed = i >= 2 && (line.startsWith('+') || line.startsWith('-'));
    if (shown >= maxChanged) {
      if (changed) omitted++;
      continue;
    }
    kept.push(line);
    if (changed) shown++;
  }
  return { text: kept.length > 0 ? `${kept.join('\n')}\n` : '', omitted };
}

/** Lines added and removed by a unified diff. */
export function countChanges(unified: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const [i, line] of unified.split('\n').entries()) {
    if (i < 2) continue;
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  return { added, removed };
}
