/**
 * The parse workers (used from `dist/` for fleets of 2,000 files and more) give exactly what parsing on
 * the main thread gives: data, diagnostics and position indexes, in file order, for good and bad files.
 * Runs the compiled workers (`npm test` builds `dist/` first), since workers do not run from sources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseIndexed } from '../../src/load/parse-file.js';
import { REPO_ROOT } from '../support/policy-dir.js';

type ParseOnWorkers = (files: Array<{ file: string; text: string }>, workers: number) => Promise<unknown[] | undefined>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => join(dir, name));
}

describe('parse workers', () => {
  it('parse the example fleet and the bad-input corpus exactly as the main thread does, in order', async () => {
    const { parseOnWorkers } = (await import(pathToFileURL(join(REPO_ROOT, 'dist', 'load', 'parse-workers.js')).href)) as { parseOnWorkers: ParseOnWorkers };
    const files = [...yamlFiles(join(REPO_ROOT, 'policies')), ...yamlFiles(join(REPO_ROOT, 'test', 'corpus', 'bad'))].map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    expect(files.length).toBeGreaterThan(50);
    const viaWorkers = await parseOnWorkers(files, 2);
    expect(viaWorkers).toBeDefined();
    expect(viaWorkers!.length).toBe(files.length);
    files.forEach(({ file, text }, i) => expect({ file, ...(viaWorkers![i] as object) }).toEqual({ file, ...parseIndexed(file, text).result }));
  });
});
