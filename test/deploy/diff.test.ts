import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/deploy/diff.js';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', { before: 'x', after: 'y' })).toBe('');
  });

  it('matches diff -u output', () => {
    const before = Array.from({ length: 12 }, (_, i) => `l${i}`).join('\n') + '\n';
    const after = before.replace('l1\n', 'L1\n').replace('l10\n', '');
    expect(unifiedDiff(before, after, { before: 'live', after: 'compiled' })).toBe(
      ['--- live', '+++ compiled', '@@ -1,5 +1,5 @@', ' l0', '-l1', '+L1', ' l2', ' l3', ' l4', '@@ -8,5 +8,4 @@', ' l7', ' l8', ' l9', '-l10', ' l11', ''].join('\n'),
    );
  });

  it('handles an empty side', () => {
    expect(unifiedDiff('', 'x\n', { before: 'a', after: 'b' })).toBe('--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n');
  });
});
