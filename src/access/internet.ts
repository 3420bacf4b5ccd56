/**
 * "The internet", defined once for every rule that asks whether something faces it.
 *
 * Public address space is each family's space minus the special-purpose blocks of RFC 6890 that no
 * stranger can reach a host from (this network, private, shared CGNAT, loopback, link-local,
 * multicast, reserved); for IPv6 it is global unicast, 2000::/3. Documentation blocks (RFC 5737,
 * RFC 3849) stay public, so policies written with them behave as real public addresses would.
 *
 * A set of peers counts as the internet when it holds at least `INTERNET_SHARE` of the family's public
 * space: trimming a few addresses or networks off `any` does not make an exposure private, nor does
 * splitting it over several rules, services or networks (callers pass the union of accepted peers).
 */
import { type AddressSet, intersectRanges, normalizeRanges, subtractSets } from '../net/address-set.js';
import { type AddressRange, cidrRange, type Family, parseCidr } from '../net/address.js';

/** Share of the public space a set must hold to count as "the whole internet". */
export const INTERNET_SHARE = 0.99;

const NOT_PUBLIC_V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/4', '240.0.0.0/4'];
const PUBLIC_V6 = ['2000::/3'];

function ranges(cidrs: readonly string[]): AddressRange[] {
  return normalizeRanges(
    cidrs.map((text) => {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw new Error(`bad built-in CIDR ${text}`);
      return cidrRange(parsed.value);
    }),
  );
}

/** Every public address of both families. */
export const PUBLIC_SPACE: AddressSet = {
  ipv4: subtractSets({ ipv4: ranges(['0.0.0.0/0']), ipv6: [] }, { ipv4: ranges(NOT_PUBLIC_V4), ipv6: [] }).ipv4,
  ipv6: ranges(PUBLIC_V6),
};

/** Number of addresses in normalised ranges. */
export function rangeSize(list: readonly AddressRange[]): bigint {
  let n = 0n;
  for (const r of list) n += r.end - r.start + 1n;
  return n;
}

const PUBLIC_SIZE: Record<Family, bigint> = { ipv4: rangeSize(PUBLIC_SPACE.ipv4), ipv6: rangeSize(PUBLIC_SPACE.ipv6) };
const SHARE_PER_MILLE = BigInt(Math.round(INTERNET_SHARE * 1000));
/** The smallest public-address count of each family that reaches the share: ⌈size · ‰ / 1000⌉. */
const THRESHOLD: Record<Family, bigint> = {
  ipv4: (PUBLIC_SIZE.ipv4 * SHARE_PER_MILLE + 999n) / 1000n,
  ipv6: (PUBLIC_SIZE.ipv6 * SHARE_PER_MILLE + 999n) / 1000n,
};

/** The public IPv4 blocks as numbers (exact: below 2³²). */
const PUBLIC_V4_NUMBERS = PUBLIC_SPACE.ipv4.map((r) => ({ start: Number(r.start), end: Number(r.end) }));

/** Public addresses held by normalised ranges of one family (IPv4 walked in numbers, without bigints). */
export function publicSize(list: readonly AddressRange[], family: Family): bigint {
  if (family === 'ipv4') return BigInt(publicSizeV4(list));
  return rangeSize(intersectRanges(list, PUBLIC_SPACE[family]));
}

function publicSizeV4(list: readonly AddressRange[]): number {
  const space = PUBLIC_V4_NUMBERS;
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < list.length && j < space.length) {
    const xStart = Number(list[i]!.start);
    const xEnd = Number(list[i]!.end);
    const y = space[j]!;
    const start = xStart > y.start ? xStart : y.start;
    const end = xEnd < y.end ? xEnd : y.end;
    if (start <= end) n += end - start + 1;
    if (xEnd < y.end) i++;
    else j++;
  }
  return n;
}

/** The fewest public addresses of a family that count as the whole internet. */
export function internetThreshold(family: Family): bigint {
  return THRESHOLD[family];
}

/** Whether a public-address count reaches the internet threshold of its family. */
export function isInternetSize(size: bigint, family: Family): boolean {
  return size >= THRESHOLD[family];
}

/** Whether normalised ranges of one family count as the whole internet. */
export function coversInternet(list: readonly AddressRange[], family: Family): boolean {
  return isInternetSize(publicSize(list, family), family);
}

/** Ports that must never face the whole internet: remote shells, databases, caches, file sharing, Docker. */
export const SENSITIVE_PORTS: ReadonlyArray<[number, string]> = [
  [21, 'FTP'],
  [22, 'SSH'],
  [23, 'telnet'],
  [139, 'SMB'],
  [161, 'SNMP'],
  [445, 'SMB'],
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [2375, 'Docker API'],
  [2376, 'Docker API (TLS)'],
  [3306, 'MySQL'],
  [3389, 'RDP'],
  [5432, 'PostgreSQL'],
  [6379, 'Redis'],
  [9200, 'Elasticsearch'],
  [11211, 'memcached'],
  [27017, 'MongoDB'],
];
