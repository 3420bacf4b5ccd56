import type { CompiledHost } from '../build/compiled-host.js';
import { fanOut } from './fan-out.js';
import { deployHost } from './host-deploy.js';
import { connectSsh, type Connect } from './ssh/transport.js';
import type { DeployReport, FleetOptions, FleetReport, ProgressListener } from './types.js';

function skipped(target: CompiledHost, why: string): DeployReport {
  return { host: target.host, backend: target.backend, ok: false, outcome: 'skipped', message: why, durationMs: 0 };
}

/**
 * Deploys many hosts, at most `parallel` at once (default 4). With `canary`, the first host is deployed
 * alone first and the rest are skipped if it does not confirm. Reports come back in input order;
 * `ok` is true only when every host confirmed (or dry-ran).
 */
export async function deployFleet(
  targets: CompiledHost[],
  options: FleetOptions,
  progress: ProgressListener = () => {},
  connect: Connect = connectSsh,
): Promise<FleetReport> {
  const reports: DeployReport[] = new Array(targets.length);
  let start = 0;
  if (options.canary && targets.length > 1) {
    const canary = await deployHost(targets[0]!, options, progress, connect);
    reports[0] = canary;
    start = 1;
    if (!canary.ok) {
      for (let i = 1; i < targets.length; i++) reports[i] = skipped(targets[i]!, `skipped: canary ${canary.host} did not succeed (${canary.outcome})`);
      return { ok: false, reports };
    }
  }
  const rest = await fanOut(targets.slice(start), options.parallel ?? 4, (target) => deployHost(target, options, progress, connect));
  rest.forEach((r, i) => (reports[start + i] = r));
  return { ok: reports.every((r) => r.ok), reports };
}
