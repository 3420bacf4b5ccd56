/**
 * First-match partition: turns an ordered list of rules over (address × number range) into disjoint
 * cells, each labelled with the first rule that matches it. A verdict map built from the cells decides
 * every packet exactly as walking the rules in order would (first match wins), with one lookup.
 */
import type { AddressRange } from '../net/address.js';
import { normalizeRanges, subtractSets } from '../net/address-set.js';

export interface PartitionTerm<T> {
  label: T;
  /** Position of the term's rule in its chain: cells are listed in this order. */
  order: number;
  /** Normalised address ranges (one family). */
  addresses: AddressRange[];
  /** Inclusive ranges of the second dimension (ports, ICMP types). */
  values: Array<{ from: number; to: number }>;
}

export interface Cell<T> {
  label: T;
  order: number;
  start: bigint;
  end: bigint;
  from: number;
  to: number;
}

interface Painted {
  start: bigint;
  end: bigint;
  term: number;
}

function paint(terms: ReadonlyArray<PartitionTerm<unknown>>, indices: readonly number[]): Painted[] {
  let cover: AddressRange[] = [];
  const out: Painted[] = [];
  for (const i of indices) {
    const term = terms[i]!;
    const fresh = cover.length === 0 ? term.addresses : subtractSets({ ipv4: term.addresses, ipv6: [] }, { ipv4: cover, ipv6: [] }).ipv4;
    for (const r of fresh) out.push({ start: r.start, end: r.end, term: i });
    if (fresh.length > 0) cover = normalizeRanges([...cover, ...fresh]);
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

const paintKey = (cells: readonly Painted[]) => cells.map((c) => `${c.start}-${c.end}:${c.term}`).join(',');

/** Disjoint cells covering exactly what the terms cover, each labelled by the first term covering it. */
export function firstMatchCells<T>(terms: ReadonlyArray<PartitionTerm<T>>): Cell<T>[] {
  const bounds = new Set<number>();
  for (const t of terms) {
    for (const v of t.values) {
      bounds.add(v.from);
      bounds.add(v.to + 1);
    }
  }
  const edges = [...bounds].sort((a, b) => a - b);
  const buckets: number[][] = edges.map(() => []);
  const indexOf = (value: number) => {
    let lo = 0;
    let hi = edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  terms.forEach((t, i) => {
    if (t.addresses.length === 0) return;
    for (const v of t.values) {
      for (let k = indexOf(v.from); k < edges.length && edges[k]! <= v.to; k++) buckets[k]!.push(i);
    }
  });

  const cells: Cell<T>[] = [];
  let previous: { key: string; painted: Painted[]; from: number; to: number } | undefined;
  const flush = () => {
    if (!previous) return;
    for (const p of previous.painted) {
      cells.push({ label: terms[p.term]!.label, order: terms[p.term]!.order, start: p.start, end: p.end, from: previous.from, to: previous.to });
    }
  };
  for (let k = 0; k < edges.length - 1; k++) {
    const indices = [...new Set(buckets[k]!)].sort((a, b) => a - b);
    if (indices.length === 0) {
      flush();
      previous = undefined;
      continue;
    }
    const painted = paint(terms, indices);
    const key = paintKey(painted);
    const from = edges[k]!;
    const to = edges[k + 1]! - 1;
    if (previous && previous.key === key && previous.to + 1 === from) {
      previous.to = to;
    } else {
      flush();
      previous = { key, painted, from, to };
    }
  }
  flush();
  return mergeAdjacent(cells);
}

/** Sorts cells by rule, address, value and joins cells of one rule and address whose values touch. */
function mergeAdjacent<T>(cells: Cell<T>[]): Cell<T>[] {
  cells.sort((a, b) => a.order - b.order || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0) || (a.end < b.end ? -1 : a.end > b.end ? 1 : 0) || a.from - b.from);
  const out: Cell<T>[] = [];
  for (const cell of cells) {
    const last = out[out.length - 1];
    if (last && last.order === cell.order && last.start === cell.start && last.end === cell.end && last.to + 1 === cell.from) last.to = cell.to;
    else out.push({ ...cell });
  }
  return out;
}
