import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Client, type ConnectConfig } from 'ssh2';
import type { SshEndpoint } from '../../build/compiled-host.js';
import type { DeployError, Result, SshOptions } from '../types.js';
import { verifyHostKey, type HostKeyPolicy, type HostKeyVerdict } from './host-key.js';

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

async function defaultPrivateKey(): Promise<Buffer | undefined> {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    try {
      return await readFile(join(homedir(), '.ssh', name));
    } catch {
      continue;
    }
  }
  return undefined;
}

async function hostKeyPolicy(endpoint: SshEndpoint, options: SshOptions): Promise<HostKeyPolicy | DeployError> {
  if (endpoint.hostKey) return { pinned: endpoint.hostKey };
  const path = options.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
  const knownHosts = await readOptional(path);
  return { knownHosts: knownHosts ?? '' };
}

function hostKeyError(endpoint: SshEndpoint, verdict: Exclude<HostKeyVerdict, { ok: true }>): DeployError {
  const where = `${endpoint.address}:${endpoint.port}`;
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

/**
 * Connects with ssh2. Guarantees: the host key is checked (pinned fingerprint or known_hosts) before
 * authentication and before any command; an unknown or changed key fails with the SHA256 fingerprint
 * seen; a dead link is noticed within readyTimeout / keepaliveInterval × keepaliveCountMax.
 */
export const connectSsh: Connect = async (endpoint, options) => {
  const policy = await hostKeyPolicy(endpoint, options);
  if ('code' in policy) return { ok: false, error: policy };
  const privateKey = options.privateKeyPath ? await readOptional(options.privateKeyPath) : await defaultPrivateKey();
  if (options.privateKeyPath && privateKey === undefined) {
    return { ok: false, error: { code: 'auth-failed', message: `cannot read private key ${options.privateKeyPath}` } };
  }
  const agent = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
  let rejectedKey: DeployError | undefined;
  const config: ConnectConfig = {
    host: endpoint.address,
    port: endpoint.port,
    username: endpoint.user,
    readyTimeout: options.readyTimeoutMs ?? 8000,
    keepaliveInterval: options.keepaliveIntervalMs ?? 1000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
    hostVerifier: (key: Buffer) => {
      const verdict = verifyHostKey(policy, endpoint.address, endpoint.port, key);
      if (!verdict.ok) rejectedKey = hostKeyError(endpoint, verdict);
      return verdict.ok;
    },
    ...(privateKey !== undefined ? { privateKey } : {}),
    ...(agent ? { agent } : {}),
  };
  const where = `${endpoint.user}@${endpoint.address}:${endpoint.port}`;
  return new Promise<Result<Transport>>((resolve) => {
    const client = new Client();
    let settled = false;
    const settle = (result: Result<Transport>) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    client.on('ready', () => settle({ ok: true, value: sshTransport(client, endpoint.user !== 'root') }));
    client.on('error', (err: Error & { level?: string }) => {
      client.end();
      if (rejectedKey) return settle({ ok: false, error: rejectedKey });
      if (err.level === 'client-authentication') {
        return settle({ ok: false, error: { code: 'auth-failed', message: `authentication to ${where} failed (tried ${privateKey ? 'key file' : ''}${privateKey && agent ? ' and ' : ''}${agent ? 'ssh-agent' : ''})` } });
      }
      settle({ ok: false, error: { code: 'unreachable', message: `cannot reach ${where}: ${err.message}` } });
    });
    client.on('close', () => settle({ ok: false, error: { code: 'unreachable', message: `connection to ${where} closed during the handshake` } }));
    try {
      client.connect(config);
    } catch (err) {
      settle({ ok: false, error: { code: 'unreachable', message: `cannot connect to ${where}: ${(err as Error).message}` } });
    }
  });
};

function sshTransport(client: Client, viaSudo: boolean): Transport {
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
      client.end();
    },
  };
}
