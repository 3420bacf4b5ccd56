import type { Command } from 'commander';
import type { CompiledHost } from '../../build/compiled-host.js';
import { blockHosts, type Connect, listBlocks, unblockHosts, type BlockHostReport } from '../../deploy/index.js';
import { formatDuration, guardRails, parseBlockAddress, parseDuration, type BlockAddress } from '../../incident/block-request.js';
import { EXIT, type CliIo, UsageError } from '../io.js';
import { fleetModel, selectTargets, sshOptionsOf, type ServerFlags } from '../select-hosts.js';
import { retryingConnector } from '../ssh-connector.js';

type Flags = ServerFlags;
const sshOptions = sshOptionsOf;

/** Splits positional words into addresses and host selectors; a bad address is a usage error. */
function splitWords(words: string[]): { addresses: BlockAddress[]; selectors: string[] } {
  const addresses: BlockAddress[] = [];
  const selectors: string[] = [];
  for (const word of words) {
    const looksLikeAddress = /^[0-9a-fA-F:.]+(\/\d+)?$/.test(word) && /[.:]/.test(word);
    if (!looksLikeAddress) {
      selectors.push(word);
      continue;
    }
    const parsed = parseBlockAddress(word);
    if (!parsed.ok) throw new UsageError(parsed.message);
    addresses.push(parsed.value);
  }
  if (addresses.length === 0) throw new UsageError('give at least one address or CIDR to block');
  return { addresses, selectors };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function common(command: Command): Command {
  return command
    .option('-a, --all', 'every host in the inventory')
    .option('-p, --policies <dir>', 'policies directory', 'policies')
    .option('-i, --identity <file>', 'SSH private key (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa, or ssh-agent)')
    .option('--known-hosts <file>', 'known_hosts file for hosts without a pinned hostKey')
    .option('--ssh-config <file>', 'OpenSSH client config for HostName, User, Port, IdentityFile, ProxyJump (default $BENTENG_SSH_CONFIG or ~/.ssh/config; none: no file)')
    .option('--state-dir <dir>', 'state directory on the servers (default /var/lib/benteng)')
    .option('-f, --format <format>', 'text or json', 'text');
}

function checkFormat(flags: Flags): void {
  if (flags.format !== 'text' && flags.format !== 'json') throw new UsageError(`unknown format "${flags.format}" (text or json)`);
}

/**
 * The address this client reaches the servers from, as the first server that answers sees it (an
 * unreachable first host must not switch the guard rail off for the others).
 */
async function clientAddresses(targets: CompiledHost[], flags: Flags, connect: Connect): Promise<string[]> {
  for (const target of targets) {
    const connected = await connect(target.ssh, sshOptions(flags));
    if (!connected.ok) continue;
    try {
      const r = await connected.value.exec(`echo "$SSH_CLIENT" | cut -d' ' -f1`);
      const address = r.stdout.trim();
      if (/^[0-9A-Fa-f.:]+$/.test(address)) return [address];
    } finally {
      connected.value.close();
    }
  }
  return [];
}

export function registerBlock(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const server = (flags: Flags) => (flags.stateDir ? { server: { stateDir: flags.stateDir } } : {});
  const failedHosts = (reports: BlockHostReport[]) => reports.filter((r) => !r.ok);
  const errors = (reports: BlockHostReport[]) =>
    failedHosts(reports).map((r) => `${io.chalk.red('error')}: ${r.host}: ${r.error?.message ?? 'failed'}\n`).join('');

  common(
    program
      .command('block')
      .description('block addresses on servers now, without a deploy: dynamic entries that expire on their own')
      .argument('<words...>', 'addresses or CIDRs to block, then host names, tag:TAG, or --all'),
  )
    .requiredOption('-t, --ttl <duration>', 'how long the block lasts: 90s, 15m, 1h30m, 7d (required)')
    .requiredOption('-r, --reason <text>', 'why (recorded on each server with who and when)')
    .option('--max-ttl <duration>', 'largest TTL accepted (a dynamic block is for an incident; permanent ones go in blocklist.yaml)', '30d')
    .option('--force', 'block even an address that covers an admin network, a fleet host or this client')
    .addHelpText(
      'after',
      '\nExamples:\n  benteng block 203.0.113.66 --ttl 24h --reason "defacement, CSIRT-114" --all\n  benteng block 2001:db8:bad::/48 --ttl 7d --reason "scanner" tag:web\n\nBlocks survive redeploys, rollbacks and reboots until they expire.\nExit codes: 0 added on every host, 1 any host failed or a guard rail refused, 2 usage error.',
    )
    .action(async (words: string[], flags: Flags & { ttl: string; reason: string; maxTtl: string; force?: boolean }) => {
      checkFormat(flags);
      const { addresses, selectors } = splitWords(words);
      const ttl = parseDuration(flags.ttl);
      if (!ttl.ok) throw new UsageError(`--ttl: ${ttl.message}`);
      const max = parseDuration(flags.maxTtl);
      if (!max.ok) throw new UsageError(`--max-ttl: ${max.message}`);
      if (ttl.value > max.value) {
        throw new UsageError(`--ttl ${flags.ttl} is longer than the maximum ${flags.maxTtl}; put permanent blocks in blocklist.yaml`);
      }
      const reason = flags.reason.trim();
      if (!reason) throw new UsageError('--reason must say why');
      const model = await fleetModel(io, flags.policies);
      if (!model) return setExit(EXIT.findings);
      const targets = selectTargets(model, selectors, flags.all === true);
      const refuse = (clients: string[]) =>
        flags.force ? [] : addresses.flatMap((a) => guardRails(a, model, clients).map((why) => `refusing to block ${a.text}: ${why} (use --force if you mean it)`));
      let refusals = refuse([]);
      const connect = retryingConnector(io);
      if (refusals.length === 0 && !flags.force) refusals = refuse(await clientAddresses(targets, flags, connect));
      if (refusals.length > 0) {
        io.stderr(refusals.map((r) => `${io.chalk.red('error')}: ${r}\n`).join(''));
        io.stderr('nothing was changed on any server\n');
        return setExit(EXIT.findings);
      }
      io.stderr(`blocking ${addresses.map((a) => a.text).join(', ')} for ${formatDuration(ttl.value)} on ${targets.length} host${targets.length === 1 ? '' : 's'}…\n`);
      const reports = await blockHosts(targets, addresses.map((a) => a.text), ttl.value, reason, { ssh: sshOptions(flags), ...server(flags) }, connect);
      setExit(failedHosts(reports).length === 0 ? EXIT.ok : EXIT.findings);
      if (flags.format === 'json') return io.stdout(JSON.stringify(reports, null, 2) + '\n');
      io.stdout(table(['host', 'added', 'expires', 'seconds'], reports.map((r) => [r.host, r.ok ? r.changed.join(' ') : io.chalk.red('failed'), r.expiresAt ?? '-', (r.durationMs / 1000).toFixed(1)])));
      io.stderr(errors(reports) + reports.flatMap((r) => r.warnings.map((w) => `warning: ${r.host}: ${w}\n`)).join(''));
    });

  common(
    program
      .command('unblock')
      .description('remove dynamic blocks now')
      .argument('<words...>', 'addresses or CIDRs, then host names, tag:TAG, or --all'),
  ).action(async (words: string[], flags: Flags) => {
    checkFormat(flags);
    const { addresses, selectors } = splitWords(words);
    const model = await fleetModel(io, flags.policies);
    if (!model) return setExit(EXIT.findings);
    const targets = selectTargets(model, selectors, flags.all === true);
    const reports = await unblockHosts(targets, addresses.map((a) => a.text), { ssh: sshOptions(flags), ...server(flags) }, retryingConnector(io));
    setExit(failedHosts(reports).length === 0 ? EXIT.ok : EXIT.findings);
    if (flags.format === 'json') return io.stdout(JSON.stringify(reports, null, 2) + '\n');
    io.stdout(table(['host', 'removed', 'not blocked there'], reports.map((r) => [r.host, r.ok ? r.changed.join(' ') || '-' : io.chalk.red('failed'), r.absent.join(' ') || '-'])));
    io.stderr(errors(reports));
  });

  common(program.command('blocks').description('list active dynamic blocks with expiry, reason, who and when (reads only)').argument('[hosts...]', 'host names or tag:TAG'))
    .action(async (selectors: string[], flags: Flags) => {
      checkFormat(flags);
      const model = await fleetModel(io, flags.policies);
      if (!model) return setExit(EXIT.findings);
      const targets = selectTargets(model, selectors, flags.all === true);
      const reports = await listBlocks(targets, { ssh: sshOptions(flags), ...server(flags) }, retryingConnector(io));
      setExit(failedHosts(reports).length === 0 ? EXIT.ok : EXIT.findings);
      if (flags.format === 'json') return io.stdout(JSON.stringify(reports, null, 2) + '\n');
      const rows = reports.flatMap((r) =>
        r.active.map((b) => [r.host, b.address, b.expiresAt, formatDuration(b.secondsLeft), b.reason ?? '-', b.user ? `${b.user}@${b.client}` : '-', b.time ?? '-']),
      );
      io.stdout(rows.length ? table(['host', 'address', 'expires', 'left', 'reason', 'by', 'since'], rows) : 'no active blocks\n');
      io.stderr(errors(reports));
    });
}
