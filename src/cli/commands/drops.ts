import type { Command } from 'commander';
import { buildFleet } from '../../build/index.js';
import { REPORTERS } from '../../report/index.js';
import { readDrops, type DropsReport } from '../../deploy/index.js';
import { formatDuration, parseDuration } from '../../incident/block-request.js';
import { EXIT, type CliIo, UsageError } from '../io.js';
import { fleetModel, selectTargets, sshOptionsOf, type ServerFlags } from '../select-hosts.js';
import { retryingConnector } from '../ssh-connector.js';

interface Flags extends ServerFlags {
  since: string;
  top: string;
  peer?: string;
}

function render(io: CliIo, r: DropsReport): string {
  if (!r.ok) return `${io.chalk.cyan(r.host)}: ${io.chalk.red('unreachable')}: ${r.error?.message ?? ''}\n`;
  if (r.total === 0) return `${io.chalk.cyan(r.host)}: no logged drops (${r.logSource})\n`;
  const list = (items: { value: string; count: number }[]) => items.map((i) => `${i.value} ×${i.count}`).join(', ');
  return [
    `${io.chalk.cyan(r.host)}: ${r.total} logged drop${r.total === 1 ? '' : 's'} (${r.logSource})`,
    `  top sources: ${list(r.sources)}`,
    `  top ports:   ${list(r.ports) || '-'}`,
    ...r.rules.map((a) => `  ${String(a.count).padStart(6)}  ${a.direction.padEnd(7)}  ${a.what}`),
    '',
  ].join('\n');
}

export function registerDrops(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('drops')
    .description('what the firewalls dropped lately: top sources, destination ports, and the rule or default drop responsible (reads only)')
    .argument('[hosts...]', 'host names or tag:TAG')
    .option('-a, --all', 'every host in the inventory')
    .option('-s, --since <duration>', 'how far back: 90s, 15m, 2h', '15m')
    .option('--top <n>', 'how many sources and ports to show', '10')
    .option('--peer <address>', 'only drops from (ingress) or to (egress) this address: what did this attacker try?')
    .option('-p, --policies <dir>', 'policies directory', 'policies')
    .option('-i, --identity <file>', 'SSH private key')
    .option('--known-hosts <file>', 'known_hosts file for hosts without a pinned hostKey')
    .option('--ssh-config <file>', 'OpenSSH client config for HostName, User, Port, IdentityFile, ProxyJump (default $BENTENG_SSH_CONFIG or ~/.ssh/config; none: no file)')
    .option('--state-dir <dir>', 'state directory on the servers (default /var/lib/benteng)')
    .option('-f, --format <format>', 'text or json', 'text')
    .addHelpText(
      'after',
      '\nReads the kernel log on each server (the journal where journald runs, else dmesg): lines of drops the\nrulesets logged, prefixed `bt <i|o> <key>: `, attributed through the compiled rulesets\' log keys.\nExit codes: 0 read every host, 1 a host could not be read, 2 usage error.',
    )
    .action(async (selectors: string[], flags: Flags) => {
      if (flags.format !== 'text' && flags.format !== 'json') throw new UsageError(`unknown format "${flags.format}" (text or json)`);
      const since = parseDuration(flags.since);
      if (!since.ok) throw new UsageError(`--since: ${since.message}`);
      const top = Number(flags.top);
      if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive whole number`);
      const model = await fleetModel(io, flags.policies);
      if (!model) return setExit(EXIT.findings);
      const names = new Set(selectTargets(model, selectors, flags.all === true).map((t) => t.host));
      const built = await buildFleet(flags.policies);
      const targets = built.hosts.filter((h) => names.has(h.host));
      if (targets.length < names.size) {
        // The log keys come from the compiled rulesets: without them no line can be attributed.
        io.stderr(REPORTERS.pretty!(built.diagnostics.filter((d) => d.severity === 'error'), { chalk: io.chalk, sources: built.sources }));
        io.stderr(`${io.chalk.red('error')}: the policies have errors, so the drop log cannot be attributed; nothing was read\n`);
        return setExit(EXIT.findings);
      }
      io.stderr(`reading the drop log of the last ${formatDuration(since.value)} on ${targets.length} host${targets.length === 1 ? '' : 's'}…\n`);
      if (flags.peer !== undefined && !/^[0-9a-fA-F:.]+$/.test(flags.peer)) throw new UsageError(`--peer: "${flags.peer}" is not an address`);
      const reports = await readDrops(targets, since.value, {
        top,
        ...(flags.peer ? { peer: flags.peer } : {}),
        ssh: sshOptionsOf(flags),
        ...(flags.stateDir ? { server: { stateDir: flags.stateDir } } : {}),
      }, retryingConnector(io));
      setExit(reports.every((r) => r.ok) ? EXIT.ok : EXIT.findings);
      io.stdout(flags.format === 'json' ? JSON.stringify(reports, null, 2) + '\n' : reports.map((r) => render(io, r)).join(''));
    });
}
