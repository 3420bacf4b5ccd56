/**
 * Lines of chains and rules in the text of `nft -a list ruleset` (the listing with `# handle N` after
 * every object). `nft -j` output has no useful lines, so when the user also gives this listing, the
 * import report can name `listing:line:column` for each rule, found by its table, chain and handle.
 */
import type { SourceLocation } from './ruleset.js';

export interface ListingLines {
  /** `inet filter input` → where the chain opens. */
  chains: Map<string, SourceLocation>;
  /** `inet filter input 11` (table, chain, rule handle) → the rule's line. */
  rules: Map<string, SourceLocation>;
}

const TABLE = /^table\s+(\S+)\s+(\S+)\s+\{/;
const CHAIN = /^chain\s+(\S+)\s+\{/;
const OTHER_BLOCK = /^(set|map|flowtable|counter|quota|limit|ct\s+\S+|secmark|synproxy)\s+\S+.*\{/;
const HANDLE = /#\s*handle\s+(\d+)\s*$/;

function unquote(name: string): string {
  return name.length >= 2 && name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name;
}

/** Reads the listing; lines it does not recognise are skipped (it is only a source of locations). */
export function readListingLines(text: string, file: string): ListingLines {
  const chains = new Map<string, SourceLocation>();
  const rules = new Map<string, SourceLocation>();
  let table: string | undefined;
  let chain: string | undefined;
  let otherDepth = 0;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    const column = raw.length - raw.trimStart().length + 1;
    const location = { file, line: index + 1, column };
    if (otherDepth > 0) {
      otherDepth += (trimmed.match(/\{/g) ?? []).length - (trimmed.match(/\}/g) ?? []).length;
      return;
    }
    const tableMatch = TABLE.exec(trimmed);
    if (tableMatch) {
      table = `${tableMatch[1]} ${unquote(tableMatch[2]!)}`;
      chain = undefined;
      return;
    }
    if (table === undefined) return;
    const chainMatch = CHAIN.exec(trimmed);
    if (chainMatch) {
      chain = unquote(chainMatch[1]!);
      chains.set(`${table} ${chain}`, location);
      return;
    }
    if (chain === undefined && OTHER_BLOCK.test(trimmed)) {
      otherDepth = (trimmed.match(/\{/g) ?? []).length - (trimmed.match(/\}/g) ?? []).length;
      return;
    }
    if (trimmed === '}') {
      if (chain !== undefined) chain = undefined;
      else table = undefined;
      return;
    }
    const handle = HANDLE.exec(trimmed);
    if (chain !== undefined && handle) rules.set(`${table} ${chain} ${handle[1]}`, location);
  });
  return { chains, rules };
}
