import type { CompiledHost } from '../build/compiled-host.js';
import { AgentSession, first, frameRuleset, parseAuditLines } from './agent/protocol.js';
import { parseActive } from './blocks.js';
import { parseCounters } from './counters.js';
import { unifiedDiff } from './diff.js';
import { serverPaths } from './host-deploy.js';
import { connectSsh, type Connect } from './ssh/transport.js';
import type { DeployError, DeployOptions, StatusReport, SyncState } from './types.js';

/**
 * Reads a host's state and changes nothing on it: no upload, no lock (the agent runs inline with
 * `sh -c`). Compares the canonical live listing with the compiled ruleset's, rendered by the host's own
 * kernel in a scratch namespace. States: `pending-confirmation` wins; then `in-sync` when the hashes
 * match; `not-deployed` when the server has no deploy record; else `drifted`, with the diff (for
 * iptables the listing carries each hook's position, so a rule inserted before benteng's hook shows).
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
    const status = await agent.status(target.backend, options.auditLines ?? 10);
    if (status.exec.code !== 0) return failed(agent.failure(status.exec, 'reading status'));
    const out = status.output;
    let compiledHash: string | undefined;
    let compiledText = '';
    const framed = frameRuleset(target.backend, target.ruleset);
    if (framed.ok) {
      const rendered = await agent.render(target.backend, framed.value);
      if (rendered.exec.code !== 0) return failed(agent.failure(rendered.exec, 'rendering the compiled ruleset'));
      compiledHash = first(rendered.output, 'hash');
      compiledText = rendered.output.blocks.get('canon') ?? '';
    }
    const pending = (out.values.get('pending') ?? []).map((line) => {
      const [id = '', ...rest] = line.split(' ');
      const fields = rest.join(' ');
      const left = /seconds-left=(-?\d+)/.exec(fields)?.[1];
      return { id, ...(left !== undefined ? { secondsLeft: Number(left) } : {}), timerAlive: /timer=alive/.test(fields) };
    });
    const liveHash = first(out, 'hash');
    const deployed = first(out, 'deployed') === 'yes';
    const state: SyncState =
      pending.length > 0 ? 'pending-confirmation'
      : liveHash === compiledHash ? 'in-sync'
      : !deployed ? 'not-deployed'
      : 'drifted';
    const diff = state === 'drifted' ? unifiedDiff(compiledText, out.blocks.get('live') ?? '', { before: `${target.host} (compiled)`, after: `${target.host} (live)` }) : '';
    const confirmedHash = first(out, 'confirmed-hash');
    const lockedBy = first(out, 'locked-by');
    const serverTime = first(out, 'server-time');
    const foreignChains = out.values.get('foreign-chain') ?? [];
    const unfinished = out.values.get('unfinished') ?? [];
    const counters = parseCounters(target.backend, out.blocks.get('counters') ?? '');
    const blocks = parseActive(target, out);
    return {
      host: target.host,
      ok: true,
      state,
      ...(liveHash ? { liveHash } : {}),
      ...(compiledHash ? { compiledHash } : {}),
      ...(confirmedHash ? { confirmedHash } : {}),
      ...(lockedBy ? { lockedBy } : {}),
      ...(diff ? { diff } : {}),
      ...(foreignChains.length ? { foreignChains } : {}),
      ...(unfinished.length ? { unfinished } : {}),
      ...(serverTime ? { serverTime } : {}),
      counters,
      blocks,
      pending,
      audit: parseAuditLines(out.blocks.get('audit')),
    };
  } finally {
    connected.value.close();
  }
}
