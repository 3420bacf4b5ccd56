import type { CompiledHost } from '../build/compiled-host.js';
import { AgentSession, first, type AgentOutput } from './agent/protocol.js';
import { fanOut } from './fan-out.js';
import { serverPaths } from './host-deploy.js';
import { connectSsh, type Connect, type ExecResult } from './ssh/transport.js';
import type { DeployError, DeployOptions } from './types.js';

/**
 * Dynamic blocks (incident response): added, removed and listed on many hosts at once, without a
 * deploy. On the server they live in the kernel with a timeout (nftables sets `blocklist_v4/v6`,
 * ipsets `benteng-block-v4/v6` on iptables hosts), so they expire with no client involved, and in the
 * agent's block registry (re-added at boot). See docs/deploy.md, "Dynamic blocks".
 */
export interface BlockEntry {
  address: string;
  /** Seconds left, from the kernel's own timeout. */
  secondsLeft: number;
  /** Server time the block expires (ISO, from the server's clock). */
  expiresAt: string;
  reason?: string;
  user?: string;
  client?: string;
  /** When it was added (server clock). */
  time?: string;
}

export interface BlockHostReport {
  host: string;
  ok: boolean;
  /** block: addresses added; unblock: addresses removed. */
  changed: string[];
  /** unblock: addresses that were not blocked on this host. */
  absent: string[];
  expiresAt?: string;
  /** blocks: what is active. */
  active: BlockEntry[];
  warnings: string[];
  error?: DeployError;
  durationMs: number;
}

type Options = Pick<DeployOptions, 'ssh' | 'server'> & { parallel?: number };

async function onHost(
  target: CompiledHost,
  options: Options,
  connect: Connect,
  work: (agent: AgentSession) => Promise<{ exec: ExecResult; output: AgentOutput; doing: string }>,
): Promise<BlockHostReport> {
  const started = Date.now();
  const base = (extra: Partial<BlockHostReport>): BlockHostReport => ({
    host: target.host,
    ok: false,
    changed: [],
    absent: [],
    active: [],
    warnings: [],
    ...extra,
    durationMs: Date.now() - started,
  });
  const connected = await connect(target.ssh, options.ssh ?? {});
  if (!connected.ok) return base({ error: connected.error });
  try {
    const agent = new AgentSession(connected.value, serverPaths({ confirmTimeoutSeconds: 0, ...options }));
    const result = await work(agent);
    const out = result.output;
    if (result.exec.code !== 0) return base({ error: agent.failure(result.exec, result.doing) });
    const expiresAt = first(out, 'expires-at');
    return base({
      ok: true,
      changed: [...(out.values.get('added') ?? []), ...(out.values.get('removed') ?? [])],
      absent: out.values.get('absent') ?? [],
      warnings: out.values.get('warning') ?? [],
      ...(expiresAt ? { expiresAt } : {}),
      active: parseActive(target, out),
    });
  } finally {
    connected.value.close();
  }
}

/**
 * Adds `addresses` for `ttlSeconds` on every target, in parallel (one atomic step per host). The agent
 * runs inline (`sh -c`): a block needs no agent file on the server, and skipping the upload saves a
 * round trip per host.
 */
export function blockHosts(targets: CompiledHost[], addresses: string[], ttlSeconds: number, reason: string, options: Options = {}, connect: Connect = connectSsh) {
  const stdin = `reason ${reason.replace(/[\r\n]+/g, ' ')}\n${addresses.join('\n')}\n`;
  return fanOut(targets, options.parallel ?? 32, (t) =>
    onHost(t, options, connect, async (agent) => ({ ...(await agent.runInline('block', [t.backend, String(ttlSeconds)], stdin)), doing: 'blocking' })),
  );
}

/** Removes `addresses` from the dynamic blocks of every target. */
export function unblockHosts(targets: CompiledHost[], addresses: string[], options: Options = {}, connect: Connect = connectSsh) {
  return fanOut(targets, options.parallel ?? 32, (t) =>
    onHost(t, options, connect, async (agent) => ({ ...(await agent.runInline('unblock', [t.backend], `${addresses.join('\n')}\n`)), doing: 'unblocking' })),
  );
}

/** Lists the active dynamic blocks of every target (read-only: uploads nothing). */
export function listBlocks(targets: CompiledHost[], options: Options = {}, connect: Connect = connectSsh) {
  return fanOut(targets, options.parallel ?? 32, (t) =>
    onHost(t, options, connect, async (agent) => ({ ...(await agent.runInline('blocks', [t.backend])), doing: 'listing blocks' })),
  );
}

interface RegistryLine {
  time: string;
  action: string;
  address: string;
  reason: string;
  user: string;
  client: string;
}

/** Kernel entries (authoritative for what is active and when it expires) joined with the registry. */
export function parseActive(target: Pick<CompiledHost, 'backend'>, out: AgentOutput): BlockEntry[] {
  const kernel = out.blocks.get('kernel');
  if (kernel === undefined) return [];
  const epoch = Number(first(out, 'server-epoch') ?? Date.now() / 1000);
  const entries: { address: string; secondsLeft: number }[] = [];
  if (target.backend === 'nftables') {
    for (const line of kernel.split('\n')) {
      if (!line.trim().startsWith('{')) continue;
      let doc: { nftables?: { set?: { elem?: unknown[] } }[] };
      try {
        doc = JSON.parse(line) as typeof doc;
      } catch {
        continue;
      }
      for (const item of doc.nftables ?? []) {
        for (const e of item.set?.elem ?? []) {
          const elem = (e as { elem?: { val: unknown; expires?: number; timeout?: number } }).elem;
          if (!elem) continue;
          const address = nftValue(elem.val);
          if (address) entries.push({ address, secondsLeft: elem.expires ?? elem.timeout ?? 0 });
        }
      }
    }
  } else {
    for (const line of kernel.split('\n')) {
      const m = /^add \S+ (\S+)(?: timeout (\d+))?/.exec(line.trim());
      if (m) entries.push({ address: m[1]!, secondsLeft: Number(m[2] ?? 0) });
    }
  }
  const registry = new Map<string, RegistryLine>();
  for (const line of (out.blocks.get('registry') ?? '').split('\n')) {
    try {
      const r = JSON.parse(line) as RegistryLine;
      if (r.action === 'block') registry.set(canonical(r.address), r);
    } catch {
      continue;
    }
  }
  return entries
    .map((e) => {
      const r = registry.get(canonical(e.address));
      return {
        address: e.address,
        secondsLeft: e.secondsLeft,
        expiresAt: new Date((epoch + e.secondsLeft) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(r ? { reason: r.reason, user: r.user, client: r.client, time: r.time } : {}),
      };
    })
    .sort((a, b) => a.address.localeCompare(b.address));
}

/** nft prints single addresses without /32 (/128): compare registry and kernel in one form. */
function canonical(address: string): string {
  return address.replace(/\/(32|128)$/, '');
}

function nftValue(val: unknown): string | undefined {
  if (typeof val === 'string') return val;
  const prefix = (val as { prefix?: { addr: string; len: number } }).prefix;
  if (prefix) return `${prefix.addr}/${prefix.len}`;
  const range = (val as { range?: [string, string] }).range;
  if (range) return `${range[0]}-${range[1]}`;
  return undefined;
}
