import type { CompiledHost } from '../build/compiled-host.js';
import type { SshOptions } from '../deploy/index.js';
import type { FleetModel } from '../model/index.js';
import { checkPolicies } from '../pipeline.js';
import { REPORTERS } from '../report/index.js';
import { closest } from '../diagnostics/did-you-mean.js';
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

/** What selection needs of a host: its name and tags (a `HostModel`, or an inventory entry). */
export interface SelectableHost {
  name: string;
  tags: readonly string[];
}

/**
 * Host names and `tag:T` selectors (or `--all`) → host names, in inventory order. An unknown name or
 * tag is a usage error with "did you mean" when one is close, else the list of what exists.
 * `addressesToo`: the command also takes addresses (block), so the message says so.
 */
export function selectHostNames(inventory: readonly SelectableHost[], selectors: string[], everyHost: boolean, addressesToo = false): string[] {
  if (everyHost && selectors.length > 0) throw new UsageError('give hosts (or tag:T) or --all, not both');
  if (!everyHost && selectors.length === 0) throw new UsageError('name at least one host or tag:T, or --all');
  const chosen = new Set<string>();
  const problems: string[] = [];
  let listHosts = false;
  let listTags = false;
  const names = inventory.map((h) => h.name);
  const tags = [...new Set(inventory.flatMap((h) => h.tags))].sort();
  for (const selector of selectors) {
    if (selector.startsWith('tag:')) {
      const tag = selector.slice(4);
      const tagged = inventory.filter((h) => h.tags.includes(tag));
      if (tagged.length > 0) tagged.forEach((h) => chosen.add(h.name));
      else {
        const hint = closest(tag, tags);
        problems.push(`no host has tag "${tag}"${hint ? `, did you mean \`tag:${hint}\`?` : ''}`);
        listTags ||= !hint;
      }
    } else if (names.includes(selector)) chosen.add(selector);
    else {
      const hint = closest(selector, names);
      problems.push(`${addressesToo ? `"${selector}" is neither an address nor a host in hosts.yaml` : `unknown host "${selector}"`}${hint ? `, did you mean \`${hint}\`?` : ''}`);
      listHosts ||= !hint;
    }
  }
  if (problems.length > 0) {
    const lists = [listHosts ? `hosts: ${names.join(', ')}` : '', listTags ? `tags: ${tags.join(', ') || 'none'}` : ''].filter(Boolean);
    throw new UsageError(`${problems.join('; ')}${lists.length > 0 ? ` (${lists.join('; ')})` : ''}`);
  }
  return names.filter((n) => everyHost || chosen.has(n));
}

/** Host names and `tag:T` selectors → targets (no ruleset: blocks need only the SSH endpoint and backend). */
export function selectTargets(model: FleetModel, selectors: string[], everyHost: boolean): CompiledHost[] {
  const names = new Set(selectHostNames(model.hosts, selectors, everyHost, true));
  return model.hosts.filter((h) => names.has(h.name)).map((h) => ({ host: h.name, backend: h.backend, ssh: h.ssh, ruleset: {} }));
}

/** Flags shared by the commands that reach servers without deploying (block, unblock, blocks, drops). */
export interface ServerFlags {
  policies: string;
  identity?: string;
  knownHosts?: string;
  sshConfig?: string;
  stateDir?: string;
  all?: boolean;
  format: string;
}

export function sshOptionsOf(flags: ServerFlags): SshOptions {
  return {
    ...(flags.identity ? { privateKeyPath: flags.identity } : {}),
    ...(flags.knownHosts ? { knownHostsPath: flags.knownHosts } : {}),
    ...(flags.sshConfig ? { sshConfigPath: flags.sshConfig } : {}),
  };
}
