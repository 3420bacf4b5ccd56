import { describe, expect, it } from 'vitest';
import { checkFixture } from './support.js';

describe('lint fixture base', () => {
  it('is clean', async () => {
    const { result } = await checkFixture({});
    expect(result.diagnostics).toEqual([]);
  });
});
