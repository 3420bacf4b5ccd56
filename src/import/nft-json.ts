/**
 * Reads `nft -j list ruleset` (libnftables-json(5), schema version 1) into the shared chain graph of
 * `ruleset.ts`. Pure: text in, `ImportedRuleset` out; bad input becomes `errors`, never an exception.
 *
 * - Tables of family `ip`, `ip6` and `inet` become chains; an `inet` chain becomes one chain per
 *   family, and each of its rules is kept in the families it can match (`ip saddr` → IPv4 only,
 *   `icmpv6 type` → IPv6 only, no address or ICMP match → both). Table names are qualified with their
 *   nft family (`inet filter`, `ip filter`), since iptables-nft's `ip filter` and an admin's
 *   `inet filter` often live side by side. `bridge`, `arp` and `netdev` tables go to `skipped`.
 * - A rule matching one of several values that `ImportedRule` holds one of (ICMP types, protocols,
 *   interface names) becomes one rule per value, in order: first match is unchanged because the
 *   copies share the verdict and a packet has one value of each (only overlapping interface
 *   wildcards, `eth*` and `eth0`, could meet a jump twice).
 * - Anonymous and named sets are resolved to their elements (addresses as CIDRs, ranges split into
 *   CIDRs; ports as ranges). A verdict map (`ct state vmap { … }`) becomes one rule per verdict.
 *   Concatenations, other maps and sets that change at run time (timeouts, `add @set` /
 *   `update @set` statements) are `unsupported`, with the reason. The rule-level reading is in
 *   `nft-rule.ts`.
 * - Tables iptables-nft writes (Docker, iptables scripts) go to `skipped`: `nft -j` prints their
 *   iptables matches as bare `xt` names without parameters; `iptables-save` reads them in full.
 * - `fib daddr type local` is an address type, as iptables' `-m addrtype`; other fib lookups are
 *   routing and `unsupported`.
 * - `counter` is ignored; `log` without a verdict is `continue`; rate limits, quotas, meters, marks,
 *   NAT, tproxy, notrack and the like are `unsupported`, with the reason in the user's words.
 * - Locations: `nft -j` prints everything on one line, so a rule's `line` is the 1-based index of its
 *   object in the `nftables` array and `handle` is its nft handle, unless `options.listing` (the
 *   text of `nft -a list ruleset`) gives the rule's real line by its handle.
 */
import { type ListingLines, readListingLines } from './nft-listing.js';
import { isObject, key, type NamedSet, readRule } from './nft-rule.js';
import { renderRule, single } from './nft-text.js';
import type { ImportFamily, ImportedChain, ImportedRuleset, SourceLocation } from './ruleset.js';

type Json = unknown;

export interface NftJsonOptions {
  /** The text of `nft -a list ruleset` from the same moment, for real line numbers in the report. */
  listing?: { text: string; file: string };
}

const TABLE_FAMILIES: Readonly<Record<string, ImportFamily[]>> = { ip: ['ipv4'], ip6: ['ipv6'], inet: ['ipv4', 'ipv6'] };
const NOT_IMPORTED: Readonly<Record<string, string>> = {
  bridge: 'bridge tables filter frames crossing a Linux bridge, not the host’s own traffic',
  arp: 'arp tables filter ARP, which benteng policies do not describe',
  netdev: 'netdev tables filter at the device (ingress/egress hooks) before or after the IP stack',
};
const PRIORITY_NAMES: Readonly<Record<string, number>> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const CHAIN_TYPES = new Set(['filter', 'nat', 'route']);

const IPTABLES_BUILTIN_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const IPTABLES_BUILTIN_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);
const IPTABLES_NFT_REASON =
  'written by iptables-nft (iptables scripts, Docker): `nft -j` hides the parameters of its iptables matches (`xt`); ' +
  'import this table from `iptables-save` / `ip6tables-save` output instead (`benteng import` over SSH reads both)';

/**
 * Tables iptables-nft owns: any rule uses an `xt` (iptables extension) statement, which nft prints
 * without its parameters, or the table has iptables' name and only iptables' built-in base chains.
 * nft itself warns "managed by iptables-nft, do not touch" for the first kind.
 */
function iptablesNftTables(objects: Json[]): Set<string> {
  const owned = new Set<string>();
  const baseChains = new Map<string, string[]>();
  for (const object of objects) {
    const entry = single(object);
    if (entry === undefined || !isObject(entry[1])) continue;
    const [kind, body] = entry;
    const table = key(String(body.family), String(body.table));
    if (kind === 'rule' && Array.isArray(body.expr) && body.expr.some((s) => single(s)?.[0] === 'xt')) owned.add(table);
    if (kind === 'chain' && typeof body.hook === 'string') baseChains.set(table, [...(baseChains.get(table) ?? []), String(body.name)]);
  }
  for (const [table, names] of baseChains) {
    const [family, name] = table.split(' ');
    if ((family === 'ip' || family === 'ip6') && IPTABLES_BUILTIN_TABLES.has(name!) && names.every((n) => IPTABLES_BUILTIN_CHAINS.has(n))) owned.add(table);
  }
  return owned;
}

function priorityOf(value: Json): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*([a-z]+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(value);
  if (m) {
    const base = PRIORITY_NAMES[m[1]!];
    if (base === undefined) return undefined;
    return m[2] === undefined ? base : base + (m[2] === '+' ? 1 : -1) * Number(m[3]);
  }
  return /^-?\d+$/.test(value.trim()) ? Number(value) : undefined;
}

/** Whether a prefix of a JSON text is only cut short (or whole), not wrong. */
function isPrefixOfValid(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch (error) {
    return /end of JSON input|Unterminated string/i.test((error as Error).message);
  }
}

/** Where JSON.parse first fails, when its message does not say (Node 20): the longest clean prefix. */
function firstBadOffset(text: string): number {
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (isPrefixOfValid(text.slice(0, mid))) low = mid;
    else high = mid - 1;
  }
  return Math.min(low, Math.max(text.length - 1, 0));
}

function jsonErrorLocation(text: string, file: string, error: Error): SourceLocation {
  const position = /position (\d+)/.exec(error.message);
  const lineColumn = /line (\d+) column (\d+)/.exec(error.message);
  if (lineColumn) return { file, line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const offset = position ? Number(position[1]) : firstBadOffset(text);
  const before = text.slice(0, offset);
  const lines = before.split('\n');
  return { file, line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

/** Reads `nft -j list ruleset` output. `file` names the source as the user knows it. */
export function parseNftJson(text: string, file: string, options: NftJsonOptions = {}): ImportedRuleset {
  const result: ImportedRuleset = { format: 'nft-json', sources: [file], chains: [], errors: [], skipped: [] };
  let root: Json;
  try {
    root = JSON.parse(text);
  } catch (error) {
    result.errors.push({ location: jsonErrorLocation(text, file, error as Error), message: `not valid JSON: ${(error as Error).message}` });
    return result;
  }
  const objects = isObject(root) && Array.isArray(root.nftables) ? root.nftables : undefined;
  if (objects === undefined) {
    result.errors.push({ location: { file, line: 1, column: 1 }, message: 'not `nft -j list ruleset` output: expected an object with an `nftables` array' });
    return result;
  }
  const listing: ListingLines | undefined = options.listing && readListingLines(options.listing.text, options.listing.file);
  if (options.listing) result.sources.push(options.listing.file);
  const at = (index: number, handle: Json, found?: SourceLocation): SourceLocation => ({
    ...(found ?? { file, line: index + 1 }),
    ...(typeof handle === 'number' ? { handle } : {}),
  });

  const tableFamilies = new Map<string, ImportFamily[]>();
  const sets = new Map<string, NamedSet>();
  const chains = new Map<string, ImportedChain[]>();
  const skippedTables = new Set<string>();

  // Sets that rules add to are dynamic, wherever in the array the rule comes.
  const filledByRules = new Set<string>();
  const iptablesNft = iptablesNftTables(objects);
  for (const object of objects) {
    const rule = isObject(object) && isObject(object.rule) ? object.rule : undefined;
    if (rule === undefined || !Array.isArray(rule.expr)) continue;
    for (const statement of rule.expr) {
      const entry = single(statement);
      if (entry && (entry[0] === 'set' || entry[0] === 'map') && isObject(entry[1]) && typeof entry[1].set === 'string') {
        filledByRules.add(key(String(rule.family), String(rule.table), entry[1].set.replace(/^@/, '')));
      }
    }
  }

  objects.forEach((object, index) => {
    const entry = single(object);
    if (entry === undefined || !isObject(entry[1])) {
      result.errors.push({ location: { file, line: index + 1 }, message: `element ${index + 1} of \`nftables\` is not a single-key object` });
      return;
    }
    const [kind, body] = entry;
    const family = String(body.family);
    const tableName = kind === 'table' ? String(body.name) : String(body.table);
    const table = key(family, tableName);
    switch (kind) {
      case 'table': {
        const families = TABLE_FAMILIES[family];
        if (iptablesNft.has(table)) {
          skippedTables.add(table);
          result.skipped!.push({ location: at(index, body.handle), text: `table ${table}`, reason: IPTABLES_NFT_REASON });
        } else if (families !== undefined) tableFamilies.set(table, families);
        else {
          skippedTables.add(table);
          result.skipped!.push({
            location: at(index, body.handle),
            text: `table ${table}`,
            reason: NOT_IMPORTED[family] ?? `tables of family \`${family}\` are not imported`,
          });
        }
        return;
      }
      case 'set':
      case 'map': {
        const flags = Array.isArray(body.flags) ? body.flags.map(String) : [];
        const elements = Array.isArray(body.elem) ? body.elem : [];
        const expiring = elements.some((e) => isObject(e) && isObject(e.elem) && e.elem.timeout !== undefined);
        sets.set(key(table, String(body.name)), {
          type: body.type,
          flags,
          elements,
          isMap: kind === 'map',
          mapTo: body.map,
          dynamic: flags.includes('timeout') || flags.includes('dynamic') || expiring || filledByRules.has(key(table, String(body.name))),
        });
        return;
      }
      case 'chain': {
        if (skippedTables.has(table)) return;
        const families = tableFamilies.get(table);
        if (families === undefined) {
          result.errors.push({ location: at(index, body.handle), message: `chain ${String(body.name)} belongs to table ${table}, which is not listed before it` });
          return;
        }
        const name = String(body.name);
        const hook = typeof body.hook === 'string' ? body.hook : undefined;
        const priority = priorityOf(body.prio);
        const chainType = typeof body.type === 'string' && CHAIN_TYPES.has(body.type) ? (body.type as ImportedChain['chainType']) : undefined;
        const location = at(index, body.handle, listing?.chains.get(key(table, name)));
        const made = families.map(
          (f): ImportedChain => ({
            family: f,
            table,
            name,
            ...(hook !== undefined ? { hook } : {}),
            ...(hook !== undefined && priority !== undefined ? { priority } : {}),
            ...(hook !== undefined ? { policy: body.policy === 'drop' ? 'drop' : 'accept' } : {}),
            ...(hook !== undefined && chainType !== undefined ? { chainType } : {}),
            location,
            rules: [],
          }),
        );
        if (hook !== undefined && priority === undefined) {
          result.errors.push({ location, message: `base chain ${table} ${name} has a priority this reader does not understand: ${JSON.stringify(body.prio)}` });
        }
        chains.set(key(table, name), made);
        result.chains.push(...made);
        return;
      }
      case 'rule': {
        if (skippedTables.has(table)) return;
        const chainName = String(body.chain);
        const owners = chains.get(key(table, chainName));
        const location = at(index, body.handle, typeof body.handle === 'number' ? listing?.rules.get(key(table, chainName, body.handle)) : undefined);
        if (owners === undefined || !Array.isArray(body.expr)) {
          result.errors.push({ location, message: owners === undefined ? `rule in chain ${table} ${chainName}, which is not listed before it` : 'rule without an `expr` list' });
          return;
        }
        const comment = typeof body.comment === 'string' ? body.comment : undefined;
        const base = { table, chain: chainName, location, text: renderRule(body.expr, comment), ...(comment !== undefined ? { comment } : {}) };
        for (const rule of readRule(body.expr, { table, families: tableFamilies.get(table)!, sets, base })) {
          owners.find((c) => c.family === rule.family)!.rules.push(rule);
        }
        return;
      }
      default:
        // metainfo, named counters, quotas, limits, flowtables, ct helpers: objects, not rules.
        return;
    }
  });
  return result;
}
