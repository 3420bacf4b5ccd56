import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Backend, CompiledRuleset } from '../../src/build/compiled-host.js';
import { frameRuleset, parseAgentOutput, parseAuditLines, type AgentOutput } from '../../src/deploy/agent/protocol.js';
import { AGENT_PATH } from '../../src/deploy/agent/script.js';
import type { AuditRecord } from '../../src/deploy/types.js';
import { alive } from '../../src/lab/server.js';

/**
 * The server agent run directly (no SSH) in a network namespace of its own, against a temporary state
 * directory: for the state-machine tests (crash points, full disk, lock race, clock steps, timers).
 */
export interface AgentBox {
  dir: string;
  state: string;
  ns: string;
  backend: Backend;
  run(verb: string, args?: string[], options?: { stdin?: string; env?: Record<string, string> }): Promise<AgentRun>;
  /** begin + put + apply [+ confirm]; returns the id and each verb's result. */
  deploy(ruleset: CompiledRuleset, options?: DeployStepsOptions): Promise<{ id: string; apply: AgentRun; confirm?: AgentRun }>;
  /** sha256 of the live canonical listing, and of a ruleset rendered in a scratch namespace. */
  liveHash(): Promise<string>;
  renderHash(ruleset: CompiledRuleset): Promise<string>;
  audit(): AuditRecord[];
  /** Fills the state filesystem, leaving about `leaveKb` free; returns a function that frees it again. */
  fill(leaveKb?: number): Promise<() => void>;
  /** Directories of unfinished states (lock, tx, pending, rollback, confirming, outcome dirs). */
  leftovers(): string[];
  /** Kills every process left in the namespace (detached timers): a simulated power cut. */
  killAll(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface AgentRun {
  code: number | null;
  stdout: string;
  output: AgentOutput;
}

export interface DeployStepsOptions {
  timeout?: number;
  timer?: 'auto' | 'setsid' | 'systemd';
  confirm?: boolean;
  /** Extra environment for the apply (inherited by its timer) and for the confirm. */
  applyEnv?: Record<string, string>;
  confirmEnv?: Record<string, string>;
}

let counter = 0;
const UNFINISHED = /^(lock|lock\.new|tx\.|pending\.|rollback\.|rolled-back\.|rollback-failed\.|confirming\.|confirmed\.|confirmed-not-persisted\.)/;

/** `tmpfsKb`: the state directory is a tmpfs of that size (to fill it up). */
export async function createAgentBox(backend: Backend, options: { tmpfsKb?: number } = {}): Promise<AgentBox> {
  const dir = mkdtempSync(join(tmpdir(), 'bt-agent-'));
  const state = join(dir, 'state');
  const ns = `bt-ag-${process.pid}-${counter++}`;
  mkdirSync(state, { recursive: true });
  if (options.tmpfsKb) await execa('mount', ['-t', 'tmpfs', '-o', `size=${options.tmpfsKb}k,mode=0700`, 'bt-agent-state', state]);
  copyFileSync(fileURLToPath(AGENT_PATH), join(state, 'agent.sh'));
  await execa('ip', ['netns', 'add', ns]);
  await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const persist = [join(dir, 'etc/nftables.d/benteng.nft'), join(dir, 'etc/nftables.conf'), join(dir, 'etc/iptables/rules.v4'), join(dir, 'etc/iptables/rules.v6')];
  let seq = 0;

  const run: AgentBox['run'] = async (verb, args = [], opts = {}) => {
    const env = Object.entries({ BENTENG_SSH_USER: 'tester', BENTENG_CLIENT: '203.0.113.9', ...opts.env }).map(([k, v]) => `${k}=${v}`);
    const r = await execa('ip', ['netns', 'exec', ns, 'env', ...env, 'sh', join(state, 'agent.sh'), verb, state, ...args], {
      reject: false,
      ...(opts.stdin !== undefined ? { input: opts.stdin } : { stdin: 'ignore' }),
    });
    const code = typeof r.exitCode === 'number' ? r.exitCode : null;
    return { code, stdout: r.stdout, output: parseAgentOutput(r.stdout) };
  };

  const framed = (ruleset: CompiledRuleset) => {
    const f = frameRuleset(backend, ruleset);
    if (!f.ok) throw new Error(f.error.message);
    return f.value;
  };

  const box: AgentBox = {
    dir,
    state,
    ns,
    backend,
    run,
    async deploy(ruleset, o = {}) {
      const id = `t${process.pid.toString(36)}-${seq++}`;
      const begun = await run('begin', [id, '120', backend]);
      if (begun.code !== 0) throw new Error(`begin: ${begun.stdout}`);
      const put = await run('put', [id], { stdin: framed(ruleset) });
      if (put.code !== 0) throw new Error(`put: ${put.stdout}`);
      const apply = await run('apply', [id, String(o.timeout ?? 600), o.timer ?? 'setsid', 'deploy', 'none', ...persist], { env: o.applyEnv ?? {} });
      if (o.confirm === false || apply.code !== 0) return { id, apply };
      const confirm = await run('confirm', [id], { env: o.confirmEnv ?? {} });
      return { id, apply, confirm };
    },
    async liveHash() {
      const r = await run('live', [backend]);
      return r.output.values.get('hash')?.[0] ?? '';
    },
    async renderHash(ruleset) {
      const r = await run('render', [backend], { stdin: framed(ruleset) });
      if (r.code !== 0) throw new Error(`render: ${r.stdout}`);
      return r.output.values.get('hash')?.[0] ?? '';
    },
    audit() {
      try {
        return parseAuditLines(readFileSync(join(state, 'audit.log'), 'utf8'));
      } catch {
        return [];
      }
    },
    async fill(leaveKb = 0) {
      const filler = join(state, 'filler');
      const df = await execa('df', ['-Pk', state]);
      const avail = Number(df.stdout.split('\n')[1]?.split(/\s+/)[3] ?? 0);
      const kb = Math.max(0, avail - leaveKb);
      await execa('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1k', `count=${kb}`], { reject: false });
      if (leaveKb === 0) await execa('dd', ['if=/dev/zero', `of=${filler}.2`, 'bs=512', 'count=1000000'], { reject: false });
      return () => {
        rmSync(filler, { force: true });
        rmSync(`${filler}.2`, { force: true });
      };
    },
    leftovers() {
      try {
        return readdirSync(state).filter((e) => UNFINISHED.test(e));
      } catch {
        return [];
      }
    },
    async killAll() {
      // Repeated until the namespace is empty: a dying timer may have just started a child.
      for (let round = 0; round < 20; round++) {
        const listed = await execa('ip', ['netns', 'pids', ns], { reject: false });
        const pids = listed.stdout.split('\n').map((l) => Number(l.trim())).filter((pid) => pid > 1 && alive(pid));
        if (pids.length === 0) return;
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* exited since it was listed */
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async cleanup() {
      await box.killAll();
      if (options.tmpfsKb) await execa('umount', [state], { reject: false });
      await execa('ip', ['netns', 'del', ns], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return box;
}

/** Polls until `check` holds or `ms` pass (for detached timers). */
export async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}
