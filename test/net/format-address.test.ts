import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../src/net/address.js';

describe('formatAddress', () => {
  it('prints IPv6 as ipaddr.js does (RFC 5952), on random addresses rich in zero groups', () => {
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 65535 }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
        const bytes = groups.flatMap((g) => [g >> 8, g & 255]);
        expect(formatAddress('ipv6', value)).toBe(ipaddr.fromByteArray(bytes).toString());
      }),
      { seed: 5, numRuns: 5000 },
    );
  });

  it.each([
    [0n, '0.0.0.0'],
    [0xc0000201n, '192.0.2.1'],
    [0xffffffffn, '255.255.255.255'],
  ])('IPv4 %s is %s', (value, text) => {
    expect(formatAddress('ipv4', value)).toBe(text);
  });
});
