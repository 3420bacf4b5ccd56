import type { CompiledHost } from '../build/compiled-host.js';
import type { SshOptions } from '../deploy/index.js';
import type { FleetModel } from '../model/index.js';
import { checkPolicies } from '../pipeline.js';
import { REPORTERS } from '../report/index.js';
import { type CliIo, UsageError } from './io.js';

/** The resolved fleet for commands that act on servers without compiling (block, unblock, blocks, drops). */
export async function fleetModel(io: CliIo, policies: string): Promise<FleetModel | undefined> {
  const checked = await checkPolicies(policies, { lint: false });
  if (!checked.model) {
    io.stderr(REPORTERS.pretty!(checked.diagnostics, { chalk: io.chalk, sources: checked.sources }));
    io.stderr(`${io.chalk.red('error')}: the policies have errors; nothing was changed\n`);
    return undefined;
  }
  return checked.model;
}

/** Host names and `tag:T` selectors → targets (no ruleset: blocks need only the SSH endpoint and backend). */
export function selectTargets(model: FleetModel, selectors: string[], everyHost: boolean): CompiledHost[] {
  if (everyHost && selectors.length > 0) throw new UsageError('give hosts (or tag:T) or --all, not both');
  if (!everyHost && selectors.length === 0) throw new UsageError('name at least one host or tag:T, or --all');
  const chosen = new Set<string>();
  for (const selector of selectors) {
    if (selector.startsWith('tag:')) {
      const tag = selector.slice(4);
      const tagged = model.hosts.filter((h) => h.tags.includes(tag));
      if (tagged.length === 0) throw new UsageError(`no host has tag "${tag}"`);
      for (const h of tagged) chosen.add(h.name);
    } else if (model.hosts.some((h) => h.name === selector)) chosen.add(selector);
    else throw new UsageError(`"${selector}" is neither an address nor a host in hosts.yaml (hosts: ${model.hosts.map((h) => h.name).join(', ')})`);
  }
  return model.hosts
    .filter((h) => everyHost || chosen.has(h.name))
    .map((h) => ({ host: h.name, backend: h.backend, ssh: h.ssh, ruleset: {} }));
}


/** Flags shared by the commands that reach servers without deploying (block, unblock, blocks, drops). */
export interface ServerFlags {
  policies: string;
  identity?: string;
  knownHosts?: string;
  stateDir?: string;
  all?: boolean;
  format: string;
}

export function sshOptionsOf(flags: ServerFlags): SshOptions {
  return { ...(flags.identity ? { privateKeyPath: flags.identity } : {}), ...(flags.knownHosts ? { knownHostsPath: flags.knownHosts } : {}) };
}
