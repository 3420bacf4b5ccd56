import { randomBytes } from 'node:crypto';
import type { CompiledHost, CompiledRuleset } from '../build/compiled-host.js';
import { AGENT_EXIT, AgentSession, first, frameRuleset, parseAuditLines } from './agent/protocol.js';
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

function clock(iso: string | undefined): string {
  const match = iso ? /T(\d\d:\d\d:\d\d)/.exec(iso) : null;
  return match ? `${match[1]} UTC` : 'an unknown time';
}

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

function emit(run: Run, step: DeployStep, detail?: string, deadline?: number): void {
  run.progress({ host: run.target.host, step, at: new Date(), ...(detail ? { detail } : {}), ...(deadline ? { deadline } : {}) });
}

async function open(run: Run): Promise<Result<{ transport: Transport; agent: AgentSession }>> {
  const connected = await run.connect(run.target.ssh, run.options.ssh ?? {});
  if (!connected.ok) return connected;
  return { ok: true, value: { transport: connected.value, agent: new AgentSession(connected.value, run.paths) } };
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
  let applied: { id: string; deadline: number; deadlineAt: string; oldHash: string; newHash: string; timer: string; client: string };
  try {
    const installed = await agent.install();
    if (!installed.ok) return failed(run, installed.error);
    if (options.dryRun) return await dryRun(run, agent, framed.value);
    const id = newDeployId();
    const begun = await agent.begin(id, LOCK_LEASE_SECONDS, target.backend);
    if (begun.exec.code === AGENT_EXIT.locked) {
      const owner = first(begun.output, 'locked-by') ?? 'unknown';
      return failed(run, { code: 'locked', message: `another deploy holds the lock on ${target.host}: ${describeOwner(owner)}` });
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
    if (result.exec.code === AGENT_EXIT.rejected) {
      return failed(run, { code: 'rejected', message: `${target.host}: ruleset rejected, nothing changed: ${first(out, 'error') ?? 'see server'}` }, { deployId: id });
    }
    if (result.exec.code === AGENT_EXIT.applyFailed) {
      return failed(run, { code: 'apply-failed', message: `${target.host}: ${first(out, 'error') ?? 'apply failed'}` }, { deployId: id });
    }
    if (result.exec.code !== 0 || !first(out, 'applied')) {
      if (result.exec.code === null) return await afterDeadline(run, id, undefined, undefined, 'the connection was lost during apply');
      return failed(run, agent.failure(result.exec, 'applying'), { deployId: id });
    }
    applied = {
      id,
      deadline: Number(first(out, 'deadline')),
      deadlineAt: first(out, 'deadline-at') ?? '',
      oldHash: first(out, 'old-hash') ?? '',
      newHash: first(out, 'new-hash') ?? '',
      timer: first(out, 'timer') ?? '',
      client: '',
    };
    emit(run, 'applied', `rollback at ${clock(applied.deadlineAt)} unless confirmed (${applied.timer} timer)`, applied.deadline);
  } finally {
    transport.close();
  }
  return await confirmOverNewConnection(run, applied);
}

function describeOwner(owner: string): string {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(owner)?.[1] ?? '?';
  return `deploy ${field('id')} by ${field('user')} from ${field('client')} (agent pid ${field('pid')}) since ${field('since')}`;
}

async function confirmOverNewConnection(
  run: Run,
  applied: { id: string; deadline: number; deadlineAt: string; oldHash: string; newHash: string; timer: string },
): Promise<DeployReport> {
  const localDeadline = Date.now() + run.options.confirmTimeoutSeconds * 1000 - 300;
  const base = { deployId: applied.id, oldHash: applied.oldHash, newHash: applied.newHash, timer: applied.timer as 'systemd' | 'setsid' };
  let lastError = '';
  while (Date.now() < localDeadline) {
    emit(run, 'confirming');
    const remaining = localDeadline - Date.now();
    const ssh = { ...run.options.ssh, readyTimeoutMs: Math.max(500, Math.min(remaining, run.options.ssh?.readyTimeoutMs ?? 8000)) };
    const connected = await run.connect(run.target.ssh, ssh);
    if (!connected.ok) {
      lastError = connected.error.message;
      if (connected.error.code !== 'unreachable') return failed(run, connected.error, base);
      await sleep(Math.min(500, localDeadline - Date.now()));
      continue;
    }
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
        const message =
          confirmed.exec.code === 0
            ? `confirmed over a new SSH connection; persisted to ${persisted.join(', ')} (loaded at boot by ${bootUnit})`
            : `confirmed, but writing the boot file failed: ${first(out, 'error') ?? ''}`;
        return report(run, 'confirmed', message, { ...base, liveHash, persisted, ...(bootUnit ? { bootUnit } : {}) });
      }
      if (confirmed.exec.code === AGENT_EXIT.decided) break;
      lastError = agent.failure(confirmed.exec, 'confirming').message;
    } finally {
      connected.value.close();
    }
  }
  return afterDeadline(run, applied.id, applied.deadline, applied.oldHash, lastError);
}

/** The confirm failed: wait for the server's own rollback, reconnect and verify it by hash. */
async function afterDeadline(run: Run, id: string, deadline: number | undefined, oldHash: string | undefined, why: string): Promise<DeployReport> {
  const waitUntil = Date.now() + (run.options.confirmTimeoutSeconds + (run.options.rollbackWaitSeconds ?? 60)) * 1000;
  const base = { deployId: id, ...(oldHash ? { oldHash } : {}) };
  emit(run, 'waiting-for-rollback', why);
  await sleep(Math.max(0, (deadline ? deadline * 1000 - Date.now() : 0)) + 1500);
  while (Date.now() < waitUntil) {
    const connected = await run.connect(run.target.ssh, run.options.ssh ?? {});
    if (!connected.ok) {
      await sleep(1000);
      continue;
    }
    const agent = new AgentSession(connected.value, run.paths);
    try {
      const result = await agent.result(id, run.target.backend);
      if (result.exec.code !== 0) {
        await sleep(1000);
        continue;
      }
      if (first(result.output, 'state') === 'pending') {
        await sleep(1000);
        continue;
      }
      const record = parseAuditLines(result.output.values.get('record')?.join('\n'))[0];
      const liveHash = first(result.output, 'hash');
      if (record?.outcome === 'confirmed') {
        return report(run, 'confirmed', 'confirmed (the confirmation reached the server before the link failed)', { ...base, liveHash });
      }
      const verified = oldHash === undefined || liveHash === oldHash;
      const who = record?.client && record.client !== 'unknown' ? ` from ${record.client}` : '';
      const cause = record?.reason === 'confirm-timeout' || record?.reason === 'late-confirm' ? `new rules blocked SSH${who}` : `deploy failed (${record?.reason ?? why})`;
      const message = verified
        ? `${cause}; server rolled back at ${clock(record?.time)}`
        : `${cause}; server rolled back at ${clock(record?.time)}, but the live ruleset hash differs from the one before the deploy`;
      emit(run, 'done', message);
      return report(run, 'rolled-back', message, { ...base, ...(liveHash ? { liveHash } : {}), ...(record?.time ? { rolledBackAt: record.time } : {}) });
    } finally {
      connected.value.close();
    }
  }
  return failed(run, {
    code: 'unreachable',
    message: `could not confirm (${why || 'no new SSH connection'}); the server rolls back on its own${deadline ? ` at ${new Date(deadline * 1000).toISOString().slice(11, 19)} UTC` : ''}, but it could not be reached again to verify`,
  }, base);
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
