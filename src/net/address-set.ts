import { type AddressRange, type Family, FAMILY_BITS } from './address.js';

/**
 * A set of addresses, IPv4 and IPv6 kept apart, each a sorted list of disjoint, non-adjacent ranges.
 * Every operation returns a new normalised set.
 */
export interface AddressSet {
  ipv4: AddressRange[];
  ipv6: AddressRange[];
}

export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

export function emptySet(): AddressSet {
  return { ipv4: [], ipv6: [] };
}

export function fullRange(family: Family): AddressRange {
  return { start: 0n, end: (1n << BigInt(FAMILY_BITS[family])) - 1n };
}

export function anySet(): AddressSet {
  return { ipv4: [fullRange('ipv4')], ipv6: [fullRange('ipv6')] };
}

/** Sorts and merges overlapping or adjacent ranges. */
export function normalizeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  return out;
}

export function unionSets(...sets: readonly AddressSet[]): AddressSet {
  // One set is already normalised: a copy is its union (most rules name one peer).
  if (sets.length === 1) {
    const [only] = sets;
    return { ipv4: only!.ipv4.map((r) => ({ start: r.start, end: r.end })), ipv6: only!.ipv6.map((r) => ({ start: r.start, end: r.end })) };
  }
  return {
    ipv4: normalizeRanges(sets.flatMap((s) => s.ipv4)),
    ipv6: normalizeRanges(sets.flatMap((s) => s.ipv6)),
  };
}

/** `from` minus `remove`, ranges of one family; both must be normalised. */
export function subtractRanges(from: readonly AddressRange[], remove: readonly AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  let j = 0;
  for (const r of from) {
    let start = r.start;
    while (j < remove.length && remove[j]!.end < start) j++;
    let k = j;
    while (k < remove.length && remove[k]!.start <= r.end && start <= r.end) {
      const cut = remove[k]!;
      if (cut.start > start) out.push({ start, end: cut.start - 1n });
      start = cut.end + 1n;
      k++;
    }
    if (start <= r.end) out.push({ start, end: r.end });
  }
  return out;
}

/** `from` minus `remove`; both must be normalised. */
export function subtractSets(from: AddressSet, remove: AddressSet): AddressSet {
  return { ipv4: subtractRanges(from.ipv4, remove.ipv4), ipv6: subtractRanges(from.ipv6, remove.ipv6) };
}

/** `a` ∩ `b`, ranges of one family; both must be normalised. */
export function intersectRanges(a: readonly AddressRange[], b: readonly AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const start = x.start > y.start ? x.start : y.start;
    const end = x.end < y.end ? x.end : y.end;
    if (start <= end) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

export function intersectSets(a: AddressSet, b: AddressSet): AddressSet {
  return { ipv4: intersectRanges(a.ipv4, b.ipv4), ipv6: intersectRanges(a.ipv6, b.ipv6) };
}

/** Whether two sorted lists of disjoint ranges share an address. */
export function rangesOverlap(a: readonly AddressRange[], b: readonly AddressRange[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x.start <= y.end && y.start <= x.end) return true;
    if (x.end < y.end) i++;
    else j++;
  }
  return false;
}

/** Whether the sets share an address; like `!isEmptySet(intersectSets(a, b))` without building it. */
export function setsOverlap(a: AddressSet, b: AddressSet): boolean {
  return rangesOverlap(a.ipv4, b.ipv4) || rangesOverlap(a.ipv6, b.ipv6);
}

export function isEmptySet(set: AddressSet): boolean {
  return set.ipv4.length === 0 && set.ipv6.length === 0;
}

/** True when the set holds every address of the family (`0.0.0.0/0`, `::/0`). */
export function coversFamily(set: AddressSet, family: Family): boolean {
  const full = fullRange(family);
  const ranges = set[family];
  return ranges.length === 1 && ranges[0]!.start === full.start && ranges[0]!.end === full.end;
}

export function containsAddress(set: AddressSet, family: Family, value: bigint): boolean {
  const ranges = set[family];
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (value < r.start) hi = mid - 1;
    else if (value > r.end) lo = mid + 1;
    else return true;
  }
  return false;
}
