/**
 * The route to a host: the hops to connect through (ProxyJump) and, for each, the address, port, user,
 * keys and known_hosts files to use. Pure: the transport reads the files it names.
 *
 * Precedence per field: what hosts.yaml writes and the CLI flags (`-i`, `--known-hosts`) win, then
 * ~/.ssh/config (looked up by the host's name in hosts.yaml and by its address), then benteng's
 * defaults (first address, port 22, root, ~/.ssh/id_ed25519|id_ecdsa|id_rsa, ~/.ssh/known_hosts).
 * A pinned `hostKey` is always checked instead of known_hosts.
 */
import { join } from 'node:path';
import type { SshEndpoint } from '../../build/compiled-host.js';
import { parseSshDestination, splitJumps } from '../../net/ssh-destination.js';
import type { DeployError, SshOptions } from '../types.js';
import { expandHostName, expandTokens, lookupHost, type HostSettings, type LocalEnv, type SshConfig } from './ssh-config.js';

export interface Hop {
  /** The name the hop is known by (hosts.yaml name or jump as written). */
  name: string;
  address: string;
  port: number;
  user: string;
  /** Pinned fingerprint from hosts.yaml; else `knownHostsFiles` decide. */
  hostKey?: string;
  /** Private key files to offer, in order; `requiredKey` is the `-i` one, whose absence is an error. */
  identityFiles: string[];
  requiredKey?: string;
  useAgent: boolean;
  knownHostsFiles: string[];
  readyTimeoutMs?: number;
}

export type RoutePlan = { ok: true; hops: Hop[]; notes: string[] } | { ok: false; error: DeployError; notes: string[] };

/** OpenSSH's limit on a ProxyJump chain, which also stops loops in ~/.ssh/config. */
export const MAX_JUMPS = 8;

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** `user@address:port`, the form every connection message uses. */
export function whereOf(hop: Pick<Hop, 'user' | 'address' | 'port'>): string {
  return `${hop.user}@${hop.address.includes(':') ? `[${hop.address}]` : hop.address}:${hop.port}`;
}

class RouteError extends Error {
  constructor(readonly error: DeployError) {
    super(error.message);
  }
}

const configError = (message: string) => new RouteError({ code: 'ssh-config', message });

/** Plans the hops to `endpoint`, the last hop being the host itself. */
export function planRoute(endpoint: SshEndpoint, options: SshOptions, config: SshConfig | undefined, env: LocalEnv): RoutePlan {
  const notes: string[] = [];
  try {
    const hops = routeTo(endpoint, options, config, env, notes, 0);
    return { ok: true, hops, notes };
  } catch (err) {
    if (err instanceof RouteError) return { ok: false, error: err.error, notes };
    throw err;
  }
}

function routeTo(endpoint: SshEndpoint, options: SshOptions, config: SshConfig | undefined, env: LocalEnv, notes: string[], depth: number): Hop[] {
  if (depth > MAX_JUMPS) throw configError(`more than ${MAX_JUMPS} jump hosts on the way to ${endpoint.name ?? endpoint.address} (a ProxyJump loop?)`);
  const settings = config ? lookupHost(config, { name: endpoint.name ?? endpoint.address, aliases: [endpoint.address], defaultUser: endpoint.user }, env) : undefined;
  for (const note of settings?.notes ?? []) if (!notes.includes(note)) notes.push(note);
  const hop = hopOf(endpoint, settings, options, env);
  const jumps = endpoint.proxyJump ?? (settings?.proxyJump !== undefined ? configJumps(settings.proxyJump, settings.from.proxyJump ?? 'ssh config') : []);
  if (jumps.length === 0) return [hop];
  const [first, ...rest] = jumps;
  const path = routeTo(first!, options, config, env, notes, depth + 1);
  for (const jump of rest) path.push(...routeTo({ ...jump, proxyJump: [] }, options, config, env, notes, depth + 1));
  if (path.length > MAX_JUMPS) throw configError(`more than ${MAX_JUMPS} jump hosts on the way to ${endpoint.name ?? endpoint.address} (a ProxyJump loop?)`);
  return [...path, hop];
}

function configJumps(text: string, at: string): SshEndpoint[] {
  return splitJumps(text).map((item) => {
    const parsed = parseSshDestination(item);
    if (!parsed.ok) throw configError(`${at}: ProxyJump \`${item}\`: ${parsed.reason}`);
    const { host, user, port } = parsed.value;
    const jump: SshEndpoint = { name: host, address: host, port: port ?? 22, user: user ?? 'root', defaulted: ['address'] };
    if (port === undefined) jump.defaulted!.push('port');
    if (user === undefined) jump.defaulted!.push('user');
    return jump;
  });
}

function hopOf(endpoint: SshEndpoint, settings: HostSettings | undefined, options: SshOptions, env: LocalEnv): Hop {
  const name = endpoint.name ?? endpoint.address;
  const may = (field: 'address' | 'port' | 'user') => endpoint.defaulted?.includes(field) === true;
  const address = may('address') && settings?.hostName !== undefined ? expandHostName(settings.hostName, name) : endpoint.address;
  const port = may('port') && settings?.port !== undefined ? settings.port : endpoint.port;
  const user = may('user') && settings?.user !== undefined ? settings.user : endpoint.user;
  const tokens = { h: address, n: name, p: String(port), r: user };
  const expand = (value: string, at: string | undefined) => {
    const expanded = expandTokens(value, tokens, env);
    if (!expanded.ok) throw configError(`${at ?? 'ssh config'}: unknown token ${expanded.token} in \`${value}\``);
    return expanded.value;
  };
  const identityFiles: string[] = [];
  if (options.privateKeyPath) identityFiles.push(options.privateKeyPath);
  for (const file of settings?.identityFiles ?? []) {
    const path = expand(file, 'IdentityFile');
    if (!identityFiles.includes(path)) identityFiles.push(path);
  }
  if (identityFiles.length === 0) identityFiles.push(...DEFAULT_KEYS.map((k) => join(env.home, '.ssh', k)));
  const agent = options.agentSocket ?? env.vars.SSH_AUTH_SOCK;
  const knownHostsFiles =
    options.knownHostsPath !== undefined ? [options.knownHostsPath]
    : settings?.userKnownHostsFiles !== undefined ? settings.userKnownHostsFiles.filter((f) => f !== 'none').map((f) => expand(f, settings.from.userKnownHostsFiles))
    : [join(env.home, '.ssh', 'known_hosts'), join(env.home, '.ssh', 'known_hosts2')];
  const hop: Hop = { name, address, port, user, identityFiles, useAgent: Boolean(agent) && settings?.identitiesOnly !== true, knownHostsFiles };
  if (endpoint.hostKey) hop.hostKey = endpoint.hostKey;
  if (options.privateKeyPath) hop.requiredKey = options.privateKeyPath;
  const timeout = options.readyTimeoutMs ?? (settings?.connectTimeoutSeconds !== undefined ? settings.connectTimeoutSeconds * 1000 : undefined);
  if (timeout !== undefined) hop.readyTimeoutMs = timeout;
  return hop;
}
