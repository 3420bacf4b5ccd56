import { randomBytes } from 'node:crypto';
import type { CompiledHost, CompiledRuleset } from '../build/compiled-host.js';
import { AGENT_EXIT, AgentSession, first, frameRuleset, parseAgentOutput, parseAuditLines } from './agent/protocol.js';
import { verdictFrom, type ClientObservation, type ServerResult } from './verdict.js';
import { unifiedDiff } from './diff.js';
import { connectSsh, type Connect, type Transport } from './ssh/transport.js';
import {
  DEFAULT_SERVER_PATHS,
  type DeployError,
  type DeployOptions,
  type DeployOutcome,
  type DeployReport,
  type DeployStep,
  type ProgressListener,
  type Result,
  type ServerPaths,
} from './types.js';

const LOCK_LEASE_SECONDS = 120;

export function serverPaths(options: DeployOptions): ServerPaths {
  return { ...DEFAULT_SERVER_PATHS, ...options.server };
}

function newDeployId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
/** Client-side elapsed time: monotonic, so neither clock's steps matter. */
const now = () => performance.now();

interface Run {
  target: CompiledHost;
  options: DeployOptions;
  progress: ProgressListener;
  connect: Connect;
  paths: ServerPaths;
  started: number;
}

function report(run: Run, outcome: DeployOutcome, message: string, extra: Partial<DeployReport> = {}): DeployReport {
  const ok = outcome === 'confirmed' || outcome === 'dry-run';
  return { host: run.target.host, backend: run.target.backend, ok, outcome, message, ...extra, durationMs: Date.now() - run.started };
}

function failed(run: Run, error: DeployError, extra: Partial<DeployReport> = {}): DeployReport {
  const outcome: DeployOutcome =
    error.code === 'rejected' ? 'rejected'
    : error.code === 'locked' || error.code.startsWith('host-key') || error.code === 'auth-failed' ? 'refused'
    : error.code === 'unreachable' ? 'unreachable'
    : 'failed';
  return report(run, outcome, error.message, { error, ...extra });
}

function emit(run: Run, step: DeployStep, detail?: string, timeoutSeconds?: number): void {
  run.progress({ host: run.target.host, step, at: new Date(), ...(detail ? { detail } : {}), ...(timeoutSeconds ? { timeoutSeconds } : {}) });
}

async function open(run: Run): Promise<Result<{ transport: Transport; agent: AgentSession }>> {
  const connected = await run.connect(run.target.ssh, run.options.ssh ?? {});
  if (!connected.ok) return connected;
  return { ok: true, value: { transport: connected.value, agent: new AgentSession(connected.value, run.paths) } };
}

interface Applied {
  id: string;
  /** performance.now() when the apply's answer arrived: the server's timer started no later. */
  at: number;
  timeoutSeconds: number;
  oldHash: string;
  newHash: string;
  timer: 'systemd' | 'setsid';
}

/** Shared by deploy and rollback: the full protocol for one ruleset. */
export async function runDeploy(
  target: CompiledHost,
  ruleset: CompiledRuleset,
  action: 'deploy' | 'rollback',
  options: DeployOptions,
  progress: ProgressListener,
  connect: Connect,
): Promise<DeployReport> {
  const run: Run = { target, options, progress, connect, paths: serverPaths(options), started: Date.now() };
  const framed = frameRuleset(target.backend, ruleset);
  if (!framed.ok) return failed(run, framed.error);
  emit(run, 'connecting', `${target.ssh.user}@${target.ssh.address}:${target.ssh.port}`);
  const opened = await open(run);
  if (!opened.ok) return failed(run, opened.error);
  const { transport, agent } = opened.value;
  emit(run, 'connected');
  try {
    if (options.dryRun) return await dryRun(run, agent, framed.value);
    const installed = await agent.install();
    if (!installed.ok) return failed(run, installed.error);
    const id = newDeployId();
    const begun = await agent.begin(id, LOCK_LEASE_SECONDS, target.backend);
    for (const line of begun.output.values.get('recovered') ?? []) emit(run, 'recovered', line);
    if (begun.exec.code === AGENT_EXIT.locked) {
      const owner = first(begun.output, 'locked-by');
      const why = owner ? describeOwner(owner) : first(begun.output, 'error') ?? 'unknown holder';
      return failed(run, { code: 'locked', message: `another deploy holds the lock on ${target.host}: ${why}` });
    }
    if (begun.exec.code !== 0) return failed(run, agent.failure(begun.exec, 'taking the lock'));
    emit(run, 'locked', id);
    const put = await agent.put(id, framed.value);
    if (put.exec.code !== 0) {
      await agent.abort(id);
      return failed(run, agent.failure(put.exec, 'staging the ruleset'));
    }
    emit(run, 'staged');
    const commit = options.commit && /^[0-9a-f]{7,40}$/.test(options.commit) ? options.commit : 'none';
    const result = await agent.apply(id, options.confirmTimeoutSeconds, options.timerMode ?? 'auto', action, commit);
    const out = result.output;
    const code = result.exec.code;
    if (code === AGENT_EXIT.rejected) {
      return failed(run, { code: 'rejected', message: `${target.host}: ruleset rejected, nothing changed: ${first(out, 'error') ?? 'see the audit log'}` }, { deployId: id });
    }
    if (code === AGENT_EXIT.applyFailed) {
      return failed(run, { code: 'apply-failed', message: `${target.host}: ${first(out, 'error') ?? 'apply failed'}` }, { deployId: id });
    }
    if (code === null) return await settle(run, id, undefined, { newConnectionOpened: false, lostDuringApply: true });
    if (code !== 0 || !first(out, 'applied')) return failed(run, agent.failure(result.exec, 'applying'), { deployId: id });
    const applied: Applied = {
      id,
      at: now(),
      timeoutSeconds: Number(first(out, 'timeout') ?? options.confirmTimeoutSeconds),
      oldHash: first(out, 'old-hash') ?? '',
      newHash: first(out, 'new-hash') ?? '',
      timer: first(out, 'timer') === 'systemd' ? 'systemd' : 'setsid',
    };
    emit(run, 'applied', `rollback ${applied.timeoutSeconds} s after the apply unless confirmed (${applied.timer} timer)`, applied.timeoutSeconds);
    return await confirmOverNewConnection(run, applied, transport);
  } finally {
    transport.close();
  }
}

function describeOwner(owner: string): string {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(owner)?.[1] ?? '?';
  return `deploy ${field('id')} by ${field('user')} from ${field('client')} (agent pid ${field('pid')}) since ${field('since')}`;
}

/** Whether the SSH session that did the apply still answers (an open session survives rules that block new ones). */
async function sessionAnswers(transport: Transport, withinMs: number): Promise<boolean> {
  const answer = await Promise.race([transport.exec('true'), sleep(withinMs).then(() => undefined)]);
  return answer?.code === 0;
}

async function confirmOverNewConnection(run: Run, applied: Applied, first0: Transport): Promise<DeployReport> {
  const windowEnd = applied.at + applied.timeoutSeconds * 1000 - 300;
  const base = { deployId: applied.id, oldHash: applied.oldHash, newHash: applied.newHash, timer: applied.timer };
  const seen: ClientObservation = { newConnectionOpened: false, oldHash: applied.oldHash };
  while (now() < windowEnd) {
    emit(run, 'confirming');
    const remaining = windowEnd - now();
    const ssh = { ...run.options.ssh, readyTimeoutMs: Math.max(500, Math.min(remaining, run.options.ssh?.readyTimeoutMs ?? 8000)) };
    const connected = await run.connect(run.target.ssh, ssh);
    if (!connected.ok) {
      seen.confirmError = connected.error.message;
      if (connected.error.code !== 'unreachable' && connected.error.code !== 'connection-lost') return failed(run, connected.error, base);
      await sleep(Math.min(300, windowEnd - now()));
      continue;
    }
    seen.newConnectionOpened = true;
    const agent = new AgentSession(connected.value, run.paths);
    try {
      const confirmed = await agent.confirm(applied.id);
      const out = confirmed.output;
      if (confirmed.exec.code === 0 || confirmed.exec.code === AGENT_EXIT.persist) {
        const live = await agent.live(run.target.backend);
        const liveHash = first(live.output, 'hash');
        emit(run, 'confirmed');
        const persisted = out.values.get('persisted') ?? [];
        const bootUnit = first(out, 'boot-unit');
        const extra = { ...base, ...(liveHash ? { liveHash } : {}), persisted, ...(bootUnit ? { bootUnit } : {}) };
        if (confirmed.exec.code === AGENT_EXIT.persist) {
          return report(run, 'confirmed-not-persisted', `confirmed and live, but ${first(out, 'error') ?? 'writing the boot files failed'}`, extra);
        }
        return report(run, 'confirmed', `confirmed over a new SSH connection; persisted to ${persisted.join(', ')} (loaded at boot by ${bootUnit})`, extra);
      }
      if (confirmed.exec.code === AGENT_EXIT.decided) break;
      seen.confirmError = agent.failure(confirmed.exec, 'confirming').message;
    } finally {
      connected.value.close();
    }
  }
  seen.existingSessionAlive = await sessionAnswers(first0, 4000);
  return settle(run, applied.id, applied, seen);
}

function serverResult(output: ReturnType<typeof parseAgentOutput>): ServerResult {
  const record = parseAuditLines(output.values.get('record')?.join('\n'))[0];
  const timer = first(output, 'timer');
  const reason = first(output, 'reason');
  const detail = first(output, 'detail');
  const liveHash = first(output, 'hash');
  const serverTime = first(output, 'server-time');
  return {
    state: first(output, 'state') ?? 'unknown',
    ...(timer ? { timerAlive: timer === 'alive' } : {}),
    ...(reason ? { reason } : {}),
    ...(detail ? { detail } : {}),
    ...(record ? { record } : {}),
    ...(liveHash ? { liveHash } : {}),
    ...(serverTime ? { serverTime } : {}),
  };
}

const IN_PROGRESS = new Set(['pending', 'applying', 'rollback', 'confirming']);

/**
 * The deploy was not confirmed over the first path: reconnect until the server has decided, and report
 * its decision (by audit record or state directory) with the client's own observations kept apart.
 */
async function settle(run: Run, id: string, applied: Applied | undefined, seen: ClientObservation): Promise<DeployReport> {
  const timeout = applied?.timeoutSeconds ?? run.options.confirmTimeoutSeconds;
  const giveUp = now() + (timeout + 2 + (run.options.rollbackWaitSeconds ?? 60)) * 1000;
  const base = { deployId: id, ...(applied ? { oldHash: applied.oldHash, newHash: applied.newHash, timer: applied.timer } : {}) };
  emit(run, 'waiting-for-rollback', seen.confirmError ?? (seen.lostDuringApply ? 'connection lost during apply' : undefined));
  if (applied) await sleep(applied.at + timeout * 1000 + 500 - now());
  let last = 'no new SSH connection';
  while (now() < giveUp) {
    const opened = await open(run);
    if (!opened.ok) {
      last = opened.error.message;
      await sleep(1000);
      continue;
    }
    const { transport, agent } = opened.value;
    try {
      if (!seen.clientAddress) seen.clientAddress = await clientAddressOf(transport);
      const result = await agent.result(id, run.target.backend);
      if (result.exec.code !== 0) {
        last = agent.failure(result.exec, 'reading the deploy result').message;
        await sleep(1000);
        continue;
      }
      const server = serverResult(result.output);
      if (server.state === 'pending' && server.timerAlive === false) {
        emit(run, 'recovered', 'the rollback timer on the server is gone; asking the agent to recover');
        if ((await agent.install()).ok) await agent.recover();
        continue;
      }
      if (IN_PROGRESS.has(server.state)) {
        await sleep(1000);
        continue;
      }
      if (server.state === 'staged' || server.state === 'unknown') {
        if (server.state === 'staged') await agent.abort(id);
        return failed(run, { code: 'agent-error', message: `the apply never started on the server (deploy ${id} ${server.state === 'staged' ? 'was staged only; aborted' : 'is unknown there'}); nothing changed` }, base);
      }
      const verdict = verdictFrom(server, { ...seen, ...(applied ? { oldHash: applied.oldHash } : {}) });
      emit(run, 'done', verdict.message);
      const liveHash = server.liveHash;
      return report(run, verdict.outcome, verdict.message, { ...base, ...(liveHash ? { liveHash } : {}), ...(verdict.rolledBackAt ? { rolledBackAt: verdict.rolledBackAt } : {}) });
    } finally {
      transport.close();
    }
  }
  return failed(run, {
    code: 'unreachable',
    message: `could not learn the server's decision (${last}); unless the confirmation arrived, the server rolls back by itself ${timeout} s after the apply`,
  }, base);
}

/** The address this client connects from, as the server sees it (for messages only). */
async function clientAddressOf(transport: Transport): Promise<string | undefined> {
  const r = await transport.exec(`echo "$SSH_CLIENT" | cut -d' ' -f1`);
  const address = r.stdout.trim();
  return /^[0-9A-Fa-f.:]+$/.test(address) ? address : undefined;
}

async function dryRun(run: Run, agent: AgentSession, framed: string): Promise<DeployReport> {
  const live = await agent.live(run.target.backend);
  if (live.exec.code !== 0) return failed(run, agent.failure(live.exec, 'reading the live ruleset'));
  const rendered = await agent.render(run.target.backend, framed);
  if (rendered.exec.code !== 0) return failed(run, agent.failure(rendered.exec, 'checking the compiled ruleset'));
  const liveText = live.output.blocks.get('live') ?? '';
  const compiledText = rendered.output.blocks.get('canon') ?? '';
  const diff = unifiedDiff(liveText, compiledText, { before: `${run.target.host} (live)`, after: `${run.target.host} (compiled)` });
  const liveHash = first(live.output, 'hash');
  const newHash = first(rendered.output, 'hash');
  return report(run, 'dry-run', diff ? 'dry run: the live ruleset differs from the compiled one; nothing changed' : 'dry run: live ruleset already equals the compiled one', {
    diff,
    ...(liveHash ? { liveHash, oldHash: liveHash } : {}),
    ...(newHash ? { newHash } : {}),
  });
}

/**
 * Deploys one host. Guarantees: the host key is verified before any command; a rejected ruleset
 * changes nothing; once applied, the server itself restores the previous ruleset unless a NEW SSH
 * connection confirms within `confirmTimeoutSeconds` (even if this process dies or the link drops);
 * never throws for operational problems, the report says what happened.
 */
export function deployHost(target: CompiledHost, options: DeployOptions, progress: ProgressListener = () => {}, connect: Connect = connectSsh): Promise<DeployReport> {
  return runDeploy(target, target.ruleset, 'deploy', options, progress, connect);
}
