/**
 * Prints the iptables IR as `iptables-restore` input (iptables-restore(8)): `*filter`, one declaration
 * per chain of ours, the rules, `COMMIT`. Strings in the IR are already sanitised (no quotes, no
 * backslashes, one line); the printer adds the quotes.
 */
import { assertNever, type IptMatch, type IptRule, type IptRuleset, type IptTarget } from './ir.js';

const quote = (text: string) => `"${text}"`;
const portText = (p: { from: number; to: number }) => (p.from === p.to ? String(p.from) : `${p.from}:${p.to}`);

function printMatch(match: IptMatch): string {
  switch (match.kind) {
    case 'interface':
      return `${match.direction === 'in' ? '-i' : '-o'} ${match.name}`;
    case 'address':
      return `${match.negated ? '! ' : ''}${match.side === 'source' ? '-s' : '-d'} ${match.cidr}`;
    case 'protocol':
      return `-p ${match.protocol}`;
    case 'dport':
      return `--dport ${portText(match)}`;
    case 'multiport':
      return `-m multiport --dports ${match.ports.map(portText).join(',')}`;
    case 'icmp-type':
      return match.protocol === 'icmp' ? `-m icmp --icmp-type ${match.type}` : `-m icmp6 --icmpv6-type ${match.type}`;
    case 'ctstate':
      return `-m conntrack --ctstate ${match.states.join(',')}`;
    case 'limit':
      // In the unit iptables-save prints it back in.
      return `-m limit --limit ${match.perMinute % 60 === 0 ? `${match.perMinute / 60}/sec` : `${match.perMinute}/min`} --limit-burst ${match.burst}`;
    case 'set':
      return `-m set --match-set ${match.name} ${match.side === 'source' ? 'src' : 'dst'}`;
    case 'comment':
      return `-m comment --comment ${quote(match.text)}`;
    default:
      return assertNever(match, 'match');
  }
}

function printTarget(target: IptTarget): string {
  switch (target.kind) {
    case 'ACCEPT':
    case 'DROP':
      return `-j ${target.kind}`;
    case 'REJECT':
      return `-j REJECT --reject-with ${target.with}`;
    case 'LOG':
      return `-j LOG --log-prefix ${quote(target.key.prefix)}`;
    case 'RETURN':
      return '-j RETURN';
    case 'jump':
      return `-j ${target.chain}`;
    default:
      return assertNever(target, 'target');
  }
}

function printRule(rule: IptRule): string {
  const head = rule.insertFirst ? `-I ${rule.chain} 1` : `-A ${rule.chain}`;
  return [head, ...rule.matches.map(printMatch), printTarget(rule.target)].join(' ');
}

export function printIptables(ruleset: IptRuleset): string {
  return [
    ...ruleset.header.map((line) => `# ${line}`),
    `*${ruleset.table}`,
    ...ruleset.chains.map((chain) => `:${chain} - [0:0]`),
    ...ruleset.rules.map(printRule),
    'COMMIT',
    '',
  ].join('\n');
}
