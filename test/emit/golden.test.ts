/**
 * Golden files: every example host's output for both backends is committed under test/golden/ and
 * compared byte for byte (UPDATE_GOLDEN=1 rewrites them). `generated/` must equal a fresh build.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFleet, compareGenerated } from '../../src/build/index.js';

const GOLDEN = 'test/golden';

describe('golden rulesets of the example fleet', async () => {
  const built = await buildFleet('policies', { allBackends: true });

  it('builds without errors, both backends for all 10 hosts', () => {
    expect(built.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(built.hosts).toHaveLength(10);
    expect(built.files.size).toBe(30);
  });

  for (const [name, text] of built.files) {
    it(`${name} equals test/golden/${name}`, async () => {
      const file = path.join(GOLDEN, name);
      if (process.env.UPDATE_GOLDEN === '1') await writeFile(file, text);
      expect(text).toBe(await readFile(file, 'utf8'));
    });
  }

  it('has no golden file without a host', async () => {
    const names = (await readdir(GOLDEN)).filter((n) => !n.startsWith('.'));
    expect(names.sort()).toEqual([...built.files.keys()].sort());
  });

  it('is deterministic: a second build gives the same bytes', async () => {
    const again = await buildFleet('policies', { allBackends: true });
    expect([...again.files]).toEqual([...built.files]);
  });
});

describe('generated/', () => {
  it('equals a fresh `benteng build` (nothing edited by hand, nothing stale)', async () => {
    const built = await buildFleet('policies');
    expect(await compareGenerated('generated', built.files)).toEqual({ missing: [], changed: [], stale: [] });
  });
});
