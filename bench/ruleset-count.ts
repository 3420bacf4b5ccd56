/**
 * Counts what a generated ruleset holds, from its text alone (whatever emitter wrote it): for an
 * `nft -f` file the elements of each verdict map and set (`elements = { ... }`, one per top-level comma,
 * quotes respected, one or many a line) and the rules of each chain; for `iptables-restore` files the
 * `-A` rules and the chains.
 */

export interface NftCounts {
  /** Verdict maps (`map` with a `: verdict` type) and their element counts. */
  vmaps: Array<{ name: string; elements: number }>;
  vmapElements: number;
  /** Plain sets and data maps. */
  setElements: number;
  chains: number;
  chainRules: number;
}

const BLOCK = /\b(map|set|chain)\s+([A-Za-z0-9_.-]+)\s*\{/g;

/** Index just after the `}` closing the brace that opens before `from` (depth 1 at `from`). */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */ && text.charCodeAt(i - 1) !== 92 /* \ */) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */ && --depth === 0) return i + 1;
  }
  return text.length;
}

/** Top-level, comma-separated, non-empty items in `text[from, to)` (`to`: the closing brace). */
function countItems(text: string, from: number, to: number): number {
  let items = 0;
  let pending = false;
  let depth = 0;
  let quoted = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 && text.charCodeAt(i - 1) !== 92) quoted = !quoted;
    if (quoted) continue;
    if (c === 123) depth++;
    else if (c === 125) depth--;
    if (depth === 0 && c === 44 /* , */) {
      if (pending) items++;
      pending = false;
    } else if (c > 32) pending = true;
  }
  return items + (pending ? 1 : 0);
}

const STATEMENT = /^(?!type |policy |comment |#|}|$)/;

export function countNft(text: string): NftCounts {
  const counts: NftCounts = { vmaps: [], vmapElements: 0, setElements: 0, chains: 0, chainRules: 0 };
  BLOCK.lastIndex = 0;
  for (let match = BLOCK.exec(text); match; match = BLOCK.exec(text)) {
    const [, kind, name] = match;
    const bodyStart = match.index + match[0].length;
    const end = closingBrace(text, bodyStart);
    const body = text.slice(bodyStart, end - 1);
    if (kind === 'chain') {
      counts.chains++;
      counts.chainRules += body.split('\n').filter((line) => STATEMENT.test(line.trim())).length;
    } else {
      const at = body.search(/\belements\s*=\s*\{/);
      let elements = 0;
      if (at !== -1) {
        const open = body.indexOf('{', at) + 1;
        elements = countItems(body, open, closingBrace(body, open) - 1);
      }
      if (kind === 'map' && /:\s*verdict\b/.test(body)) {
        counts.vmaps.push({ name: name!, elements });
        counts.vmapElements += elements;
      } else counts.setElements += elements;
    }
    BLOCK.lastIndex = end;
  }
  return counts;
}

export interface IptablesCounts {
  rules: number;
  chains: number;
}

/** `-A` rules and `:CHAIN` declarations of one or more `iptables-restore` files. */
export function countIptables(...texts: string[]): IptablesCounts {
  let rules = 0;
  let chains = 0;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line.startsWith('-A ')) rules++;
      else if (line.startsWith(':')) chains++;
    }
  }
  return { rules, chains };
}
