/**
 * Throwaway network namespaces for kernel tests: a "host" namespace that loads a ruleset, joined by
 * one veth pair to a "peer" namespace holding every peer address a test probes from or to.
 * Names are unique per process (`bt-<pid>-<n>-h`, veth `bt<pid>h<n>`), addresses are documentation
 * ranges only, and `destroy` removes everything and kills only the processes it started.
 * Probes run in probe-agent.mjs, which tells a drop from a slow answer by re-probing silence with
 * longer waits; waits here are deadlines for a busy machine, never fixed sleeps.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { IPSET_BLOCK_V4, IPSET_BLOCK_V6 } from '../../src/build/compiled-host.js';

const AGENT = fileURLToPath(new URL('./probe-agent.mjs', import.meta.url));
let counter = 0;

export type Outcome = 'accept' | 'reject' | 'drop';

/** One probe's verdict and how many times it was sent (silence is re-sent with a longer wait). */
export interface ProbeResult {
  outcome: Outcome;
  attempts: number;
}

/** What a prober saw: results in probe order, each round's wait, and its slowest conclusive answer. */
export interface ProbeReport {
  results: ProbeResult[];
  rounds: { waitMs: number; probes: number; answered: number }[];
  slowestAnswerMs: number;
}

/** A listener that has not bound its ports by then is broken, not slow. */
const LISTEN_DEADLINE_MS = 30_000;
/** A prober runs at most a few rounds of seconds; past this it is hung, and is killed. */
const PROBE_DEADLINE_MS = 45_000;

interface ProbeEnds {
  family: 'ipv4' | 'ipv6';
  source: string;
  destination: string;
}

/** A TCP connection or UDP datagram to a port, or an ICMP echo-request (`icmpType` 8 or 128, sent with ping(8)). */
export type Probe = ProbeEnds & ({ protocol: 'tcp' | 'udp'; port: number } | { protocol: 'icmp' | 'icmpv6'; icmpType: number });

const MAC = { host: '02:62:74:00:00:01', peer: '02:62:74:00:00:02' };

/** Whether kernel tests can run here; outside CI they skip with this reason, in CI they fail. */
export function kernelSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'kernel tests need root (network namespaces, nft, iptables)';
  return undefined;
}

/** True when root; with CI=true a missing root is an error, elsewhere the suite skips with a message. */
export function requireKernel(suite = 'kernel tests'): boolean {
  const reason = kernelSkipReason();
  if (reason === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}: ${suite} must run in CI`);
  console.warn(`skipping ${suite}: ${reason}`);
  return false;
}

export async function inNs(ns: string, command: string, args: string[], input?: string) {
  return execa('ip', ['netns', 'exec', ns, command, ...args], { input, reject: false });
}

async function ip(args: string[], input?: string): Promise<void> {
  const r = await execa('ip', args, { input, reject: false });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/**
 * Creates the ipsets of `benteng block`'s dynamic entries in the namespace (ipsets are per network
 * namespace): an emitted iptables ruleset matches them, and iptables-restore fails while they are missing.
 */
export async function createBlockIpsets(ns: string): Promise<void> {
  for (const [name, family] of [[IPSET_BLOCK_V4, 'inet'], [IPSET_BLOCK_V6, 'inet6']] as const) {
    const r = await inNs(ns, 'ipset', ['create', '-exist', name, 'hash:net', 'family', family, 'timeout', '0']);
    if (r.exitCode !== 0) throw new Error(`ipset create ${name} in ${ns}: ${r.stderr}`);
  }
}

/** A scratch namespace for `nft -c` / `iptables-restore --test`. */
export async function withScratchNs<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = `bt-emit-${process.pid}-${counter++}`;
  await ip(['netns', 'add', ns]);
  try {
    return await fn(ns);
  } finally {
    await execa('ip', ['netns', 'del', ns], { reject: false });
  }
}

export class Topology {
  readonly hostNs: string;
  readonly peerNs: string;
  private readonly hostIf: string;
  private readonly peerIf: string;
  private readonly children: ChildProcess[] = [];

  private constructor(n: number) {
    const id = `${process.pid % 100000}`;
    this.hostNs = `bt-emit-${process.pid}-${n}-h`;
    this.peerNs = `bt-emit-${process.pid}-${n}-p`;
    this.hostIf = `bt${id}h${n}`.slice(0, 15);
    this.peerIf = `bt${id}p${n}`.slice(0, 15);
  }

  /** Host namespace with `hostAddresses`, peer namespace with `peerAddresses`, one veth link. */
  static async create(hostAddresses: string[], peerAddresses: string[]): Promise<Topology> {
    const t = new Topology(counter++);
    live.add(t);
    try {
      await ip(['netns', 'add', t.hostNs]);
      await ip(['netns', 'add', t.peerNs]);
      await ip(['link', 'add', t.hostIf, 'netns', t.hostNs, 'address', MAC.host, 'type', 'veth', 'peer', 'name', t.peerIf, 'netns', t.peerNs, 'address', MAC.peer]);
      const batch = (ifname: string, own: string[], other: string[]) =>
        [
          `link set lo up`,
          `link set ${ifname} up`,
          ...own.map((a) => (a.includes(':') ? `addr add ${a}/128 dev ${ifname} nodad` : `addr add ${a}/32 dev ${ifname}`)),
          ...other.map((a) => (a.includes(':') ? `route add ${a}/128 dev ${ifname}` : `route add ${a}/32 dev ${ifname}`)),
        ].join('\n') + '\n';
      await ip(['-n', t.hostNs, '-batch', '-'], batch(t.hostIf, hostAddresses, peerAddresses));
      await ip(['-n', t.peerNs, '-batch', '-'], batch(t.peerIf, peerAddresses, hostAddresses));
      return t;
    } catch (error) {
      await t.destroy();
      throw error;
    }
  }

  async nftLoad(text: string): Promise<void> {
    const r = await inNs(this.hostNs, 'nft', ['-f', '-'], text);
    if (r.exitCode !== 0) throw new Error(`nft -f failed: ${r.stderr}`);
  }

  async iptablesLoad(v4: string, v6: string): Promise<void> {
    await createBlockIpsets(this.hostNs);
    const a = await inNs(this.hostNs, 'iptables-restore', ['--noflush'], v4);
    if (a.exitCode !== 0) throw new Error(`iptables-restore failed: ${a.stderr}`);
    const b = await inNs(this.hostNs, 'ip6tables-restore', ['--noflush'], v6);
    if (b.exitCode !== 0) throw new Error(`ip6tables-restore failed: ${b.stderr}`);
  }

  /**
   * Starts a TCP + UDP-echo listener in the namespace on every port; resolves once bound.
   * `replyDelayMs` makes the UDP echo answer late (a slow server, for tests of the prober itself).
   */
  async listen(side: 'host' | 'peer', ports: number[], addresses: string[], options: { replyDelayMs?: number } = {}): Promise<void> {
    const ns = side === 'host' ? this.hostNs : this.peerNs;
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT, 'listen', JSON.stringify(ports), JSON.stringify(addresses), JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.children.push(child);
    let deadline: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready' && resolve());
        child.on('error', reject);
        child.on('exit', (code, signal) => reject(new Error(`listener in ${ns} exited with ${code ?? signal} before it was ready`)));
        deadline = setTimeout(() => reject(new Error(`listener in ${ns} not ready after ${LISTEN_DEADLINE_MS} ms`)), LISTEN_DEADLINE_MS);
      });
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Runs the probes from one namespace in one process; outcomes in probe order. */
  async probe(side: 'host' | 'peer', probes: Probe[]): Promise<Outcome[]> {
    return (await this.probeReport(side, probes)).results.map((r) => r.outcome);
  }

  /** As `probe`, with attempts per probe and the evidence the prober used; `waitsMs` replaces its ladder. */
  async probeReport(side: 'host' | 'peer', probes: Probe[], options: { waitsMs?: number[] } = {}): Promise<ProbeReport> {
    if (probes.length === 0) return { results: [], rounds: [], slowestAnswerMs: 0 };
    const ns = side === 'host' ? this.hostNs : this.peerNs;
    const r = await execa('ip', ['netns', 'exec', ns, process.execPath, AGENT, 'probe'], {
      input: JSON.stringify({ probes, ...options }),
      reject: false,
      timeout: PROBE_DEADLINE_MS,
      killSignal: 'SIGKILL',
    });
    if (r.timedOut) throw new Error(`prober in ${ns} gave no report within ${PROBE_DEADLINE_MS} ms`);
    if (r.exitCode !== 0) throw new Error(`prober in ${ns} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as ProbeReport;
  }

  async destroy(): Promise<void> {
    const running = this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
    this.killChildren();
    await Promise.all(exited);
    await execa('ip', ['netns', 'del', this.hostNs], { reject: false });
    await execa('ip', ['netns', 'del', this.peerNs], { reject: false });
    live.delete(this);
  }

  /** For a worker that exits with a test abandoned mid-way (a timeout): no await can run any more. */
  destroyNow(): void {
    this.killChildren();
    for (const ns of [this.hostNs, this.peerNs]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // never created, or already gone
      }
    }
  }

  private killChildren(): void {
    for (const child of this.children) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Topologies not yet destroyed. A test abandoned at its timeout never reaches its `finally`; the test
 * runner then stops the worker (SIGTERM, SIGKILL half a second later), so they are removed on exit
 * and on SIGTERM, which is then raised again with its default action unless someone else handles it.
 */
const live = new Set<Topology>();
const destroyLive = () => {
  for (const topology of live) topology.destroyNow();
  live.clear();
};
process.once('exit', destroyLive);
process.once('SIGTERM', function onTerm() {
  destroyLive();
  if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
});
