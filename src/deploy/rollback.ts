import type { CompiledHost, CompiledRuleset } from '../build/compiled-host.js';
import { AgentSession } from './agent/protocol.js';
import { runDeploy, serverPaths } from './host-deploy.js';
import { connectSsh, type Connect } from './ssh/transport.js';
import type { DeployOptions, DeployReport, ErrorCode, ProgressListener } from './types.js';

/**
 * Puts back the previous confirmed ruleset kept on the server (`history/previous`), through the same
 * lock / check / timer / confirm protocol as a deploy, so a rollback cannot lock the operator out either.
 * `target.ruleset` is ignored; `target.ssh` and `target.backend` are used.
 */
export async function rollbackHost(
  target: CompiledHost,
  options: DeployOptions,
  progress: ProgressListener = () => {},
  connect: Connect = connectSsh,
): Promise<DeployReport> {
  const started = Date.now();
  const fail = (code: ErrorCode, message: string): DeployReport => ({
    host: target.host,
    backend: target.backend,
    ok: false,
    outcome: code === 'unreachable' ? 'unreachable' : 'failed',
    message,
    error: { code, message },
    durationMs: Date.now() - started,
  });
  const connected = await connect(target.ssh, options.ssh ?? {});
  if (!connected.ok) return fail(connected.error.code, connected.error.message);
  let ruleset: CompiledRuleset;
  try {
    const agent = new AgentSession(connected.value, serverPaths(options));
    const previous = await agent.previous();
    if (previous.exec.code !== 0) {
      const error = agent.failure(previous.exec, 'reading the previous ruleset');
      return fail(previous.exec.code === 66 ? 'no-previous' : error.code, `${target.host}: ${error.message}`);
    }
    const blocks = previous.output.blocks;
    ruleset = target.backend === 'nftables' ? { nft: blocks.get('nft') } : { rulesV4: blocks.get('v4'), rulesV6: blocks.get('v6') };
  } finally {
    connected.value.close();
  }
  return runDeploy(target, ruleset, 'rollback', { ...options, dryRun: false }, progress, connect);
}
