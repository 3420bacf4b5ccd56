/**
 * Prints the nftables IR as an `nft -f` file (nft(8) syntax). Every string the IR carries is already
 * sanitised; the printer only adds the quotes.
 */
import { formatAddress, rangeToCidrs } from '../net/address.js';
import { icmpTypeName } from '../net/port.js';
import { assertNever, type NftChain, type NftKeyPart, type NftMatch, type NftRule, type NftRuleEnd, type NftRuleset, type NftSet, type NftStatement, type NftVerdict } from './ir.js';

const quote = (text: string) => `"${text}"`;

function printKeyPart(part: NftKeyPart): string {
  switch (part.kind) {
    case 'address': {
      if (part.start === part.end) return formatAddress(part.family, part.start);
      const cidrs = rangeToCidrs(part.family, { start: part.start, end: part.end });
      if (cidrs.length === 1) return cidrs[0]!;
      return `${formatAddress(part.family, part.start)}-${formatAddress(part.family, part.end)}`;
    }
    case 'protocol':
      return part.protocol;
    case 'range':
      return part.from === part.to ? String(part.from) : `${part.from}-${part.to}`;
    case 'icmp-type':
      return icmpTypeName(part.protocol, part.type) ?? String(part.type);
    default:
      return assertNever(part, 'key part');
  }
}

function printVerdict(verdict: NftVerdict): string {
  switch (verdict.kind) {
    case 'accept':
    case 'drop':
      return verdict.kind;
    case 'goto':
      return `goto ${verdict.chain}`;
    case 'reject':
      return verdict.with === 'tcp-reset' ? 'reject with tcp reset' : 'reject with icmpx type admin-prohibited';
    default:
      return assertNever(verdict, 'verdict');
  }
}

function printSet(set: NftSet): string[] {
  const keyword = set.kind === 'vmap' ? 'map' : 'set';
  const type = set.keyTypes.join(' . ') + (set.kind === 'vmap' ? ' : verdict' : '');
  const lines = [`\t${keyword} ${set.name} {`, `\t\ttype ${type}`];
  if (set.flags.length > 0) lines.push(`\t\tflags ${set.flags.join(', ')}`);
  if (set.counter) lines.push('\t\tcounter');
  if (set.comment !== undefined) lines.push(`\t\tcomment ${quote(set.comment)}`);
  if (set.elements.length > 0) {
    lines.push('\t\telements = {');
    for (const element of set.elements) {
      let text = element.key.map(printKeyPart).join(' . ');
      if (element.comment !== undefined) text += ` comment ${quote(element.comment)}`;
      if (element.verdict !== undefined) text += ` : ${printVerdict(element.verdict)}`;
      lines.push(`\t\t\t${text},`);
    }
    lines.push('\t\t}');
  }
  lines.push('\t}');
  return lines;
}

function printMatch(match: NftMatch): string {
  switch (match.kind) {
    case 'interface':
      return `${match.direction} ${quote(match.name)}`;
    case 'ct-state':
      return `ct state ${match.states.join(',')}`;
    case 'protocol':
      return `meta l4proto ${match.protocol}`;
    case 'in-set':
      return `${match.selectors.join(' . ')} @${match.set}`;
    default:
      return assertNever(match, 'match');
  }
}

function printStatement(statement: NftStatement): string {
  switch (statement.kind) {
    case 'counter':
      return 'counter';
    case 'limit':
      return `limit rate ${statement.perMinute % 60 === 0 ? `${statement.perMinute / 60}/second` : `${statement.perMinute}/minute`} burst ${statement.burst} packets`;
    case 'log':
      return `log prefix ${quote(statement.key.prefix)}`;
    default:
      return assertNever(statement, 'statement');
  }
}

function printEnd(end: NftRuleEnd): string | undefined {
  switch (end.kind) {
    case 'continue':
      return undefined;
    case 'vmap':
      return `${end.selectors.join(' . ')} vmap @${end.map}`;
    case 'accept':
    case 'drop':
    case 'goto':
    case 'reject':
      return printVerdict(end);
    default:
      return assertNever(end, 'rule end');
  }
}

function printRule(rule: NftRule): string {
  const words = [...rule.matches.map(printMatch), ...rule.statements.map(printStatement)];
  const end = printEnd(rule.end);
  if (end !== undefined) words.push(end);
  if (rule.comment !== undefined) words.push(`comment ${quote(rule.comment)}`);
  return `\t\t${words.join(' ')}`;
}

function printChain(chain: NftChain): string[] {
  const lines = [`\tchain ${chain.name} {`];
  if (chain.comment !== undefined) lines.push(`\t\tcomment ${quote(chain.comment)}`);
  if (chain.base) lines.push(`\t\ttype filter hook ${chain.base.hook} priority filter; policy ${chain.base.policy};`);
  lines.push(...chain.rules.map(printRule), '\t}');
  return lines;
}

/** The `nft -f` text: header comments, the create/delete pair, then the full table. */
export function printNftables(ruleset: NftRuleset): string {
  const { table } = ruleset;
  const id = `${table.family} ${table.name}`;
  const blocks = [...table.sets.map(printSet), ...table.chains.map(printChain)];
  const body = blocks.flatMap((block, i) => (i === 0 ? block : ['', ...block]));
  return [
    '#!/usr/sbin/nft -f',
    ...ruleset.header.map((line) => `# ${line}`),
    `table ${id} {}`,
    `delete table ${id}`,
    `table ${id} {`,
    ...body,
    '}',
    '',
  ].join('\n');
}
