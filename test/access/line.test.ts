import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstMatchLine, holdsValue, type LineTerm, termsMeeting } from '../../src/access/line.js';
import type { ResolvedRule } from '../../src/model/index.js';
import { normalizeRanges } from '../../src/net/address-set.js';

/** Small address and value spaces, so every point can be walked. */
const ADDRESSES = 40;
const VALUES = 90;

const span = (max: number) => fc.tuple(fc.nat(max), fc.nat(max)).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) }));

/** Terms with sorted, non-adjacent address and value ranges (what classTerms gives), labelled by index. */
const termsArb = fc.array(fc.tuple(fc.array(span(ADDRESSES - 1), { minLength: 1, maxLength: 3 }), fc.array(span(VALUES - 1), { minLength: 1, maxLength: 3 })), { maxLength: 12 }).map((list) =>
  list.map(([addresses, values], index): LineTerm => {
    const merged: Array<{ from: number; to: number }> = [];
    for (const v of [...values].sort((a, b) => a.from - b.from)) {
      const last = merged[merged.length - 1];
      if (last && v.from <= last.to + 1) last.to = Math.max(last.to, v.to);
      else merged.push({ ...v });
    }
    return {
      label: { id: `r${index}`, action: index % 2 === 0 ? 'accept' : 'drop' } as ResolvedRule,
      addresses: normalizeRanges(addresses.map((a) => ({ start: BigInt(a.from), end: BigInt(a.to) }))),
      values: merged,
    };
  }),
);

describe('first match along one line (line.ts)', () => {
  it('decides every address as the first term holding it does, in maximal sorted pieces', () => {
    fc.assert(
      fc.property(termsArb, (terms) => {
        const pieces = firstMatchLine(terms);
        for (let a = 0n; a < BigInt(ADDRESSES); a++) {
          const expected = terms.find((t) => t.addresses.some((r) => r.start <= a && a <= r.end))?.label;
          expect(pieces.find((p) => p.start <= a && a <= p.end)?.label).toBe(expected);
        }
        for (let i = 1; i < pieces.length; i++) {
          expect(pieces[i - 1]!.end < pieces[i]!.start).toBe(true);
          if (pieces[i - 1]!.end + 1n === pieces[i]!.start) expect(pieces[i - 1]!.label).not.toBe(pieces[i]!.label);
        }
      }),
    );
  });

  it('finds the terms meeting a value range in chain order, scanned or indexed', () => {
    fc.assert(
      fc.property(termsArb, fc.array(span(VALUES - 1), { minLength: 12, maxLength: 20 }), (terms, questions) => {
        for (const q of questions) {
          expect(termsMeeting(terms, q.from, q.to)).toEqual(terms.filter((t) => t.values.some((v) => v.to >= q.from && v.from <= q.to)));
          expect(termsMeeting(terms, q.from, q.from)).toEqual(terms.filter((t) => holdsValue(t, q.from)));
        }
      }),
    );
  });
});
