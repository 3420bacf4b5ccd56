import type { FleetModel } from '../model/index.js';
import { cidrRange, formatAddress, parseAddress, parseCidr, type Family } from '../net/address.js';
import { setsOverlap, type AddressSet } from '../net/address-set.js';

/**
 * What `benteng block` checks before it touches any server: the addresses parse, none is /0, the TTL
 * is a positive duration within the configured maximum, and no address covers an admin network, a
 * fleet host's own address or the client's own address (those need `--force`).
 */
export interface BlockAddress {
  text: string;
  family: Family;
  set: AddressSet;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** A single address or a CIDR; /0 is refused (it would cut the host off from everything). */
export function parseBlockAddress(text: string): Parsed<BlockAddress> {
  const cidr = text.includes('/') ? parseCidr(text) : undefined;
  if (cidr && !cidr.ok) return { ok: false, message: `"${text}" is not an address or CIDR (${cidr.reason})` };
  if (cidr?.ok) {
    if (cidr.value.prefix === 0) return { ok: false, message: `refusing to block "${text}": a /0 blocks every address` };
    if (cidr.value.hostBitsSet) {
      return { ok: false, message: `"${text}" has bits set below its prefix; did you mean ${formatAddress(cidr.value.family, cidr.value.network)}/${cidr.value.prefix}?` };
    }
    const set: AddressSet = { ipv4: [], ipv6: [] };
    set[cidr.value.family].push(cidrRange(cidr.value));
    return { ok: true, value: { text, family: cidr.value.family, set } };
  }
  const address = parseAddress(text);
  if (!address.ok) return { ok: false, message: `"${text}" is not an address or CIDR` };
  const set: AddressSet = { ipv4: [], ipv6: [] };
  set[address.value.family].push({ start: address.value.value, end: address.value.value });
  return { ok: true, value: { text, family: address.value.family, set } };
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `90s`, `15m`, `1h30m`, `7d`, `2w` (or plain seconds) → seconds; zero and garbage are refused. */
export function parseDuration(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return n > 0 ? { ok: true, value: n } : { ok: false, message: `a duration of zero is not allowed ("${text}")` };
  }
  if (!/^(\d+[smhdw])+$/.test(trimmed)) return { ok: false, message: `"${text}" is not a duration (e.g. 90s, 15m, 1h30m, 7d)` };
  let total = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([smhdw])/g)) total += Number(n) * UNITS[unit!]!;
  return total > 0 ? { ok: true, value: total } : { ok: false, message: `a duration of zero is not allowed ("${text}")` };
}

export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(seconds));
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join('');
}

/** Why blocking this address could lock out administrators or break the fleet; empty when safe. */
export function guardRails(address: BlockAddress, model: FleetModel, clientAddresses: string[]): string[] {
  const reasons: string[] = [];
  for (const network of model.networks.values()) {
    if (network.tags.includes('admin') && setsOverlap(address.set, network.addresses)) reasons.push(`it covers admin network "${network.name}"`);
  }
  const hosts = model.hosts.filter((h) => setsOverlap(address.set, h.addresses)).map((h) => h.name);
  if (hosts.length > 0) reasons.push(`it covers the address of fleet host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')}`);
  for (const client of clientAddresses) {
    const parsed = parseBlockAddress(client);
    if (parsed.ok && setsOverlap(address.set, parsed.value.set)) reasons.push(`it covers this client's own address ${client} (as a server sees it)`);
  }
  return reasons;
}
