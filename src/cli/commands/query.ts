import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { checkPolicies } from '../../pipeline.js';
import { type ChainVerdict, endpointText, type FamilyCheck, type Party, parseQuestion, protocolText, type QueryAnswer, queryAccess } from '../../query/index.js';
import { queryJson } from '../../query/json.js';
import { formatAddress } from '../../net/address.js';
import { REPORTERS } from '../../report/index.js';
import { EXIT, type CliIo, parseDay } from '../io.js';

const HELP = `
Endpoints: an IPv4 or IPv6 address, host:<name>, or service:<name> (every host the service runs on,
each a separate path). An address of a fleet host counts as that host. A host uses its first (lowest)
address of each family; both families are checked when both ends have them.

Each path is decided from the access model: the sender's egress chain when the sender is a fleet host,
the receiver's ingress chain when the receiver is one, naming the deciding rule (id, description,
file:line:col), the essential-ICMP baseline, or the default drop. Only new connections are decided:
replies are accepted by the baseline when \`established\` is on.

Examples:
  $ benteng query 203.0.113.7 host:db-01 tcp/5432
  $ benteng query service:permit-portal service:permit-db tcp/5432
  $ benteng query 198.51.100.5 host:web-01 icmp/echo-request
  $ benteng query host:mon-01 2001:db8:20::20 tcp/9100 --format json

Exit codes: 0 every path is open, 1 a path is closed (or the policies have errors, printed as by lint),
2 usage error (bad endpoint or protocol, unknown host or service, unreadable directory).`;

type Chalk = CliIo['chalk'];

function familyName(family: string): string {
  return family === 'ipv4' ? 'IPv4' : 'IPv6';
}

function partyText(party: Party): string {
  return party.kind === 'host' ? party.host.name : formatAddress(party.family, party.value);
}

function openText(chalk: Chalk, open: boolean): string {
  return open ? chalk.green('open') : chalk.red('closed');
}

function chainLine(chalk: Chalk, chain: ChainVerdict, cwd: string): string {
  const verdict = chain.verdict === 'accept' ? chalk.green(chain.verdict) : chalk.red(chain.verdict);
  const where = `${chain.host} ${chain.direction}`;
  const { decider } = chain;
  switch (decider.kind) {
    case 'rule': {
      const file = relative(cwd, resolve(cwd, decider.span.file));
      const description = decider.description !== undefined ? ` ${JSON.stringify(decider.description)}` : '';
      return `${where}: ${verdict}, rule ${chalk.bold(decider.id)}${description} ${chalk.dim(`(${file}:${decider.span.start.line}:${decider.span.start.column})`)}`;
    }
    case 'blocklist': {
      const file = relative(cwd, resolve(cwd, decider.span.file));
      return `${where}: ${verdict}, blocklist ${chalk.bold(decider.id)} (${decider.addresses.join(', ')}) ${JSON.stringify(decider.reason)} ${chalk.dim(`(${file}:${decider.span.start.line}:${decider.span.start.column})`)}`;
    }
    case 'icmp-baseline':
      return `${where}: ${verdict}, baseline: essential ICMP`;
    case 'loopback':
      return `${where}: ${verdict}, baseline: loopback (the host talks to itself)`;
    case 'default-drop':
      return `${where}: ${verdict}, default drop (no rule matches)`;
    default: {
      const never: never = decider;
      throw new Error(`unexpected decider ${JSON.stringify(never)}`);
    }
  }
}

function checkLines(chalk: Chalk, check: FamilyCheck, path: { from: Party; to: Party }, cwd: string): string[] {
  const lines = [`  ${familyName(check.family)} ${check.fromAddress} -> ${check.toAddress}: ${openText(chalk, check.open)}`];
  lines.push(check.egress ? `    ${chainLine(chalk, check.egress, cwd)}` : `    ${chalk.dim(`${partyText(path.from)} is not a fleet host: its egress is not checked`)}`);
  lines.push(check.ingress ? `    ${chainLine(chalk, check.ingress, cwd)}` : `    ${chalk.dim(`${partyText(path.to)} is not a fleet host: its ingress is not checked`)}`);
  return lines;
}

function pretty(chalk: Chalk, answer: QueryAnswer, cwd: string): string {
  const { question } = answer;
  const out = [chalk.bold(`${endpointText(question.from)} -> ${endpointText(question.to)} ${protocolText(question.protocol)}`), ''];
  const chains: ChainVerdict[] = [];
  for (const path of answer.paths) {
    out.push(`${partyText(path.from)} -> ${partyText(path.to)}: ${openText(chalk, path.open)}`);
    if (path.checks.length === 0) out.push(`  ${chalk.dim('no address family in common')}`);
    for (const check of path.checks) {
      out.push(...checkLines(chalk, check, path, cwd));
      chains.push(...[check.egress, check.ingress].filter((c): c is ChainVerdict => c !== undefined));
    }
  }
  const open = answer.paths.filter((p) => p.open).length;
  const count = answer.paths.length;
  out.push('', `${count} path${count === 1 ? '' : 's'}: ${open} open, ${count - open} closed`);
  if (chains.every((c) => c.repliesAccepted)) {
    out.push(chalk.dim('Replies (established/related packets) are accepted by the baseline (`established: true`); only new connections are decided above.'));
  } else {
    const hosts = [...new Set(chains.filter((c) => !c.repliesAccepted).map((c) => c.host))].join(', ');
    out.push(chalk.yellow(`\`established\` is off on ${hosts}: replies are decided by the rules too and need rules of their own.`));
  }
  return `${out.join('\n')}\n`;
}

export function registerQuery(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('query')
    .description('may a new connection go from one endpoint to another? names the deciding rule on each end')
    .argument('<from>', 'source: an address, host:<name> or service:<name>')
    .argument('<to>', 'destination: an address, host:<name> or service:<name>')
    .argument('<proto/port>', 'tcp/<port>, udp/<port>, icmp/<type> or icmpv6/<type> (name or number)')
    .option('-p, --policies <dir>', 'policies directory', 'policies')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .option('--today <date>', 'judge rule expiry against this day (YYYY-MM-DD) instead of today', parseDay)
    .addHelpText('after', HELP)
    .action(async (from: string, to: string, protocol: string, options: { policies: string; format: 'pretty' | 'json'; today?: string }) => {
      const usage = (messages: readonly string[]) => {
        for (const message of messages) io.stderr(`${io.chalk.red('error')}: ${message}\n`);
        io.stderr('(run `benteng query --help` for usage)\n');
        setExit(EXIT.usage);
      };
      const question = parseQuestion(from, to, protocol);
      if (!question.ok) return usage(question.reasons);

      const result = await checkPolicies(options.policies, { lint: false, ...(options.today ? { today: options.today } : {}) });
      if (!result.model || !result.access || hasErrors(result.diagnostics)) {
        io.stderr(REPORTERS.pretty!(result.diagnostics, { chalk: io.chalk, sources: result.sources }));
        io.stderr(`${io.chalk.red('error')}: the policies have errors; fix them to query the fleet\n`);
        return setExit(EXIT.findings);
      }

      const answer = queryAccess({ model: result.model, access: result.access }, question.value);
      if (!answer.value) return usage(answer.diagnostics.map((d) => d.message));
      const cwd = process.cwd();
      io.stdout(options.format === 'json' ? `${JSON.stringify(queryJson(answer.value, cwd), null, 2)}\n` : pretty(io.chalk, answer.value, cwd));
      setExit(answer.value.open ? EXIT.ok : EXIT.findings);
    });
}
