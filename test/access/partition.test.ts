import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LayerRegion, type LayerTerm, layeredPartition, partition } from '../../src/access/layers.js';
import { sweepFirstMatch } from '../../src/access/sweep.js';
import { normalizeRanges } from '../../src/net/address-set.js';

/** Random terms over a 0..31 × 0..31 grid: each a few address ranges × a few value ranges. */
const rangeArb = (max: number) => fc.tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max })).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) }));
const termArb = fc.record({
  addresses: fc.array(rangeArb(31), { minLength: 1, maxLength: 3 }),
  values: fc.array(rangeArb(31), { minLength: 1, maxLength: 3 }),
});

function toTerms(raw: Array<{ addresses: Array<{ from: number; to: number }>; values: Array<{ from: number; to: number }> }>): LayerTerm<number>[] {
  return raw.map((t, label) => ({
    label,
    addresses: normalizeRanges(t.addresses.map((r) => ({ start: BigInt(r.from), end: BigInt(r.to) }))),
    values: mergeValues(t.values),
  }));
}

function mergeValues(values: Array<{ from: number; to: number }>): Array<{ from: number; to: number }> {
  const sorted = [...values].sort((a, b) => a.from - b.from);
  const out: Array<{ from: number; to: number }> = [];
  for (const v of sorted) {
    const last = out[out.length - 1];
    if (last && v.from <= last.to + 1) last.to = Math.max(last.to, v.to);
    else out.push({ ...v });
  }
  return out;
}

/** First term covering the point, by walking the terms in order: the definition of first match. */
function firstMatch(terms: readonly LayerTerm<number>[], a: number, v: number): number | undefined {
  return terms.find((t) => t.addresses.some((r) => r.start <= BigInt(a) && BigInt(a) <= r.end) && t.values.some((r) => r.from <= v && v <= r.to))?.label;
}

/** The label of the first layer's region holding the point; 'overlap' when a layer holds two. */
function regionAt(layers: readonly LayerRegion<number>[][], a: number, v: number): number | 'overlap' | undefined {
  for (const layer of layers) {
    const hits = layer.filter((r) => r.start <= BigInt(a) && BigInt(a) <= r.end && r.from <= v && v <= r.to);
    if (hits.length > 1) return 'overlap';
    if (hits.length === 1) return hits[0]!.label;
  }
  return undefined;
}

function grid(decide: (a: number, v: number) => number | 'overlap' | undefined): Array<number | 'overlap' | undefined> {
  const out: Array<number | 'overlap' | undefined> = [];
  for (let a = 0; a < 32; a++) for (let v = 0; v < 32; v++) out.push(decide(a, v));
  return out;
}

describe('first-match partition (sweep)', () => {
  it('decides every point as walking the terms in order, with disjoint regions', () => {
    fc.assert(
      fc.property(fc.array(termArb, { maxLength: 12 }), (raw) => {
        const terms = toTerms(raw);
        const regions = partition(terms)!;
        expect(grid((a, v) => regionAt([regions], a, v))).toEqual(grid((a, v) => firstMatch(terms, a, v)));
      }),
      { numRuns: 300 },
    );
  });

  it('ordered layers decide the same when the budget forces splits', () => {
    fc.assert(
      fc.property(fc.array(termArb, { minLength: 2, maxLength: 16 }), (raw) => {
        const terms = toTerms(raw);
        const layers = layeredPartition(terms, { perTerm: 1, floor: 2 });
        expect(grid((a, v) => regionAt(layers, a, v))).toEqual(grid((a, v) => firstMatch(terms, a, v)));
      }),
      { numRuns: 200 },
    );
  });

  it('tracks the runner-up: the second term covering each point', () => {
    fc.assert(
      fc.property(fc.array(termArb, { maxLength: 12 }), (raw) => {
        // Leaves are the grid's addresses themselves (0..31), so a leaf interval is an address range.
        const sweepTerms = raw.map((t) => {
          const addresses = normalizeRanges(t.addresses.map((r) => ({ start: BigInt(r.from), end: BigInt(r.to) })));
          return { leaves: addresses.flatMap((r) => [Number(r.start), Number(r.end)]), values: mergeValues(t.values) };
        });
        const boxes = sweepFirstMatch(32, sweepTerms, { runnerUp: true })!;
        const covering = (a: number, v: number) =>
          sweepTerms.flatMap((t, i) => (t.leaves.some((x, k) => k % 2 === 0 && x <= a && a <= t.leaves[k + 1]!) && t.values.some((r) => r.from <= v && v <= r.to) ? [i] : []));
        const got: string[] = [];
        const want: string[] = [];
        for (let a = 0; a < 32; a++) {
          for (let v = 0; v < 32; v++) {
            const hits = boxes.filter((b) => b.lo <= a && a <= b.hi && b.from <= v && v <= b.to);
            got.push(hits.map((b) => `${b.term}/${b.second}`).join('|'));
            const c = covering(a, v);
            want.push(c.length === 0 ? '' : `${c[0]}/${c[1] ?? -1}`);
          }
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts a wide term only around the narrow term that precedes it', () => {
    const terms: LayerTerm<string>[] = [
      { label: 'narrow', addresses: [{ start: 10n, end: 10n }], values: [{ from: 8080, to: 8080 }] },
      { label: 'other-port', addresses: [{ start: 200n, end: 200n }], values: [{ from: 5000, to: 5000 }] },
      { label: 'wide', addresses: [{ start: 0n, end: 1000n }], values: [{ from: 1024, to: 65535 }] },
    ];
    const regions = partition(terms)!;
    expect(regions.filter((r) => r.label === 'wide').map((r) => `${r.start}-${r.end}:${r.from}-${r.to}`)).toEqual([
      '0-9:1024-65535',
      '10-10:1024-8079',
      '10-10:8081-65535',
      '11-199:1024-65535',
      '200-200:1024-4999',
      '200-200:5001-65535',
      '201-1000:1024-65535',
    ]);
  });

  it('returns undefined past its budget and splits into layers that each stay within it', () => {
    // Ten rows (narrow addresses, every value) before ten columns (every address, narrow values):
    // every column is cut by every row, so the single partition is quadratic.
    const rows: LayerTerm<number>[] = Array.from({ length: 10 }, (_, i) => ({ label: i, addresses: [{ start: BigInt(10 * i), end: BigInt(10 * i + 5) }], values: [{ from: 0, to: 1000 }] }));
    const columns: LayerTerm<number>[] = Array.from({ length: 10 }, (_, j) => ({ label: 10 + j, addresses: [{ start: 0n, end: 100n }], values: [{ from: 10 * j, to: 10 * j + 5 }] }));
    const terms = [...rows, ...columns];
    expect(partition(terms)!.length).toBeGreaterThan(100);
    expect(partition(terms, 5)).toBeUndefined();
    const layers = layeredPartition(terms, { perTerm: 2, floor: 4 });
    expect(layers.map((l) => l.length)).toEqual([10, 10]);
  });
});

describe('partition: examples', () => {
  it('gives each cell to the first rule that covers it', () => {
    const cells = partition([
      { label: 'a', addresses: [{ start: 10n, end: 19n }], values: [{ from: 22, to: 22 }] },
      { label: 'b', addresses: [{ start: 0n, end: 99n }], values: [{ from: 1, to: 65535 }] },
    ])!;
    const text = cells.map((c) => `${c.label} ${c.start}-${c.end} ${c.from}-${c.to}`);
    expect(text).toEqual(['a 10-19 22-22', 'b 0-9 1-65535', 'b 10-19 1-21', 'b 10-19 23-65535', 'b 20-99 1-65535']);
  });

  it('agrees with walking the rules in order, point by point (random small rule lists)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.nat(30), b: fc.nat(30), p: fc.nat(12), q: fc.nat(12) }), { maxLength: 6 }),
        (raw) => {
          const terms = raw.map((r, order) => ({
            label: order,
            addresses: [{ start: BigInt(Math.min(r.a, r.b)), end: BigInt(Math.max(r.a, r.b)) }],
            values: [{ from: Math.min(r.p, r.q), to: Math.max(r.p, r.q) }],
          }));
          const cells = partition(terms)!;
          for (let x = 0n; x <= 31n; x++) {
            for (let v = 0; v <= 13; v++) {
              const expected = terms.find((t) => t.addresses[0]!.start <= x && x <= t.addresses[0]!.end && t.values[0]!.from <= v && v <= t.values[0]!.to)?.label;
              const hits = cells.filter((c) => c.start <= x && x <= c.end && c.from <= v && v <= c.to);
              expect(hits.length).toBeLessThanOrEqual(1);
              expect(hits[0]?.label).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('drops rules shadowed entirely by earlier ones', () => {
    const cells = partition([
      { label: 'a', addresses: [{ start: 0n, end: 99n }], values: [{ from: 1, to: 100 }] },
      { label: 'b', addresses: [{ start: 5n, end: 6n }], values: [{ from: 50, to: 60 }] },
    ])!;
    expect(cells.map((c) => c.label)).toEqual(['a']);
  });

  it('is empty for no rules', () => {
    expect(partition([])).toEqual([]);
  });
});

