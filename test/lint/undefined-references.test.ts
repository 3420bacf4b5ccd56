import { describe, expect, it } from 'vitest';
import { checkFixture, positions, service } from './support.js';

describe('references to undefined names (resolve stage, not duplicated by lint)', () => {
  it.each([
    ['an unknown network', service('a', 'ingress:\n  - from: offfice\n    ports: [https]\n'), 'services/a.yaml:6:11'],
    ['an unknown port set', service('a', 'ingress:\n  - from: office\n    ports: [http]\n'), 'services/a.yaml:7:13'],
    ['an unknown service', service('a', 'egress:\n  - to: service:nope\n    ports: [https]\n'), 'services/a.yaml:6:9'],
  ])('%s is one unknown-reference error and no lint finding', async (_, text, where) => {
    const { result, dir } = await checkFixture({ 'services/a.yaml': text });
    expect(positions(result.diagnostics, dir, 'unknown-reference')).toEqual([where]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['unknown-reference']);
  });
});
