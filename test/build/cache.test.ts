/**
 * The build cache gives byte-for-byte the results of an uncached run. Each kind of policy file of the
 * example fleet is edited in turn; after each edit the cached `lint` (checkPolicies with the cache) and
 * the cached `build` (first run: per-host cache, second run: replayed whole) are compared with an
 * uncached build: every output file, the summary, and the diagnostics as the pretty and JSON reporters
 * print them. A corrupted cache and a cache that cannot be written change nothing either. Files
 * parsed by an earlier run (or a parse worker) give the same spans as a fresh parse.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildToDirectory, type BuildToDirectoryResult } from '../../src/build/index.js';
import { CACHE_DIR, CacheStore } from '../../src/cache/store.js';
import { parseIndexed } from '../../src/load/parse-file.js';
import { IndexedSource } from '../../src/load/position-index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { REPORTERS } from '../../src/report/index.js';

// This file tests the cache where users get it, inside the policies directory (the suite sends every
// other test's cache to a temporary BENTENG_CACHE_DIR: vitest.config.ts).
delete process.env.BENTENG_CACHE_DIR;

const TODAY = '2026-11-23';
const chalk = new Chalk({ level: 0 });
let root: string;
let policies: string;

async function directoryTexts(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}

function printed(result: { diagnostics: BuildToDirectoryResult['diagnostics']; sources: Map<string, string> }): string {
  return `${REPORTERS.pretty!(result.diagnostics, { chalk, sources: result.sources })}\n${REPORTERS.json!(result.diagnostics, { chalk, sources: result.sources })}`;
}

interface Outcome {
  files: Record<string, string>;
  summary: string;
  diagnostics: string;
  hosts: BuildToDirectoryResult['hosts'];
}

async function build(out: string, cache: boolean): Promise<Outcome> {
  await rm(join(root, out), { recursive: true, force: true });
  const result = await buildToDirectory(policies, join(root, out), { today: TODAY, cache });
  expect(result.warnings).toEqual([]);
  return { files: result.diff ? await directoryTexts(join(root, out)) : {}, summary: JSON.stringify(result.summary), diagnostics: printed(result), hosts: result.hosts };
}

/** Cached lint, cached build twice, uncached build: everything cached equals the uncached run. */
async function compareWithUncached(): Promise<{ uncached: Outcome; incremental: Outcome; lint: string }> {
  const lint = printed(await checkPolicies(policies, { today: TODAY, cache: new CacheStore(policies) }));
  const incremental = await build('out-incremental', true);
  const replayed = await build('out-replayed', true);
  const uncached = await build('out-uncached', false);
  expect(replayed.hosts.emitted).toBe(0);
  for (const cached of [incremental, replayed]) {
    expect(cached.files).toEqual(uncached.files);
    expect(cached.summary).toBe(uncached.summary);
    expect(cached.diagnostics).toBe(uncached.diagnostics);
  }
  expect(lint).toBe(uncached.diagnostics);
  return { uncached, incremental, lint };
}

async function edit(file: string, from: string, to: string): Promise<void> {
  const path = join(policies, file);
  const text = await readFile(path, 'utf8');
  expect(text).toContain(from);
  await writeFile(path, text.replace(from, to));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'benteng-cache-'));
  policies = join(root, 'policies');
});

/** Each test starts from a fresh copy of the example fleet and no cache. */
beforeEach(async () => {
  await rm(policies, { recursive: true, force: true });
  await cp('policies', policies, { recursive: true, filter: (source) => !source.includes(CACHE_DIR) });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('build cache', () => {
  it('gives the uncached results after editing each kind of policy file', async () => {
    let previous = await compareWithUncached();
    const hostCount = previous.uncached.hosts.emitted;
    expect(hostCount).toBeGreaterThan(1);

    const edits: Array<[label: string, file: string, from: string, to: string]> = [
      ['hosts', 'hosts.yaml', '203.0.113.11', '203.0.113.12'],
      ['networks', 'networks.yaml', '203.0.113.240/29', '203.0.113.232/29'],
      ['ports', 'ports.yaml', 'http: [tcp/80]', 'http: [tcp/80, tcp/8080]'],
      ['defaults', 'defaults.yaml', 'ratePerMinute: 600', 'ratePerMinute: 300'],
      ['one service', 'services/payroll.yaml', 'ports: [smtp]', 'ports: [smtp, tcp/1000-9000]'],
      ['blocklist', 'blocklist.yaml', '203.0.113.66', '203.0.113.67'],
      // The service edit's wide range is a `wide-port-range` warning; lowered here to info.
      ['benteng.yaml', 'benteng.yaml', 'wide-port-range: { options', 'wide-port-range: { severity: info, options'],
      ['an error', 'services/payroll.yaml', 'to: bank-gateway', 'to: no-such-network'],
    ];
    for (const [label, file, from, to] of edits) {
      await edit(file, from, to);
      const now = await compareWithUncached();
      // Every edit changes the output or the findings, so the comparison above had something to catch.
      const changed = JSON.stringify(now.uncached.files) !== JSON.stringify(previous.uncached.files) || now.lint !== previous.lint;
      expect(changed, label).toBe(true);
      if (label === 'one service') {
        // Only the service's host (and hosts whose rules name it) are emitted again.
        expect(now.incremental.hosts.emitted).toBeGreaterThanOrEqual(1);
        expect(now.incremental.hosts.emitted).toBeLessThan(hostCount);
        expect(now.incremental.hosts.cached + now.incremental.hosts.emitted).toBe(hostCount);
      }
      previous = now;
    }
    expect(previous.uncached.files).toEqual({});
    expect(previous.lint).toContain('no-such-network');
  });

  it('keeps one build: entries of earlier builds are pruned', async () => {
    await build('out-first', true);
    await edit('services/payroll.yaml', 'ports: [smtp]', 'ports: [smtp, tcp/587]');
    const second = await build('out-second', true);
    expect(second.hosts.cached).toBeGreaterThan(0);
    const count = async (kind: string) =>
      (await readdir(join(policies, CACHE_DIR, 'v1', kind), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
    expect(await count('check')).toBe(1);
    expect(await count('build')).toBe(1);
    expect(await count('host')).toBe(second.hosts.cached + second.hosts.emitted);
    expect(await count('blobs')).toBe(Object.keys(second.files).length);
  });

  it('ignores corrupted cache files', async () => {
    const clean = await build('out-clean', false);
    expect(Object.keys(clean.files).length).toBeGreaterThan(1);
    await build('out-warm', true);
    const cacheRoot = join(policies, CACHE_DIR);
    const files = (await readdir(cacheRoot, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(3);
    for (const [i, entry] of files.entries()) {
      const path = join(entry.parentPath, entry.name);
      const text = await readFile(path, 'utf8');
      // Truncate some, flip one character in the others: both must read as misses.
      await writeFile(path, i % 2 === 0 ? text.slice(0, Math.floor(text.length / 2)) : text.replace(/.$/s, (c) => (c === 'x' ? 'y' : 'x')));
    }
    const after = await build('out-corrupted', true);
    expect(after.hosts.cached).toBe(0);
    expect(after.files).toEqual(clean.files);
    expect(after.diagnostics).toBe(clean.diagnostics);
  });

  it('builds without the cache, with a warning, when the cache cannot be written', async () => {
    const clean = await build('out-clean', false);
    expect(Object.keys(clean.files).length).toBeGreaterThan(1);
    await writeFile(join(policies, CACHE_DIR), 'not a directory\n');
    try {
      const result = await buildToDirectory(policies, join(root, 'out-unwritable'), { today: TODAY, cache: true });
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toMatch(/cannot write the build cache/);
      expect(await directoryTexts(join(root, 'out-unwritable'))).toEqual(clean.files);
      expect(printed(result)).toBe(clean.diagnostics);
    } finally {
      await rm(join(policies, CACHE_DIR), { force: true });
    }
  });
});

/** Every path into `data`, and for each a missing key and index below it. */
function pathsOf(data: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out = [prefix, [...prefix, 'no-such-key'], [...prefix, 999]];
  if (Array.isArray(data)) data.forEach((item, i) => out.push(...pathsOf(item, [...prefix, i])));
  else if (data && typeof data === 'object') for (const [key, value] of Object.entries(data)) out.push(...pathsOf(value, [...prefix, key]));
  return out;
}

describe('parsed-file cache', () => {
  it('gives the spans of a fresh parse for every path of every file', async () => {
    const files = [
      ...(await readdir('policies')).filter((n) => n.endsWith('.yaml')).map((n) => join('policies', n)),
      ...(await readdir('policies/services')).map((n) => join('policies/services', n)),
      ...(await readdir('test/corpus/bad')).map((n) => join('test/corpus/bad', n)),
    ];
    let indexed = 0;
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const { parsed, result } = parseIndexed(file, text);
      if (!result.index) continue;
      indexed++;
      const source = new IndexedSource(file, text, result.index);
      for (const path of pathsOf(parsed.data)) {
        for (const part of ['key', 'value'] as const) expect(source.spanOf(path, part), `${file} ${JSON.stringify(path)} ${part}`).toEqual(parsed.source.spanOf(path, part));
      }
      for (const offset of [0, 1, Math.floor(text.length / 2), text.length - 1, text.length]) expect(source.positionAt(offset)).toEqual(parsed.source.positionAt(offset));
    }
    expect(indexed).toBeGreaterThan(15);
  });
});

describe('BENTENG_CACHE_DIR', () => {
  it('puts the cache of a policies directory in a folder of its own there, and nothing inside the policies', async () => {
    const base = await mkdtemp(join(tmpdir(), 'benteng-cache-base-'));
    const dir = await mkdtemp(join(tmpdir(), 'benteng-cache-policies-'));
    try {
      await cp('policies', dir, { recursive: true, filter: (source) => !source.includes(CACHE_DIR) });
      const first = await checkPolicies(dir, { today: TODAY, cache: new CacheStore(dir, base) });
      const again = await checkPolicies(dir, { today: TODAY, cache: new CacheStore(dir, base) });
      expect(again.diagnostics).toEqual(first.diagnostics);
      expect((await readdir(dir)).includes(CACHE_DIR)).toBe(false);
      const folders = await readdir(base);
      expect(folders).toHaveLength(1);
      expect((await readdir(join(base, folders[0]!, 'v1'), { recursive: true })).length).toBeGreaterThan(0);
    } finally {
      await rm(base, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
