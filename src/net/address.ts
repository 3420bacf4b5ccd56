import ipaddr from 'ipaddr.js';

/** Address family as nftables and the model name it. */
export type Family = 'ipv4' | 'ipv6';

export const FAMILY_BITS: Record<Family, number> = { ipv4: 32, ipv6: 128 };

/** An inclusive range of addresses of one family, as integers. */
export interface AddressRange {
  start: bigint;
  end: bigint;
}

export interface ParsedCidr {
  family: Family;
  /** First address of the block (host bits cleared). */
  network: bigint;
  prefix: number;
  /** True when the text had bits set below the prefix (`10.0.0.1/8`). */
  hostBitsSet: boolean;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const IPV4_SHAPE = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6_SHAPE = /^[0-9A-Fa-f:.]+$/;

/** Parses one address literal; rejects IPv4 forms other than four decimal parts and IPv6 zone ids. */
export function parseAddress(text: string): ParseResult<{ family: Family; value: bigint }> {
  if (IPV4_SHAPE.test(text)) {
    const parts = text.split('.').map(Number);
    const bad = parts.find((p) => p > 255);
    if (bad !== undefined) return { ok: false, reason: `IPv4 address \`${text}\` has an octet ${bad} above 255` };
    if (text.split('.').some((p) => p.length > 1 && p.startsWith('0'))) {
      return { ok: false, reason: `IPv4 address \`${text}\` has a leading zero (ambiguous octal)` };
    }
    const value = parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
    return { ok: true, value: { family: 'ipv4', value } };
  }
  if (text.includes(':') && IPV6_SHAPE.test(text) && ipaddr.IPv6.isValid(text)) {
    const bytes = ipaddr.IPv6.parse(text).toByteArray();
    const value = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    return { ok: true, value: { family: 'ipv6', value } };
  }
  if (text.includes(':')) return { ok: false, reason: `\`${text}\` is not a valid IPv6 address` };
  return { ok: false, reason: `\`${text}\` is not a valid IPv4 or IPv6 address` };
}

/** Parses `addr` or `addr/prefix`; a bare address is a /32 or /128. */
export function parseCidr(text: string): ParseResult<ParsedCidr> {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddress(addressText);
  if (!address.ok) return address;
  const { family, value } = address.value;
  const bits = FAMILY_BITS[family];
  let prefix = bits;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) {
      return { ok: false, reason: `prefix length \`${prefixText}\` in \`${text}\` is not a number` };
    }
    prefix = Number(prefixText);
    if (prefix > bits) {
      return { ok: false, reason: `prefix length /${prefix} is out of range 0-${bits} for ${family === 'ipv4' ? 'IPv4' : 'IPv6'}` };
    }
  }
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  return {
    ok: true,
    value: { family, network: value & ~hostMask, prefix, hostBitsSet: (value & hostMask) !== 0n },
  };
}

export function cidrRange(cidr: ParsedCidr): AddressRange {
  const size = 1n << BigInt(FAMILY_BITS[cidr.family] - cidr.prefix);
  return { start: cidr.network, end: cidr.network + size - 1n };
}

/** Canonical text of an address: dotted quad, or RFC 5952 compressed IPv6 (lowercase, longest zero run as `::`). */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 'ipv4') {
    const n = Number(value);
    return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** The smallest list of CIDR blocks that exactly covers the range, in address order. */
export function rangeToCidrs(family: Family, range: AddressRange): string[] {
  const bits = FAMILY_BITS[family];
  const out: string[] = [];
  let start = range.start;
  while (start <= range.end) {
    const aligned = start === 0n ? bits : bitLength(start & -start) - 1;
    const fits = bitLength(range.end - start + 1n) - 1;
    const hostBits = Math.min(aligned, fits);
    out.push(`${formatAddress(family, start)}/${bits - hostBits}`);
    start += 1n << BigInt(hostBits);
  }
  return out;
}
