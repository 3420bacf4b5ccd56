import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrRange, formatAddress, parseAddress, parseCidr, rangeToCidrs } from '../../src/net/address.js';
import { containsAddress, normalizeRanges, subtractSets, unionSets, type AddressSet } from '../../src/net/address-set.js';
import { parsePortSpec } from '../../src/net/port.js';
import { parsePeer } from '../../src/net/peer.js';

describe('address parsing', () => {
  it.each([
    ['192.0.2.1', true],
    ['2001:db8::1', true],
    ['::ffff:192.0.2.1', true],
    ['10.0.0.300', false],
    ['010.0.0.1', false],
    ['1.2.3', false],
    ['fe80::1%eth0', false],
    ['2001:db8:::1', false],
  ])('%s valid=%s', (text, valid) => {
    expect(parseAddress(text).ok).toBe(valid);
  });

  it.each([
    ['10.0.0.1/33', 'prefix length /33 is out of range 0-32 for IPv4'],
    ['::1/129', 'prefix length /129 is out of range 0-128 for IPv6'],
    ['10.0.0.0/x', 'prefix length `x` in `10.0.0.0/x` is not a number'],
  ])('%s is refused: %s', (text, reason) => {
    const result = parseCidr(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe(reason);
  });

  it('marks host bits and clears them', () => {
    const result = parseCidr('10.0.0.1/8');
    expect(result.ok && result.value.hostBitsSet).toBe(true);
    expect(result.ok && formatAddress('ipv4', result.value.network)).toBe('10.0.0.0');
  });

  it('rangeToCidrs covers exactly the range (property)', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 32 - 1), fc.nat(2 ** 32 - 1), (a, b) => {
        const range = { start: BigInt(Math.min(a, b)), end: BigInt(Math.max(a, b)) };
        const blocks = rangeToCidrs('ipv4', range).map((c) => {
          const parsed = parseCidr(c);
          if (!parsed.ok) throw new Error(c);
          return cidrRange(parsed.value);
        });
        expect(normalizeRanges(blocks)).toEqual([range]);
        expect(blocks.length).toBeLessThanOrEqual(62);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('address sets', () => {
  const set = (ipv4: Array<[number, number]>): AddressSet => ({
    ipv4: normalizeRanges(ipv4.map(([s, e]) => ({ start: BigInt(s), end: BigInt(e) }))),
    ipv6: [],
  });

  it('subtraction agrees with a point-by-point model (property)', () => {
    const ranges = fc.array(fc.tuple(fc.nat(63), fc.nat(63)).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]), { maxLength: 5 });
    fc.assert(
      fc.property(ranges, ranges, (a, b) => {
        const difference = subtractSets(set(a), set(b));
        const union = unionSets(set(a), set(b));
        for (let x = 0; x < 64; x++) {
          const inA = containsAddress(set(a), 'ipv4', BigInt(x));
          const inB = containsAddress(set(b), 'ipv4', BigInt(x));
          expect(containsAddress(difference, 'ipv4', BigInt(x))).toBe(inA && !inB);
          expect(containsAddress(union, 'ipv4', BigInt(x))).toBe(inA || inB);
        }
      }),
      { seed: 11, numRuns: 200 },
    );
  });
});

describe('port and peer grammar', () => {
  it.each([
    ['tcp/443', { kind: 'transport', protocol: 'tcp', from: 443, to: 443 }],
    ['udp/1000-2000', { kind: 'transport', protocol: 'udp', from: 1000, to: 2000 }],
    ['tcp', { kind: 'transport', protocol: 'tcp', from: 1, to: 65535 }],
    ['icmpv6/packet-too-big', { kind: 'icmp', protocol: 'icmpv6', type: 2 }],
    ['https', { kind: 'name', name: 'https' }],
  ])('%s', (text, value) => {
    expect(parsePortSpec(text)).toEqual({ ok: true, value });
  });

  it.each(['tcp/0', 'tcp/65536', 'tcp/20-10', 'sctp/1', 'tcp/http', 'icmp/nope'])('%s is refused', (text) => {
    expect(parsePortSpec(text).ok).toBe(false);
  });

  it.each([
    ['any', 'any'],
    ['service:permit-db', 'service'],
    ['host:web-01', 'host'],
    ['network:admin', 'network'],
    ['admin', 'name'],
    ['2001:db8::/32', 'cidr'],
  ])('%s is a %s peer', (text, kind) => {
    const parsed = parsePeer(text);
    expect(parsed.ok && parsed.value.kind).toBe(kind);
  });
});
