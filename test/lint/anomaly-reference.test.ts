import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ChainAnalysis, type ChainAnomaly, analyzeChain } from '../../src/lint/anomaly/index.js';
import type { PortRange, ProtocolMatch, Verdict } from '../../src/model/index.js';
import type { AddressRange } from '../../src/net/address.js';
import { normalizeRanges } from '../../src/net/address-set.js';

interface TestRule {
  peers: { ipv4: AddressRange[]; ipv6: AddressRange[] };
  protocols: ProtocolMatch[];
  action: Verdict;
}

/** A box with real addresses and ports: `group` is `family * 5 + protocol class`, as in src. */
interface Box {
  group: number;
  aLo: bigint;
  aHi: bigint;
  pLo: number;
  pHi: number;
}

interface Candidate extends Box {
  rule: number;
}

function boxesOf(rule: TestRule): Box[] {
  const boxes: Box[] = [];
  for (const family of [0, 1]) {
    const ranges = family === 0 ? rule.peers.ipv4 : rule.peers.ipv6;
    for (const m of rule.protocols) {
      const pieces: Array<[number, number, number]> = [];
      if (m.protocol === 'any') pieces.push([0, 0, 65535], [1, 0, 65535], [family === 0 ? 2 : 3, 0, 255], [4, 0, 0]);
      else if (m.protocol === 'tcp' || m.protocol === 'udp') for (const r of m.ports) pieces.push([m.protocol === 'tcp' ? 0 : 1, r.from, r.to]);
      else if ((m.protocol === 'icmp') === (family === 0) && 'types' in m) {
        const cls = m.protocol === 'icmp' ? 2 : 3;
        if (m.types === 'any') pieces.push([cls, 0, 255]);
        else
          for (const t of m.types) {
            const last = pieces[pieces.length - 1];
            if (last && last[2] + 1 === t) last[2] = t;
            else pieces.push([cls, t, t]);
          }
      }
      for (const [cls, pLo, pHi] of pieces) for (const r of ranges) boxes.push({ group: family * 5 + cls, aLo: r.start, aHi: r.end, pLo, pHi });
    }
  }
  return boxes;
}

const overlaps = (a: Box, b: Box) => a.group === b.group && a.aLo <= b.aHi && b.aLo <= a.aHi && a.pLo <= b.pHi && b.pLo <= a.pHi;
const max = <T extends number | bigint>(a: T, b: T) => (a > b ? a : b);
const min = <T extends number | bigint>(a: T, b: T) => (a < b ? a : b);

class OutOfBudget extends Error {}

/**
 * The analysis as first written (src/lint/anomaly before the flat-array rewrite), with every rule
 * compared to every other instead of an index and real addresses instead of ranks: candidates in
 * chain order, each piece processed counted against the budget.
 */
function reference(rules: TestRule[], budget: number): ChainAnalysis {
  const own = rules.map(boxesOf);
  const all: Candidate[] = own.flatMap((boxes, rule) => boxes.map((b) => ({ ...b, rule })));
  const anomalies: ChainAnomaly[] = [];
  const incomplete: number[] = [];
  rules.forEach((rule, j) => {
    const mine = own[j]!;
    if (mine.length === 0) return;
    let spent = 0;
    const subtract = (pieces: Box[], cut: Box): { pieces: Box[]; hit: boolean } => {
      const out: Box[] = [];
      let hit = false;
      for (const p of pieces) {
        if (++spent > budget) throw new OutOfBudget();
        if (!overlaps(p, cut)) {
          out.push(p);
          continue;
        }
        hit = true;
        if (p.aLo < cut.aLo) out.push({ ...p, aHi: cut.aLo - 1n });
        if (p.aHi > cut.aHi) out.push({ ...p, aLo: cut.aHi + 1n });
        const middle = { group: p.group, aLo: max(p.aLo, cut.aLo), aHi: min(p.aHi, cut.aHi) };
        if (p.pLo < cut.pLo) out.push({ ...middle, pLo: p.pLo, pHi: cut.pLo - 1 });
        if (p.pHi > cut.pHi) out.push({ ...middle, pLo: cut.pHi + 1, pHi: p.pHi });
      }
      return { pieces: out, hit };
    };
    const others = all.filter((c) => c.rule !== j && mine.some((b) => overlaps(b, c)));
    const earlier = others.filter((c) => c.rule < j);
    const later = others.filter((c) => c.rule > j);
    try {
      let pieces = mine;
      const covering = new Set<number>();
      const conflicting = new Set<number>();
      for (const c of earlier) {
        if (pieces.length === 0) break;
        const step = subtract(pieces, c);
        pieces = step.pieces;
        if (!step.hit) continue;
        covering.add(c.rule);
        if (rules[c.rule]!.action !== rule.action) conflicting.add(c.rule);
      }
      if (pieces.length === 0) {
        if (conflicting.size > 0) anomalies.push({ kind: 'shadowed', rule: j, others: [...conflicting] });
        else anomalies.push({ kind: 'redundant', rule: j, others: [...covering], by: 'earlier' });
        return;
      }
      const correlated: number[] = [];
      const opposing = [...new Set(earlier.filter((c) => rules[c.rule]!.action !== rule.action).map((c) => c.rule))];
      for (const i of opposing) {
        let rest = mine;
        for (const c of earlier.filter((e) => e.rule === i)) rest = subtract(rest, c).pieces;
        if (rest.length === 0) continue;
        let theirs = own[i]!;
        for (const b of mine) theirs = subtract(theirs, b).pieces;
        if (theirs.length > 0) correlated.push(i);
      }
      if (correlated.length > 0) anomalies.push({ kind: 'correlated', rule: j, others: correlated });
      const coveringLater = new Set<number>();
      let conflict = false;
      for (const c of later) {
        if (pieces.length === 0) break;
        const step = subtract(pieces, c);
        if (!step.hit) continue;
        if (rules[c.rule]!.action !== rule.action) {
          conflict = true;
          break;
        }
        pieces = step.pieces;
        coveringLater.add(c.rule);
      }
      if (!conflict && pieces.length === 0) anomalies.push({ kind: 'redundant', rule: j, others: [...coveringLater], by: 'later' });
    } catch (error) {
      if (!(error instanceof OutOfBudget)) throw error;
      incomplete.push(j);
    }
  });
  return { anomalies, incomplete };
}

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;
/** Addresses from a small space (so rules overlap often), or any address. */
const range = fc
  .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 40 }))
  .map(([start, size]) => ({ start: BigInt(start), end: BigInt(start + size) }));
const v4 = fc.oneof({ weight: 1, arbitrary: fc.constant([{ start: 0n, end: V4_MAX }]) }, { weight: 12, arbitrary: fc.array(range, { minLength: 1, maxLength: 2 }) });
const v6 = fc.oneof(
  { weight: 6, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.constant([{ start: 0n, end: V6_MAX }]) },
  { weight: 3, arbitrary: fc.array(range, { maxLength: 1 }) },
);
const ports = fc
  .tuple(fc.integer({ min: 1, max: 400 }), fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 65535 }) }))
  .map(([from, size]): PortRange[] => [{ from, to: Math.min(65535, from + size) }]);
const protocols: fc.Arbitrary<ProtocolMatch[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<ProtocolMatch[]>([{ protocol: 'any' }]) },
  { weight: 1, arbitrary: fc.constant<ProtocolMatch[]>([{ protocol: 'icmp', types: [0, 8] }, { protocol: 'icmpv6', types: 'any' }]) },
  { weight: 14, arbitrary: fc.tuple(fc.constantFrom('tcp' as const, 'udp' as const), ports).map(([protocol, p]): ProtocolMatch[] => [{ protocol, ports: p }]) },
);
const rule: fc.Arbitrary<TestRule> = fc.record({
  peers: fc.record({ ipv4: v4.map(normalizeRanges), ipv6: v6.map(normalizeRanges) }),
  protocols,
  action: fc.constantFrom<Verdict>('accept', 'accept', 'accept', 'drop'),
});

describe('anomaly analysis against the reference implementation', () => {
  it('gives the same anomalies, others and incomplete rules on long random chains', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 400 }), fc.constantFrom(50, 500, 20_000), (rules, budget) => {
        expect(analyzeChain(rules, { budget })).toEqual(reference(rules, budget));
      }),
      { numRuns: 30, seed: 4 },
    );
  });

  it('gives the same results on a chain of a few thousand rules', () => {
    const [rules] = fc.sample(fc.array(rule, { minLength: 2000, maxLength: 2000 }), { numRuns: 1, seed: 42 });
    const expected = reference(rules!, 2_000);
    expect(expected.incomplete.length).toBeGreaterThan(0);
    expect(new Set(expected.anomalies.map((a) => a.kind))).toEqual(new Set(['shadowed', 'redundant', 'correlated']));
    expect(analyzeChain(rules!, { budget: 2_000 })).toEqual(expected);
  });
});
