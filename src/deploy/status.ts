import type { CompiledHost } from '../build/compiled-host.js';
import { AgentSession, first, frameRuleset, parseAuditLines } from './agent/protocol.js';
import { serverPaths } from './host-deploy.js';
import { connectSsh, type Connect } from './ssh/transport.js';
import type { DeployError, DeployOptions, StatusReport, SyncState } from './types.js';

/**
 * Reads a host's state without changing its ruleset: the canonical live hash against the compiled
 * ruleset's (rendered by the host's own kernel in a scratch namespace), pending deploys, the lock
 * holder and the last `auditLines` audit records. `pending-confirmation` wins over the hash comparison.
 */
export async function statusHost(
  target: CompiledHost,
  options: Pick<DeployOptions, 'ssh' | 'server'> & { auditLines?: number } = {},
  connect: Connect = connectSsh,
): Promise<StatusReport> {
  const failed = (error: DeployError): StatusReport => ({ host: target.host, ok: false, pending: [], audit: [], error });
  const connected = await connect(target.ssh, options.ssh ?? {});
  if (!connected.ok) return failed(connected.error);
  try {
    const agent = new AgentSession(connected.value, serverPaths({ confirmTimeoutSeconds: 0, ...options }));
    const installed = await agent.install();
    if (!installed.ok) return failed(installed.error);
    const status = await agent.status(target.backend, options.auditLines ?? 10);
    if (status.exec.code !== 0) return failed(agent.failure(status.exec, 'reading status'));
    const out = status.output;
    let compiledHash: string | undefined;
    const framed = frameRuleset(target.backend, target.ruleset);
    if (framed.ok) {
      const rendered = await agent.render(target.backend, framed.value);
      if (rendered.exec.code !== 0) return failed(agent.failure(rendered.exec, 'rendering the compiled ruleset'));
      compiledHash = first(rendered.output, 'hash');
    }
    const pending = (out.values.get('pending') ?? []).map((line) => {
      const [id = '', ...rest] = line.split(' ');
      const deadline = Number(/deadline=(\d+)/.exec(rest.join(' '))?.[1] ?? 0);
      return { id, deadline };
    });
    const liveHash = first(out, 'hash');
    const state: SyncState = pending.length > 0 ? 'pending-confirmation' : liveHash === compiledHash ? 'in-sync' : 'drifted';
    const confirmedHash = first(out, 'confirmed-hash');
    const lockedBy = first(out, 'locked-by');
    return {
      host: target.host,
      ok: true,
      state,
      ...(liveHash ? { liveHash } : {}),
      ...(compiledHash ? { compiledHash } : {}),
      ...(confirmedHash ? { confirmedHash } : {}),
      ...(lockedBy ? { lockedBy } : {}),
      pending,
      audit: parseAuditLines(out.blocks.get('audit')),
    };
  } finally {
    connected.value.close();
  }
}
