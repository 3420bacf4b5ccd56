import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLEET_SIZES, generateFleet, Prng, writeFleet } from '../../bench/fleet-generator.js';
import { lintPolicy } from '../../src/lint/index.js';
import { checkPolicies } from '../../src/pipeline.js';

const TODAY = '2026-11-22';
const DOCUMENTATION_V4 = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+(\/\d+)?$/;

describe('the benchmark fleet generator', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('is deterministic: the same spec gives the same files, byte for byte', () => {
    const a = generateFleet(FLEET_SIZES['1k']);
    const b = generateFleet(FLEET_SIZES['1k']);
    expect([...a.files.keys()]).toEqual([...b.files.keys()]);
    for (const [path, text] of a.files) expect(b.files.get(path), path).toBe(text);
    const other = generateFleet({ ...FLEET_SIZES['1k'], seed: FLEET_SIZES['1k'].seed + 1 });
    expect(other.files.get('networks.yaml')).not.toBe(a.files.get('networks.yaml'));
  });

  it('has a PRNG that repeats its sequence for a seed', () => {
    const draw = (seed: number) => {
      const rng = new Prng(seed);
      return Array.from({ length: 5 }, () => rng.int(0, 1_000_000));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('uses only documentation addresses', () => {
    const fleet = generateFleet(FLEET_SIZES['1k']);
    const text = [...fleet.files.values()].join('\n');
    for (const v4 of text.match(/\b\d+\.\d+\.\d+\.\d+(\/\d+)?\b/g) ?? []) expect(v4).toMatch(DOCUMENTATION_V4);
    for (const v6 of text.match(/"[0-9a-f]*:[0-9a-f:]*(\/\d+)?"/g) ?? []) expect(v6).toMatch(/^"2001:db8:/);
  });

  it('writes a fleet that validates, resolves to the expected rule count and lints without errors', async () => {
    const fleet = generateFleet(FLEET_SIZES['1k']);
    const dir = mkdtempSync(join(tmpdir(), 'benteng-bench-fleet-'));
    dirs.push(dir);
    await writeFleet(fleet, join(dir, 'policies'));
    const checked = await checkPolicies(join(dir, 'policies'), { today: TODAY });
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = checked.model!;
    const rules = model.hosts.reduce((n, h) => n + h.input.length + h.output.length, 0);
    expect(rules).toBe(fleet.expectedRules);
    expect(rules).toBeGreaterThanOrEqual(1_000);
    expect(rules).toBeLessThan(1_200);
    expect(model.hosts.map((h) => h.backend)).toEqual(expect.arrayContaining(['nftables', 'iptables']));

    const findings = lintPolicy({ policy: checked.policy!, model, sources: checked.sources });
    expect(findings.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
