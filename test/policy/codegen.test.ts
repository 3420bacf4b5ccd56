import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_TYPES_FILE, generatePolicyTypes } from '../../src/policy/codegen.js';

describe('types generated from schemas/', () => {
  it('src/policy/types.generated.ts is up to date (run `npm run codegen` after changing a schema)', () => {
    expect(readFileSync(GENERATED_TYPES_FILE, 'utf8')).toBe(generatePolicyTypes());
  });

  it('a schema change changes the generated types', () => {
    const text = generatePolicyTypes();
    expect(text).toContain('export interface IngressRule');
    expect(text).toContain('from: Peers;');
    expect(text).toContain('backend: "nftables" | "iptables";');
  });
});
