/**
 * `benteng import`: a server's live ruleset (over SSH, read-only) or saved `iptables-save`,
 * `ip6tables-save` and `nft -j list ruleset` files → a policies directory, `IMPORT-REPORT.md`, and the
 * equivalence check's result. Writes into a temporary directory next to `--out` and renames it, so
 * the output is whole or absent; refuses a non-empty `--out`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { SshEndpoint } from '../../build/compiled-host.js';
import { readLiveRuleset } from '../../deploy/read-ruleset.js';
import { importRuleset, type ImportOptions, type ImportResult, mergeRulesets, parseIptablesSave, parseNftJson, readRulesetText } from '../../import/index.js';
import type { ImportedRuleset } from '../../import/ruleset.js';
import { needsReview, reportJson, reportMarkdown } from '../../import/report.js';
import { parseAddress } from '../../net/address.js';
import { EXIT, type CliIo, UsageError, wholeNumber } from '../io.js';
import { fleetModel, sshOptionsOf } from '../select-hosts.js';

interface Flags {
  out: string;
  fromHost?: string;
  ssh?: string;
  host?: string;
  address?: string[];
  backend?: 'nftables' | 'iptables';
  format: 'pretty' | 'json';
  policies: string;
  identity?: string;
  knownHosts?: string;
  sshConfig?: string;
  packets: number;
  seed: number;
}

const HELP = `
Sources: saved files (iptables-save, ip6tables-save output, or \`nft -j list ruleset\` JSON; the format is
read from the content), or a live server: --from-host NAME (its SSH endpoint from hosts.yaml) or
--ssh user@address[:port]. On a server benteng runs iptables-save, ip6tables-save and nft -j list ruleset
(through sudo -n when the user is not root) and nothing else: nothing is uploaded or changed. The host
key is checked as for deploys (pinned in hosts.yaml, or known_hosts).

Output: --out DIR (must not exist or be empty) gets hosts.yaml, defaults.yaml, networks.yaml, ports.yaml,
services/*.yaml and IMPORT-REPORT.md. Every source rule benteng cannot express is in the report with its
line and why. The import is checked on random packets: the source ruleset's verdicts against benteng's
evaluator on the imported policy.

Examples:
  $ iptables-save > v4.rules; ip6tables-save > v6.rules
  $ benteng import v4.rules v6.rules --out policies --host web-01 --address 203.0.113.10
  $ benteng import --ssh admin@203.0.113.10 --out policies --host web-01

Exit codes: 0 everything imported and equivalent, 1 the report lists rules not imported or approximated
(or differences without explanation), 2 usage error, unreadable input or a syntax error in it
(file:line:col), or an unreachable server.`;

/** `user@host[:port]`, `[v6]:port`. */
function parseSshTarget(text: string): { user: string; address: string; port: number } {
  const match = /^(?:([a-z_][a-z0-9_-]{0,31})@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+|[0-9A-Fa-f:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) throw new UsageError(`--ssh: \`${text}\` is not user@address[:port]`);
  const port = match[3] !== undefined ? Number(match[3]) : 22;
  if (port < 1 || port > 65535) throw new UsageError(`--ssh: port ${port} is out of range`);
  return { user: match[1] ?? 'root', address: match[2]!.replace(/^\[|\]$/g, ''), port };
}

async function isEmptyOrAbsent(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Writes every file under a temporary sibling directory, then renames it to `out`. */
async function writeAtomically(out: string, files: Map<string, string>): Promise<void> {
  const target = resolve(out);
  const temp = join(dirname(target), `.${target.split('/').pop()}.import-${randomBytes(4).toString('hex')}`);
  try {
    for (const [path, text] of files) {
      await mkdir(dirname(join(temp, path)), { recursive: true });
      await writeFile(join(temp, path), text);
    }
    if (!(await isEmptyOrAbsent(target))) throw new UsageError(`\`${out}\` is not empty: benteng import writes only into a new or empty directory`);
    await rmdir(target).catch(() => undefined);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

async function readSources(io: CliIo, files: string[], flags: Flags): Promise<{ rulesets: ImportedRuleset[]; ssh?: ImportOptions['ssh'] } | undefined> {
  if (files.length > 0) {
    const rulesets: ImportedRuleset[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read \`${file}\`: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      rulesets.push(readRulesetText(text, file));
    }
    return { rulesets };
  }
  let endpoint: SshEndpoint;
  let label: string;
  if (flags.fromHost) {
    const model = await fleetModel(io, flags.policies);
    if (!model) return undefined;
    const host = model.hosts.find((h) => h.name === flags.fromHost);
    if (!host) throw new UsageError(`--from-host: no host \`${flags.fromHost}\` in ${flags.policies}/hosts.yaml`);
    endpoint = host.ssh;
    label = host.name;
  } else {
    const target = parseSshTarget(flags.ssh!);
    endpoint = { address: target.address, port: target.port, user: target.user };
    label = target.address;
  }
  io.stderr(`reading the live ruleset of ${label} (${endpoint.user}@${endpoint.address}:${endpoint.port}, read-only)…\n`);
  const live = await readLiveRuleset(endpoint, label, sshOptionsOf(flags));
  if (!live.ok) {
    io.stderr(`${io.chalk.red('error')}: ${live.error.message}\n`);
    return undefined;
  }
  for (const failure of live.value.failures) io.stderr(`${io.chalk.yellow('warning')}: ${failure}\n`);
  const rulesets: ImportedRuleset[] = [];
  const { iptables, ip6tables, nftJson } = live.value;
  if (iptables && /^\*/m.test(iptables.text)) rulesets.push(parseIptablesSave(iptables.text, iptables.name, 'ipv4'));
  if (ip6tables && /^\*/m.test(ip6tables.text)) rulesets.push(parseIptablesSave(ip6tables.text, ip6tables.name, 'ipv6'));
  if (nftJson) {
    const nft = parseNftJson(nftJson.text, nftJson.name);
    // Tables iptables-nft writes are read in full from iptables-save above; nft -j shows them without parameters.
    if (rulesets.length > 0 && nft.skipped) nft.skipped = nft.skipped.filter((s) => !/iptables-nft/.test(s.reason));
    rulesets.push(nft);
  }
  return { rulesets, ssh: { address: endpoint.address, port: endpoint.port, user: endpoint.user, ...(endpoint.hostKey ? { hostKey: endpoint.hostKey } : {}) } };
}

function summary(io: CliIo, result: ImportResult, out: string): string {
  const { chalk } = io;
  const e = result.equivalence;
  const count = (kind: string) => result.report.filter((r) => r.kind === kind).length;
  const lines = [
    `${chalk.bold('imported')} into ${out}: ${result.files.size + 1} files (${result.services.length} service${result.services.length === 1 ? '' : 's'}, ${result.rulesImported} rule${result.rulesImported === 1 ? '' : 's'}), report in ${join(out, 'IMPORT-REPORT.md')}`,
    `baseline: established ${result.baseline.established}, loopback ${result.baseline.loopback}, icmp ${result.baseline.icmp}`,
    `report: ${count('not-imported')} not imported, ${count('approximated')} approximated, ${count('left-out')} other software's (left out), ${count('note')} notes`,
  ];
  for (const entry of result.report.filter((r) => r.kind === 'not-imported' || r.kind === 'approximated').slice(0, 10)) {
    // Without `nft -a list ruleset` beside it, an nft -j location's line is an index in the JSON array: name the handle instead.
    const nftHandleOnly = entry.location?.handle !== undefined && entry.location.column === undefined;
    const where = entry.location ? (nftHandleOnly ? `${entry.location.file} (handle ${entry.location.handle}): ` : `${entry.location.file}:${entry.location.line}: `) : '';
    lines.push(`  ${chalk.yellow(entry.kind)} ${where}${entry.text}\n      ${chalk.dim(entry.reason)}`);
  }
  const shown = result.report.filter((r) => r.kind === 'not-imported' || r.kind === 'approximated').length;
  if (shown > 10) lines.push(`  … ${shown - 10} more in IMPORT-REPORT.md`);
  const verdict = e.unexplained === 0 ? chalk.green('equivalent') : chalk.red(`${e.unexplained} unexplained difference${e.unexplained === 1 ? '' : 's'}`);
  lines.push(`equivalence: ${e.packets} random packets (seed ${e.seed}): ${verdict}${e.explained > 0 ? `; ${e.explained} differ as the report explains` : ''}`);
  if (result.host.addressesAreTodo) lines.push(chalk.yellow(`hosts.yaml: placeholder addresses (${result.host.addresses.join(', ')}); give --address or edit the TODO`));
  return `${lines.join('\n')}\n`;
}

export function registerImport(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('import')
    .description("write policies from the rules a server runs today (iptables-save, ip6tables-save, nft -j), with a report and an equivalence check")
    .argument('[files...]', 'saved rulesets: iptables-save / ip6tables-save output or nft -j list ruleset JSON')
    .requiredOption('-o, --out <dir>', 'directory to write the policies to (new or empty)')
    .option('--from-host <name>', 'read the live ruleset of this host of the inventory (--policies) over SSH')
    .option('--ssh <user@address[:port]>', 'read the live ruleset of this server over SSH')
    .option('--host <name>', 'host name in the written hosts.yaml', 'imported-host')
    .option('--address <address...>', "the host's own addresses (guessed from the rules when absent)")
    .addOption(new Option('--backend <backend>', 'backend in hosts.yaml (default: the source format)').choices(['nftables', 'iptables']))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['pretty', 'json']).default('pretty'))
    .option('-p, --policies <dir>', 'inventory for --from-host', 'policies')
    .option('-i, --identity <file>', 'SSH private key')
    .option('--known-hosts <file>', 'known_hosts file for hosts without a pinned hostKey')
    .option('--ssh-config <file>', 'OpenSSH client config (default ~/.ssh/config; none: no file)')
    .option('--packets <n>', 'random packets for the equivalence check', wholeNumber(1), 4000)
    .option('--seed <n>', 'seed of the random packets', wholeNumber(0), 1)
    .addHelpText('after', HELP)
    .action(async (files: string[], flags: Flags) => {
      const sources = [files.length > 0, flags.fromHost !== undefined, flags.ssh !== undefined].filter(Boolean).length;
      if (sources !== 1) throw new UsageError('give saved ruleset files, or --from-host NAME, or --ssh user@address (exactly one of them)');
      if (flags.host !== undefined && !/^[a-z][a-z0-9-]{0,47}$/.test(flags.host)) throw new UsageError(`--host: \`${flags.host}\` is not a host name (lowercase letters, digits and hyphens, starting with a letter)`);
      for (const address of flags.address ?? []) if (!parseAddress(address).ok) throw new UsageError(`--address: \`${address}\` is not an IPv4 or IPv6 address`);
      if (!(await isEmptyOrAbsent(flags.out))) throw new UsageError(`\`${flags.out}\` is not empty: benteng import writes only into a new or empty directory`);

      const read = await readSources(io, files, flags);
      if (!read) return setExit(EXIT.usage);
      const seen = new Map<string, string>();
      for (const one of read.rulesets) {
        const families = [...new Set(one.chains.map((c) => c.family))];
        for (const family of one.format === 'iptables-save' ? families : []) {
          const key = `${one.format} ${family}`;
          if (seen.has(key)) throw new UsageError(`${seen.get(key)} and ${one.sources.join(', ')} are both ${family === 'ipv4' ? 'IPv4' : 'IPv6'} iptables-save rulesets: import one host at a time`);
          seen.set(key, one.sources.join(', '));
        }
      }
      const ruleset = mergeRulesets(...read.rulesets);
      if (ruleset.errors.length > 0) {
        for (const error of ruleset.errors) io.stderr(`${error.location.file}:${error.location.line}:${error.location.column ?? 1}: ${io.chalk.red('error')}: ${error.message}\n`);
        io.stderr(`${io.chalk.red('error')}: the source ruleset has ${ruleset.errors.length} syntax error${ruleset.errors.length === 1 ? '' : 's'}; nothing was written\n`);
        return setExit(EXIT.usage);
      }
      if (ruleset.chains.length === 0) {
        io.stderr(`${io.chalk.red('error')}: no chains in ${ruleset.sources.join(', ')}: nothing to import\n`);
        return setExit(EXIT.usage);
      }
      const result = importRuleset(ruleset, {
        host: flags.host ?? 'imported-host',
        ...(flags.address ? { addresses: flags.address } : {}),
        ...(flags.backend ? { backend: flags.backend } : {}),
        ...(read.ssh ? { ssh: read.ssh } : {}),
        dir: flags.out,
        equivalence: { packets: flags.packets, seed: flags.seed },
      });
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        for (const d of errors) io.stderr(`${d.span ? `${d.span.file}:${d.span.start.line}:${d.span.start.column}: ` : ''}${io.chalk.red('error')}: ${d.message} [${d.code}]\n`);
        throw new Error('the imported policy does not pass benteng lint; nothing was written');
      }
      const out = new Map(result.files);
      out.set('IMPORT-REPORT.md', reportMarkdown(result, ruleset.sources));
      await writeAtomically(flags.out, out);
      io.stdout(flags.format === 'json' ? `${JSON.stringify(reportJson(result, flags.out, ruleset.sources), null, 2)}\n` : summary(io, result, flags.out));
      setExit(needsReview(result) ? EXIT.findings : EXIT.ok);
    });
}
