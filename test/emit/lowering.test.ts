import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPT_COMMENT_MAX, NFT_COMMENT_MAX, ruleComment, sanitizeText, sanitizeUnicode, truncateBytes } from '../../src/emit/comment.js';
import { IPT_CHAIN_MAX, multiportGroups, serviceChainName } from '../../src/emit/iptables.js';

describe('comments', () => {
  it('strips quotes, backslashes, control and separator characters to one line', () => {
    expect(sanitizeText('a"b\\c\nd\u0000e\u202ef\u2028g\th')).toBe('a b c d e f g h');
    expect(sanitizeText("city's")).toBe('city\u2019s');
  });

  it('takes the plain-ASCII shortcut only where the full sanitiser would change nothing', () => {
    const alphabet = fc.constantFrom(...'aZ09 -_/:.,;!#$%&()[]{}~"\'`\\\t\n\u00e9\u0301\u202e\u2028\u00a0');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }), (chars) => {
        const text = chars.join('');
        expect(sanitizeText(text)).toBe(sanitizeUnicode(text));
      }),
      { numRuns: 3000 },
    );
    expect(sanitizeText('Calls the census API (v2) on port 8443')).toBe('Calls the census API (v2) on port 8443');
    expect(sanitizeText(' two  spaces ')).toBe('two spaces');
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
