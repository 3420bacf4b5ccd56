import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPT_COMMENT_MAX, NFT_COMMENT_MAX, ruleComment, sanitizeText, truncateBytes } from '../../src/emit/comment.js';
import { IPT_CHAIN_MAX, multiportGroups, serviceChainName } from '../../src/emit/iptables.js';
import { firstMatchCells } from '../../src/emit/partition.js';

describe('firstMatchCells', () => {
  it('gives each cell to the first rule that covers it', () => {
    const cells = firstMatchCells([
      { label: 'a', order: 0, addresses: [{ start: 10n, end: 19n }], values: [{ from: 22, to: 22 }] },
      { label: 'b', order: 1, addresses: [{ start: 0n, end: 99n }], values: [{ from: 1, to: 65535 }] },
    ]);
    const text = cells.map((c) => `${c.label} ${c.start}-${c.end} ${c.from}-${c.to}`);
    expect(text).toEqual(['a 10-19 22-22', 'b 0-9 22-22', 'b 0-99 1-21', 'b 0-99 23-65535', 'b 20-99 22-22']);
  });

  it('agrees with walking the rules in order, point by point (random small rule lists)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.nat(30), b: fc.nat(30), p: fc.nat(12), q: fc.nat(12) }), { maxLength: 6 }),
        (raw) => {
          const terms = raw.map((r, order) => ({
            label: order,
            order,
            addresses: [{ start: BigInt(Math.min(r.a, r.b)), end: BigInt(Math.max(r.a, r.b)) }],
            values: [{ from: Math.min(r.p, r.q), to: Math.max(r.p, r.q) }],
          }));
          const cells = firstMatchCells(terms);
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
    const cells = firstMatchCells([
      { label: 'a', order: 0, addresses: [{ start: 0n, end: 99n }], values: [{ from: 1, to: 100 }] },
      { label: 'b', order: 1, addresses: [{ start: 5n, end: 6n }], values: [{ from: 50, to: 60 }] },
    ]);
    expect(cells.map((c) => c.label)).toEqual(['a']);
  });

  it('is empty for no rules', () => {
    expect(firstMatchCells([])).toEqual([]);
  });
});

describe('comments', () => {
  it('strips quotes, backslashes, control and separator characters to one line', () => {
    expect(sanitizeText('a"b\\c\nd\u0000e\u202ef\u2028g\th')).toBe('a b c d e f g h');
    expect(sanitizeText("city's")).toBe('city\u2019s');
  });

  it('truncates on a character boundary within the byte limit', () => {
    const text = truncateBytes('日本語'.repeat(100), NFT_COMMENT_MAX);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(NFT_COMMENT_MAX);
    expect(text.endsWith('...')).toBe(true);
    expect(text).not.toContain('\ufffd');
    expect(Buffer.byteLength(ruleComment('svc/ingress/0', 'x'.repeat(500), IPT_COMMENT_MAX))).toBe(IPT_COMMENT_MAX);
  });
});

describe('iptables helpers', () => {
  it('splits multiport lists at 15 ports, ranges counting two', () => {
    const ports = Array.from({ length: 20 }, (_, i) => ({ from: 1000 + i * 10, to: 1000 + i * 10 }));
    expect(multiportGroups(ports).map((g) => g.length)).toEqual([15, 5]);
    const ranges = Array.from({ length: 8 }, (_, i) => ({ from: i * 10, to: i * 10 + 5 }));
    expect(multiportGroups(ranges).map((g) => g.length)).toEqual([7, 1]);
  });

  it('shortens long chain names deterministically within 28 characters', () => {
    const long = 'population-registry-with-a-very-long-name';
    const a = serviceChainName('OUT', long, 0);
    expect(a.length).toBeLessThanOrEqual(IPT_CHAIN_MAX);
    expect(a).toBe(serviceChainName('OUT', long, 0));
    expect(a).not.toBe(serviceChainName('OUT', `${long}x`, 0));
    expect(serviceChainName('IN', 'mail-relay', 0)).toBe('BENTENG-IN-mail-relay');
  });
});
