/**
 * The kernel half of the benchmark (root only): how long the kernel takes to load the generated
 * rulesets, and what a big ruleset costs per packet, measured as new TCP connections per second through
 * it against a minimal ruleset. Everything runs in throwaway network namespaces named
 * `bt-bench-<pid>-<n>`, removed in `finally`; only documentation addresses are used.
 */
import { IPSET_BLOCK_V4, IPSET_BLOCK_V6 } from '../src/build/compiled-host.js';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConnectResult } from './connect-load.js';

const run = promisify(execFile);

/** Why the kernel benchmarks cannot run here, or undefined when they can. */
export function kernelUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  for (const tool of ['ip', 'nft', 'iptables-restore', 'ip6tables-restore', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `\`${tool}\` is not installed`;
  }
  return undefined;
}

/** Namespaces this process created; `removeAll` deletes them (call it in `finally`). */
export class Namespaces {
  private readonly names: string[] = [];
  private counter = 0;

  create(): string {
    const name = `bt-bench-${process.pid}-${this.counter++}`;
    must(spawnSync('ip', ['netns', 'add', name]), `ip netns add ${name}`);
    this.names.push(name);
    must(spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']), `lo up in ${name}`);
    createBlockIpsets(name);
    return name;
  }

  remove(name: string): void {
    const i = this.names.indexOf(name);
    if (i === -1) return;
    this.names.splice(i, 1);
    spawnSync('ip', ['netns', 'del', name]);
  }

  removeAll(): void {
    for (const name of [...this.names]) this.remove(name);
  }
}

/** Emitted iptables rulesets match the dynamic-block ipsets; they must exist before a restore (the deploy agent creates them on servers). */
export function createBlockIpsets(ns: string): void {
  for (const [set, family] of [[IPSET_BLOCK_V4, 'inet'], [IPSET_BLOCK_V6, 'inet6']] as const) {
    must(spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'create', '-exist', set, 'hash:net', 'family', family, 'timeout', '0']), `ipset create ${set} in ${ns}`);
  }
}

function must(result: ReturnType<typeof spawnSync>, what: string): void {
  if (result.status !== 0) throw new Error(`${what} failed (${result.status ?? result.signal}): ${String(result.stderr ?? '').trim()}`);
}

function inNamespace(ns: string, command: string[]): string[] {
  return [`--net=/run/netns/${ns}`, ...command];
}

/** Runs `command` in the namespace and returns its wall time in milliseconds (process start included). */
function timed(ns: string, command: string[], what: string): number {
  const start = performance.now();
  const result = spawnSync('nsenter', inNamespace(ns, command), { encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  must(result, what);
  return ms;
}

function flush(ns: string): void {
  must(spawnSync('nsenter', inNamespace(ns, ['nft', 'flush', 'ruleset'])), `nft flush ruleset in ${ns}`);
}

export type LoadKind = 'nft' | 'iptables-restore' | 'ip6tables-restore';

export interface LoadTiming {
  /** Sum over the hosts' files of the time to load each into an empty namespace. */
  totalMs: number;
  /** The slowest single host. */
  maxMs: number;
  maxHost: string;
  files: number;
}

const LOAD_COMMAND: Record<LoadKind, (file: string) => string[]> = {
  nft: (file) => ['nft', '-f', file],
  'iptables-restore': (file) => ['iptables-restore', '--noflush', file],
  'ip6tables-restore': (file) => ['ip6tables-restore', '--noflush', file],
};

/**
 * Loads each host's file into one namespace in turn (flushed between hosts, not timed), as a first
 * deploy to each host would, and times every load.
 */
export function timeLoads(namespaces: Namespaces, kind: LoadKind, files: ReadonlyMap<string, string>): LoadTiming {
  const ns = namespaces.create();
  try {
    const timing: LoadTiming = { totalMs: 0, maxMs: 0, maxHost: '', files: files.size };
    for (const [host, file] of files) {
      const ms = timed(ns, LOAD_COMMAND[kind](file), `${kind} ${file}`);
      timing.totalMs += ms;
      if (ms > timing.maxMs) Object.assign(timing, { maxMs: ms, maxHost: host });
      flush(ns);
    }
    return timing;
  } finally {
    namespaces.remove(ns);
  }
}

const EMPTY_RULESET: Record<LoadKind, string> = {
  nft: 'table inet bt_empty {}\n',
  'iptables-restore': '*filter\nCOMMIT\n',
  'ip6tables-restore': '*filter\nCOMMIT\n',
};

/** What loading a trivial ruleset costs (process start, netlink setup): the floor of each host's load. */
export async function timeEmptyLoad(namespaces: Namespaces, kind: LoadKind, workDir: string, runs = 5): Promise<number[]> {
  const file = join(workDir, `empty-${kind}`);
  await writeFile(file, EMPTY_RULESET[kind]);
  const ns = namespaces.create();
  try {
    return Array.from({ length: runs }, () => {
      const ms = timed(ns, LOAD_COMMAND[kind](file), `${kind} ${file}`);
      flush(ns);
      return ms;
    });
  } finally {
    namespaces.remove(ns);
  }
}

/** What the per-packet benchmark sends and through which rulesets. */
export interface PerPacketPlan {
  host: string;
  serverV4: string;
  clientV4: string;
  port: number;
  /** The host's generated rulesets (nft, iptables-restore v4 file) as files. */
  nftFile: string;
  iptablesV4File: string;
  /** The same emitter's output for the host with only the fleet defaults and the deciding rule. */
  oneRuleNftFile: string;
  oneRuleIptablesV4File: string;
  /** Where the packets are decided in the host's input chain (first match, 1-based) and its length. */
  decidingRule: string;
  decidingPosition: number;
  inputRules: number;
}

export interface PerPacketOptions {
  trials: number;
  seconds: number;
  parallel: number;
  workDir: string;
  repoRoot: string;
}

/**
 * `minimal`: a hand-written ruleset accepting the same traffic; `one rule`: benteng's output for the
 * host reduced to the fleet defaults and the rule that accepts the traffic (same shape, tiny maps);
 * `generated`: the host's whole generated ruleset.
 */
export type PerPacketConfig = `${'nftables' | 'iptables'} ${'minimal' | 'one rule' | 'generated'}`;
export const PER_PACKET_CONFIGS: readonly PerPacketConfig[] = [
  'nftables minimal',
  'nftables one rule',
  'nftables generated',
  'iptables minimal',
  'iptables one rule',
  'iptables generated',
];

export interface PerPacketResult {
  /** Connections per second of each trial, by configuration. */
  rates: Record<PerPacketConfig, number[]>;
  failures: Record<PerPacketConfig, number>;
}

function minimalNft(port: number): string {
  return `table inet bt_minimal {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tiif "lo" accept
\t\ttcp dport ${port} accept
\t}
}
`;
}

function minimalIptables(port: number): string {
  return `*filter
:INPUT DROP [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport ${port} -j ACCEPT
COMMIT
`;
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('connection server did not start in 15 s')), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`connection server exited (${code})`));
    });
  });
}

/**
 * New TCP connections per second from a client namespace to a server namespace (a veth pair), the
 * server namespace running the host's generated ruleset or a minimal one accepting the same traffic.
 * The configurations take turns within each trial (in rotating order), so drift and noise from the
 * machine hit all alike, and ratios are taken per trial.
 */
export async function measurePerPacket(namespaces: Namespaces, plan: PerPacketPlan, options: PerPacketOptions): Promise<PerPacketResult> {
  const server = namespaces.create();
  const client = namespaces.create();
  const loadLoader = join(options.repoRoot, 'bench', 'connect-load.ts');
  let serverProcess: ChildProcess | undefined;
  try {
    const [serverIf, clientIf] = [`bts${process.pid % 100000}`, `btc${process.pid % 100000}`];
    must(spawnSync('ip', ['link', 'add', serverIf, 'netns', server, 'type', 'veth', 'peer', 'name', clientIf, 'netns', client]), 'veth pair');
    for (const [ns, dev, own, peer] of [
      [server, serverIf, plan.serverV4, plan.clientV4],
      [client, clientIf, plan.clientV4, plan.serverV4],
    ] as const) {
      must(spawnSync('ip', ['-n', ns, 'addr', 'add', `${own}/32`, 'dev', dev]), `address ${own}`);
      must(spawnSync('ip', ['-n', ns, 'link', 'set', dev, 'up']), `${dev} up`);
      must(spawnSync('ip', ['-n', ns, 'route', 'add', `${peer}/32`, 'dev', dev]), `route to ${peer}`);
    }
    must(spawnSync('nsenter', inNamespace(client, ['sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1'])), 'client sysctls');
    must(spawnSync('nsenter', inNamespace(server, ['sysctl', '-q', '-w', 'net.core.somaxconn=4096', 'net.ipv4.tcp_max_syn_backlog=4096'])), 'server sysctls');

    const minimalNftFile = join(options.workDir, 'minimal.nft');
    const minimalIptFile = join(options.workDir, 'minimal.rules.v4');
    await writeFile(minimalNftFile, minimalNft(plan.port));
    await writeFile(minimalIptFile, minimalIptables(plan.port));
    const load: Record<PerPacketConfig, string[]> = {
      'nftables minimal': ['nft', '-f', minimalNftFile],
      'nftables one rule': ['nft', '-f', plan.oneRuleNftFile],
      'nftables generated': ['nft', '-f', plan.nftFile],
      'iptables minimal': ['iptables-restore', minimalIptFile],
      'iptables one rule': ['iptables-restore', '--noflush', plan.oneRuleIptablesV4File],
      'iptables generated': ['iptables-restore', '--noflush', plan.iptablesV4File],
    };

    serverProcess = spawn('ip', ['netns', 'exec', server, process.execPath, '--import', 'tsx', loadLoader, 'serve', String(plan.port)], {
      cwd: options.repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForReady(serverProcess);

    const byConfig = <T>(value: () => T) => Object.fromEntries(PER_PACKET_CONFIGS.map((c) => [c, value()])) as Record<PerPacketConfig, T>;
    const result: PerPacketResult = { rates: byConfig<number[]>(() => []), failures: byConfig(() => 0) };
    const measure = async (config: PerPacketConfig, seconds: number): Promise<ConnectResult> => {
      flush(server);
      must(spawnSync('nsenter', inNamespace(server, load[config]), { encoding: 'utf8' }), `load ${config}`);
      const { stdout } = await run(
        'ip',
        ['netns', 'exec', client, process.execPath, '--import', 'tsx', loadLoader, 'connect', plan.serverV4, String(plan.port), String(seconds), String(options.parallel)],
        { cwd: options.repoRoot, timeout: (seconds + 30) * 1000 },
      );
      return JSON.parse(stdout) as ConnectResult;
    };
    await measure('nftables minimal', 1);
    for (let trial = 0; trial < options.trials; trial++) {
      // Each trial starts at the next configuration, so none always runs first or after the same one.
      const order = PER_PACKET_CONFIGS.map((_, i) => PER_PACKET_CONFIGS[(i + trial) % PER_PACKET_CONFIGS.length]!);
      for (const config of order) {
        const counts = await measure(config, options.seconds);
        result.rates[config].push(counts.connections / counts.seconds);
        result.failures[config] += counts.failures;
      }
    }
    return result;
  } finally {
    if (serverProcess?.pid !== undefined && serverProcess.exitCode === null) serverProcess.kill('SIGTERM');
    namespaces.remove(client);
    namespaces.remove(server);
  }
}
