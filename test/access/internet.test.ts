import { describe, expect, it } from 'vitest';
import { coversInternet, INTERNET_SHARE } from '../../src/access/internet.js';
import { normalizeRanges, subtractSets } from '../../src/net/address-set.js';
import { type AddressRange, cidrRange, parseCidr } from '../../src/net/address.js';

const ranges = (...cidrs: string[]): AddressRange[] =>
  normalizeRanges(
    cidrs.map((c) => {
      const parsed = parseCidr(c);
      if (!parsed.ok) throw new Error(c);
      return cidrRange(parsed.value);
    }),
  );
const minus = (family: 'ipv4' | 'ipv6', from: AddressRange[], cut: AddressRange[]) =>
  subtractSets({ ipv4: [], ipv6: [], [family]: from }, { ipv4: [], ipv6: [], [family]: cut })[family];

describe('the internet (share of public space)', () => {
  it('counts the whole space, two halves, and any minus a sliver', () => {
    expect(INTERNET_SHARE).toBe(0.99);
    expect(coversInternet(ranges('0.0.0.0/0'), 'ipv4')).toBe(true);
    expect(coversInternet(ranges('0.0.0.0/1', '128.0.0.0/1'), 'ipv4')).toBe(true);
    expect(coversInternet(minus('ipv4', ranges('0.0.0.0/0'), ranges('203.0.113.0/24', '1.0.0.0/8')), 'ipv4')).toBe(true);
    expect(coversInternet(ranges('::/0'), 'ipv6')).toBe(true);
    expect(coversInternet(ranges('2000::/3'), 'ipv6')).toBe(true);
  });

  it('does not count half of it, private space, or IPv6 outside global unicast', () => {
    expect(coversInternet(ranges('0.0.0.0/1'), 'ipv4')).toBe(false);
    expect(coversInternet(ranges('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'), 'ipv4')).toBe(false);
    expect(coversInternet(minus('ipv4', ranges('0.0.0.0/0'), ranges('8.0.0.0/5')), 'ipv4')).toBe(false);
    expect(coversInternet(ranges('fc00::/7', '2001:db8::/32'), 'ipv6')).toBe(false);
    expect(coversInternet(minus('ipv6', ranges('::/0'), ranges('2000::/4')), 'ipv6')).toBe(false);
  });
});
