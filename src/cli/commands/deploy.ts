import type { Command } from 'commander';
import { execFile } from 'node:child_process';
import { buildFleet } from '../../build/index.js';
import type { CompiledHost } from '../../build/compiled-host.js';
import { deployFleet, rollbackHost, statusHost, type Connect, type DeployOptions, type DeployProgress, type DeployReport, type SshOptions, type StatusReport } from '../../deploy/index.js';
import { REPORTERS } from '../../report/index.js';
import { EXIT, type CliIo, UsageError, wholeNumber } from '../io.js';
import { fleetModel, selectHostNames, type SelectableHost } from '../select-hosts.js';
import { retryingConnector } from '../ssh-connector.js';

interface ConnectionFlags {
  policies: string;
  identity?: string;
  knownHosts?: string;
  sshConfig?: string;
  stateDir?: string;
}

/** Flags → SSH options; what the SSH layer notes (a skipped Match block, an ignored ProxyCommand) is printed once. */
function sshOptions(io: CliIo, flags: ConnectionFlags): SshOptions {
  const ssh: SshOptions = {};
  if (flags.identity) ssh.privateKeyPath = flags.identity;
  if (flags.knownHosts) ssh.knownHostsPath = flags.knownHosts;
  if (flags.sshConfig) ssh.sshConfigPath = flags.sshConfig;
  const noted = new Set<string>();
  ssh.onNote = (note) => {
    if (noted.has(note)) return;
    noted.add(note);
    io.stderr(`${io.chalk.yellow('note')}: ${note}\n`);
  };
  return ssh;
}


/** Compiles the fleet; prints diagnostics and returns undefined when the policies have errors. */
async function compile(io: CliIo, flags: ConnectionFlags): Promise<CompiledHost[] | undefined> {
  const result = await buildFleet(flags.policies);
  if (result.hosts.length === 0) {
    io.stderr(REPORTERS.pretty!(result.diagnostics, { chalk: io.chalk, sources: result.sources }));
    io.stderr(`${io.chalk.red('error')}: the policies have errors; nothing was deployed\n`);
    return undefined;
  }
  return result.hosts;
}

/**
 * Host names, `tag:T` or `--all` → compiled hosts (selection shared with block and drops). Tags are
 * read from the resolved inventory, loaded again only when a `tag:` selector is given.
 */
async function selectHosts(io: CliIo, policies: string, all: CompiledHost[], selectors: string[], everyHost: boolean): Promise<CompiledHost[] | undefined> {
  let inventory: SelectableHost[] = all.map((h) => ({ name: h.host, tags: [] }));
  if (selectors.some((s) => s.startsWith('tag:'))) {
    const model = await fleetModel(io, policies);
    if (!model) return undefined;
    inventory = model.hosts;
  }
  const names = new Set(selectHostNames(inventory, selectors, everyHost));
  return all.filter((h) => names.has(h.host));
}

/** The git commit of the policies directory, recorded in the audit log; undefined outside git. */
function policyCommit(dir: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', timeout: 10_000 }, (error, stdout) => {
      const commit = stdout.trim();
      resolve(!error && /^[0-9a-f]{7,40}$/.test(commit) ? commit : undefined);
    });
  });
}

function progressPrinter(io: CliIo): (event: DeployProgress) => void {
  return (event) => {
    const detail = event.detail ? ` ${io.chalk.dim(event.detail)}` : '';
    io.stderr(`${io.chalk.cyan(`[${event.host}]`)} ${event.step}${detail}\n`);
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function deploySummary(io: CliIo, reports: DeployReport[]): string {
  const colour = (r: DeployReport) =>
    r.ok ? io.chalk.green(r.outcome) : r.outcome === 'rollback-failed' ? io.chalk.bgRed.white.bold(r.outcome) : io.chalk.red(r.outcome);
  const text = table(
    ['host', 'backend', 'outcome', 'seconds', 'message'],
    reports.map((r) => [r.host, r.backend, colour(r), (r.durationMs / 1000).toFixed(1), r.message]),
  );
  const alarms = reports
    .filter((r) => r.outcome === 'rollback-failed')
    .map((r) => `${io.chalk.bgRed.white.bold('ROLLBACK FAILED')} on ${r.host}: the new rules may still be live; check the host's console now\n`);
  return text + alarms.join('');
}

const STATE_TEXT: Record<string, string> = {
  'in-sync': 'in sync',
  drifted: 'drifted',
  'not-deployed': 'not deployed',
  'pending-confirmation': 'pending',
};

function amount(packets: number, bytes: number): string {
  const size = bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
  return `${packets} pkts, ${size}`;
}

/** Per service and direction: accepted and dropped packets and bytes. */
function counterTable(r: StatusReport): string {
  const rows = new Map<string, { service: string; direction: string; accept: [number, number]; drop: [number, number] }>();
  for (const c of r.counters ?? []) {
    const key = `${c.service} ${c.direction}`;
    const row = rows.get(key) ?? { service: c.service, direction: c.direction, accept: [0, 0], drop: [0, 0] };
    row[c.verdict] = [row[c.verdict][0] + c.packets, row[c.verdict][1] + c.bytes];
    rows.set(key, row);
  }
  const body = table(
    ['  service', 'direction', 'accepted', 'dropped'],
    [...rows.values()].map((row) => [`  ${row.service}`, row.direction, amount(...row.accept), amount(...row.drop)]),
  );
  return body;
}

function statusDetails(r: StatusReport): string[] {
  const lines: string[] = [];
  for (const p of r.pending) {
    lines.push(
      p.timerAlive
        ? `deploy ${p.id} awaits confirmation; the server rolls back in ${p.secondsLeft ?? '?'} s`
        : `deploy ${p.id} is pending but its rollback timer is gone (reboot or killed); the next deploy, rollback or boot rolls it back`,
    );
  }
  for (const u of r.unfinished ?? []) lines.push(`unfinished transition ${u} (a crash or a full state filesystem); the next deploy or boot finishes it`);
  if (r.lockedBy) lines.push(`locked by ${r.lockedBy}`);
  const deployed = [...r.audit].reverse().find((a) => a.outcome === 'confirmed' || a.outcome === 'confirmed-not-persisted');
  if (deployed) {
    lines.push(`last deploy ${deployed.time} by ${deployed.user} from ${deployed.client}${deployed.commit && deployed.commit !== 'none' ? `, commit ${deployed.commit}` : ''} (${deployed.action})`);
  }
  if (r.blocks && r.blocks.length > 0) {
    lines.push(`${r.blocks.length} active block${r.blocks.length > 1 ? 's' : ''}: ${r.blocks.map((b) => b.address).join(', ')} (benteng blocks ${r.host})`);
  }
  for (const c of r.foreignChains ?? []) lines.push(`other base chain on a benteng hook: ${c} (it runs too; a drop there also drops)`);
  return lines;
}

function connectionOptions(command: Command): Command {
  return command
    .option('-p, --policies <dir>', 'policies directory', 'policies')
    .option('-i, --identity <file>', 'SSH private key, offered first (then the ssh config\'s IdentityFile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa; and ssh-agent)')
    .option('--known-hosts <file>', 'known_hosts file for hosts without a pinned hostKey (default ~/.ssh/known_hosts)')
    .option('--ssh-config <file>', 'OpenSSH client config for HostName, User, Port, IdentityFile, ProxyJump (default $BENTENG_SSH_CONFIG or ~/.ssh/config; none: no file)')
    .option('--state-dir <dir>', 'state directory on the servers (default /var/lib/benteng)');
}

export function registerDeploy(program: Command, io: CliIo, setExit: (code: number) => void): void {
  connectionOptions(
    program
      .command('deploy')
      .description('compile, then apply each host\'s ruleset over SSH; the server rolls back by itself unless a new SSH connection confirms in time')
      .argument('[hosts...]', 'host names from hosts.yaml, or tag:T for every host with tag T'),
  )
    .option('-a, --all', 'deploy every host in the inventory')
    .option('-n, --dry-run', 'connect and show the diff between the live ruleset and the compiled one; change nothing')
    .option('-t, --confirm-timeout <seconds>', 'seconds before the server rolls back an unconfirmed ruleset', wholeNumber(1), 30)
    .option('-j, --parallel <n>', 'hosts deployed at once', wholeNumber(1), 4)
    .option('--canary', 'deploy the first host alone first; stop if it fails')
    .addHelpText('after', '\nExit codes: 0 every host confirmed (or dry run), 1 policy errors or any host failed or rolled back, 2 usage error.')
    .action(async (hosts: string[], flags: ConnectionFlags & { all?: boolean; dryRun?: boolean; confirmTimeout: number; parallel: number; canary?: boolean }) => {
      const compiled = await compile(io, flags);
      if (!compiled) return setExit(EXIT.findings);
      const targets = await selectHosts(io, flags.policies, compiled, hosts, flags.all === true);
      if (!targets) return setExit(EXIT.findings);
      const options: DeployOptions & { parallel: number; canary: boolean } = {
        confirmTimeoutSeconds: flags.confirmTimeout,
        dryRun: flags.dryRun === true,
        ssh: sshOptions(io, flags),
        parallel: flags.parallel,
        canary: flags.canary === true,
      };
      const commit = await policyCommit(flags.policies);
      if (commit) options.commit = commit;
      if (flags.stateDir) options.server = { stateDir: flags.stateDir };
      const fleet = await deployFleet(targets, options, progressPrinter(io), retryingConnector(io));
      for (const report of fleet.reports) if (report.diff) io.stdout(`--- ${report.host}\n${report.diff}\n`);
      io.stdout(deploySummary(io, fleet.reports));
      setExit(fleet.ok ? EXIT.ok : EXIT.findings);
    });

  connectionOptions(
    program.command('rollback').description('restore the previous confirmed ruleset on a host').argument('<host>', 'host name from hosts.yaml (or a tag:T that names one host)'),
  )
    .option('-t, --confirm-timeout <seconds>', 'seconds before the server undoes the rollback itself if it cuts access', wholeNumber(1), 30)
    .action(async (host: string, flags: ConnectionFlags & { confirmTimeout: number }) => {
      const compiled = await compile(io, flags);
      if (!compiled) return setExit(EXIT.findings);
      const targets = await selectHosts(io, flags.policies, compiled, [host], false);
      if (!targets) return setExit(EXIT.findings);
      if (targets.length !== 1) throw new UsageError(`rollback restores one host at a time; \`${host}\` names ${targets.length}`);
      const options: DeployOptions = { confirmTimeoutSeconds: flags.confirmTimeout, ssh: sshOptions(io, flags) };
      if (flags.stateDir) options.server = { stateDir: flags.stateDir };
      const report = await rollbackHost(targets[0]!, options, progressPrinter(io), retryingConnector(io));
      io.stdout(deploySummary(io, [report]));
      setExit(report.ok ? EXIT.ok : EXIT.findings);
    });

  connectionOptions(
    program.command('status').description('compare each host\'s live ruleset with the compiled one (in sync, drifted, pending) and show recent deploys').argument('[hosts...]', 'host names or tag:T'),
  )
    .option('-a, --all', 'every host in the inventory')
    .option('-f, --format <format>', 'text or json', 'text')
    .addHelpText('after', '\nReads only: uploads nothing and changes nothing on the servers.\nExit codes: 0 every host in sync, 1 any host drifted, pending, not deployed or unreachable, 2 usage error.')
    .action(async (hosts: string[], flags: ConnectionFlags & { all?: boolean; format: string }) => {
      if (flags.format !== 'text' && flags.format !== 'json') throw new UsageError(`unknown format "${flags.format}" (text or json)`);
      const compiled = await compile(io, flags);
      if (!compiled) return setExit(EXIT.findings);
      const targets = await selectHosts(io, flags.policies, compiled, hosts, flags.all === true);
      if (!targets) return setExit(EXIT.findings);
      const server = flags.stateDir ? { stateDir: flags.stateDir } : undefined;
      const ssh = sshOptions(io, flags);
      const connect = retryingConnector(io);
      const reports: StatusReport[] = await Promise.all(targets.map((t) => statusHost(t, { ssh, ...(server ? { server } : {}) }, connect)));
      setExit(reports.every((r) => r.ok && r.state === 'in-sync') ? EXIT.ok : EXIT.findings);
      if (flags.format === 'json') {
        io.stdout(JSON.stringify(reports, null, 2) + '\n');
        return;
      }
      const stateText = (r: StatusReport) => {
        const text = !r.ok ? 'unreachable' : STATE_TEXT[r.state ?? ''] ?? r.state ?? '?';
        return !r.ok ? io.chalk.red(text) : r.state === 'in-sync' ? io.chalk.green(text) : io.chalk.yellow(text);
      };
      io.stdout(
        table(
          ['host', 'state', 'live', 'compiled', 'last deploy'],
          reports.map((r) => {
            const last = [...r.audit].reverse().find((a) => a.action === 'deploy' || a.action === 'rollback');
            return [
              r.host,
              stateText(r),
              r.liveHash?.slice(0, 12) ?? '-',
              r.compiledHash?.slice(0, 12) ?? '-',
              r.error?.message ?? (last ? `${last.time} ${last.action} ${last.outcome} by ${last.user}` : '-'),
            ];
          }),
        ),
      );
      for (const r of reports) {
        const details = statusDetails(r);
        if (details.length > 0) io.stdout(details.map((d) => `${r.host}: ${d}\n`).join(''));
        if (r.counters && r.counters.length > 0) io.stdout(`${r.host}: counters since the last deploy\n${counterTable(r)}`);
        if (r.diff) io.stdout(`--- ${r.host}: what differs (compiled → live)\n${r.diff}`);
      }
    });
}
