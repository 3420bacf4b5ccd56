/**
 * The SSH transport: one authenticated ssh2 connection to a host, reached directly or through jump
 * hosts, with every hop's host key checked. The only place benteng opens SSH connections.
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import ssh2, { Client, type AgentAuthMethod, type AuthMethod, type ConnectConfig, type PublicKeyAuthMethod } from 'ssh2';
import type { SshEndpoint } from '../../build/compiled-host.js';
import type { DeployError, Result, SshOptions } from '../types.js';
import { verifyHostKey, type HostKeyPolicy, type HostKeyVerdict } from './host-key.js';
import { planRoute, whereOf, type Hop } from './route.js';
import { loadSshConfig, localEnv } from './ssh-config.js';

export interface ExecResult {
  /** Exit status; null when the connection died or the command was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One authenticated SSH connection to a host. */
export interface Transport {
  /** Runs a command line in the login shell; `stdin` is written and closed. Resolves even when the link dies. */
  exec(command: string, stdin?: string): Promise<ExecResult>;
  /** True when the login user is not root, so privileged commands need `sudo -n`. */
  readonly viaSudo: boolean;
  close(): void;
}

/** Opens a transport; the deployer takes this as a parameter so tests can substitute a fake. */
export type Connect = (endpoint: SshEndpoint, options: SshOptions) => Promise<Result<Transport>>;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function hostKeyPolicy(hop: Hop): Promise<HostKeyPolicy> {
  if (hop.hostKey) return { pinned: hop.hostKey };
  const texts = await Promise.all(hop.knownHostsFiles.map(readOptional));
  return { knownHosts: texts.filter((t) => t !== undefined).join('\n') };
}

function hostKeyError(hop: Hop, verdict: Exclude<HostKeyVerdict, { ok: true }>): DeployError {
  const where = `${hop.address}:${hop.port}`;
  switch (verdict.reason) {
    case 'unknown':
      return {
        code: 'host-key-unknown',
        message: `host key of ${where} is unknown (server offered ${verdict.seen}); pin it in hosts.yaml (ssh.hostKey) or add it to known_hosts`,
      };
    case 'changed':
      return {
        code: 'host-key-changed',
        message: `host key of ${where} does not match: expected ${verdict.expected ?? 'a known key'}, server offered ${verdict.seen}; refusing to connect`,
      };
    case 'revoked':
      return { code: 'host-key-changed', message: `host key of ${where} (${verdict.seen}) is revoked in known_hosts; refusing to connect` };
  }
}

/** Errors worth another attempt: the server or the path may come back (never a key or auth problem). */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN']);

function isTransient(err: Error & { code?: string; level?: string }): boolean {
  if (err.code && TRANSIENT_CODES.has(err.code)) return true;
  return err.level === 'client-timeout' || /timed out while waiting for handshake/i.test(err.message);
}

/**
 * The key files of a hop that can be read and parsed without a passphrase. A missing `-i` key is an
 * error; an encrypted one too, unless ssh-agent is in use (it may hold the key).
 */
async function keysOf(hop: Hop): Promise<Result<Buffer[]>> {
  const keys: Buffer[] = [];
  for (const path of hop.identityFiles) {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      if (path === hop.requiredKey) return { ok: false, error: { code: 'auth-failed', message: `cannot read private key ${path}` } };
      continue;
    }
    if (ssh2.utils.parseKey(data) instanceof Error) {
      if (path === hop.requiredKey && !hop.useAgent) {
        return { ok: false, error: { code: 'auth-failed', message: `cannot use private key ${path} (encrypted or not a key); add it to ssh-agent instead` } };
      }
      continue;
    }
    keys.push(data);
  }
  return { ok: true, value: keys };
}

/** Connects one hop, over `sock` (a channel forwarded by the previous hop) when given. */
async function connectHop(hop: Hop, options: SshOptions, sock: Duplex | undefined): Promise<Result<Client>> {
  const policy = await hostKeyPolicy(hop);
  const keys = await keysOf(hop);
  if (!keys.ok) return keys;
  const agent = hop.useAgent ? options.agentSocket ?? process.env.SSH_AUTH_SOCK : undefined;
  const where = whereOf(hop);
  const methods: AuthMethod[] = keys.value.map((key) => ({ type: 'publickey', username: hop.user, key }) as PublicKeyAuthMethod);
  if (agent) methods.push({ type: 'agent', username: hop.user, agent } as AgentAuthMethod);
  let rejectedKey: DeployError | undefined;
  const config: ConnectConfig = {
    host: hop.address,
    port: hop.port,
    username: hop.user,
    readyTimeout: hop.readyTimeoutMs ?? 8000,
    keepaliveInterval: options.keepaliveIntervalMs ?? 1000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
    hostVerifier: (key: Buffer) => {
      const verdict = verifyHostKey(policy, hop.address, hop.port, key);
      if (!verdict.ok) rejectedKey = hostKeyError(hop, verdict);
      return verdict.ok;
    },
    authHandler: methods,
    ...(sock ? { sock } : {}),
  };
  const tried = [keys.value.length > 0 ? `${keys.value.length} key file${keys.value.length > 1 ? 's' : ''}` : '', agent ? 'ssh-agent' : ''].filter(Boolean).join(' and ');
  return new Promise<Result<Client>>((resolve) => {
    const client = new Client();
    let settled = false;
    const settle = (result: Result<Client>) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    client.on('ready', () => settle({ ok: true, value: client }));
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      client.end();
      if (rejectedKey) return settle({ ok: false, error: rejectedKey });
      if (err.level === 'client-authentication') {
        return settle({ ok: false, error: { code: 'auth-failed', message: `authentication to ${where} failed (tried ${tried || 'no key file and no ssh-agent'})` } });
      }
      settle({ ok: false, error: { code: 'unreachable', message: `cannot reach ${where}: ${err.message}`, ...(isTransient(err) ? { transient: true } : {}) } });
    });
    client.on('close', () => settle({ ok: false, error: { code: 'unreachable', message: `connection to ${where} closed during the handshake`, transient: true } }));
    try {
      client.connect(config);
    } catch (err) {
      settle({ ok: false, error: { code: 'unreachable', message: `cannot connect to ${where}: ${(err as Error).message}` } });
    }
  });
}

/** Asks `via` to open a TCP connection to the next hop (ssh's direct-tcpip, what `ssh -J` does). */
function forward(via: Client, hop: Hop): Promise<Result<Duplex>> {
  return new Promise((resolve) => {
    try {
      via.forwardOut('127.0.0.1', 0, hop.address, hop.port, (err, stream) => {
        if (err) {
          const transient = /refused|timed? ?out/i.test(err.message);
          return resolve({ ok: false, error: { code: 'unreachable', message: `cannot reach ${whereOf(hop)}: the jump host could not connect: ${err.message}`, ...(transient ? { transient } : {}) } });
        }
        resolve({ ok: true, value: stream });
      });
    } catch (err) {
      resolve({ ok: false, error: { code: 'unreachable', message: `cannot reach ${whereOf(hop)}: ${(err as Error).message}` } });
    }
  });
}

function throughHops(error: DeployError, hop: Hop, index: number, hops: Hop[]): DeployError {
  const last = index === hops.length - 1;
  const jumps = hops.slice(0, index).map((h) => h.name);
  if (!last) {
    const via = jumps.length > 0 ? ` (through ${jumps.join(' → ')})` : '';
    return { ...error, message: `jump host ${hop.name}${via}: ${error.message}` };
  }
  return jumps.length > 0 ? { ...error, message: `${error.message} (through jump host${jumps.length > 1 ? 's' : ''} ${jumps.join(' → ')})` } : error;
}

/**
 * Connects with ssh2, through the jump hosts of the route (hosts.yaml's `proxyJump` or ~/.ssh/config's
 * ProxyJump): each jump is a full SSH connection with its own host-key check and authentication, the
 * next hop runs over a channel it forwards. Guarantees: every hop's host key is checked (pinned
 * fingerprint or known_hosts) before authentication and before any command; an unknown or changed key
 * fails with the SHA256 fingerprint seen; an error names the hop that failed; a dead link is noticed
 * within readyTimeout / keepaliveInterval × keepaliveCountMax; `close()` closes every hop.
 */
export const connectSsh: Connect = async (endpoint, options) => {
  const env = localEnv();
  const config = loadSshConfig(options.sshConfigPath, env);
  if (config && 'error' in config) return { ok: false, error: { code: 'ssh-config', message: config.error } };
  const plan = planRoute(endpoint, options, config, env);
  for (const note of [...(config?.notes ?? []), ...plan.notes]) options.onNote?.(note);
  if (!plan.ok) return { ok: false, error: plan.error };
  const clients: Client[] = [];
  const closeAll = () => {
    for (const c of [...clients].reverse()) c.end();
  };
  for (const [index, hop] of plan.hops.entries()) {
    let sock: Duplex | undefined;
    if (index > 0) {
      const forwarded = await forward(clients[index - 1]!, hop);
      if (!forwarded.ok) {
        closeAll();
        return { ok: false, error: throughHops(forwarded.error, hop, index, plan.hops) };
      }
      sock = forwarded.value;
    }
    const connected = await connectHop(hop, options, sock);
    if (!connected.ok) {
      closeAll();
      return { ok: false, error: throughHops(connected.error, hop, index, plan.hops) };
    }
    clients.push(connected.value);
  }
  const target = clients.at(-1)!;
  if (clients.length > 1) target.on('close', closeAll);
  return { ok: true, value: sshTransport(target, plan.hops.at(-1)!.user !== 'root', closeAll) };
};

function sshTransport(client: Client, viaSudo: boolean, closeAll: () => void): Transport {
  let closed = false;
  client.on('close', () => {
    closed = true;
  });
  client.on('error', () => {
    closed = true;
  });
  return {
    viaSudo,
    exec(command, stdin) {
      return new Promise<ExecResult>((resolve) => {
        if (closed) return resolve({ code: null, stdout: '', stderr: 'connection lost' });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let exitCode: number | null = null;
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          client.removeListener('close', finish);
          resolve({ code: exitCode, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
        };
        client.once('close', finish);
        try {
          client.exec(command, (err, channel) => {
            if (err) return finish();
            channel.on('data', (chunk: Buffer) => stdout.push(chunk));
            channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
            channel.on('exit', (code: number | null) => {
              exitCode = typeof code === 'number' ? code : null;
            });
            channel.on('close', finish);
            channel.end(stdin ?? '');
          });
        } catch {
          finish();
        }
      });
    },
    close() {
      closed = true;
      closeAll();
    },
  };
}
