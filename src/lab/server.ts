import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

/** One lab "server": a network namespace joined to the root namespace by a veth pair, running sshd. */
export interface LabServer {
  netns: string;
  /** veth end in the root namespace (the deployer's side) and its address. */
  vethHost: string;
  clientAddress: string;
  /** veth end inside the namespace and the address sshd listens on. */
  vethServer: string;
  address: string;
  port: number;
  dir: string;
  pid: number;
  hostKey: string;
}

export interface LabServerSpec {
  netns: string;
  vethHost: string;
  vethServer: string;
  /** A /30: `.1` style client address and `.2` style server address. */
  clientAddress: string;
  address: string;
  dir: string;
  /** Public key line allowed to log in as root. */
  authorizedKey: string;
  /**
   * Give sshd (and so the agent) a private view of /etc and /var/lib (overlayfs in its own mount
   * namespace, upper dirs under `dir`), so deploys with the default server paths never touch the
   * machine's own /etc/nftables.conf or /var/lib/benteng.
   */
  privateRoot?: boolean;
}

const run = (cmd: string, args: string[]) => execa(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** Creates a client key pair (ed25519, no passphrase) in `dir`; returns the private key path and public line. */
export async function createClientKey(dir: string): Promise<{ privateKeyPath: string; publicKey: string }> {
  mkdirSync(dir, { recursive: true });
  const privateKeyPath = join(dir, 'client_ed25519');
  if (!existsSync(privateKeyPath)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'benteng-lab', '-f', privateKeyPath]);
  return { privateKeyPath, publicKey: readFileSync(`${privateKeyPath}.pub`, 'utf8').trim() };
}

async function fingerprint(publicKeyPath: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath]);
  return stdout.split(' ')[1] ?? '';
}

/**
 * Creates the namespace, veth pair and addresses, then starts sshd with its own host key and config.
 * On failure, removes whatever it created before rethrowing.
 */
export async function startLabServer(spec: LabServerSpec): Promise<LabServer> {
  try {
    return await createLabServer(spec);
  } catch (err) {
    await stopLabServer({ netns: spec.netns, vethHost: spec.vethHost, dir: spec.dir });
    throw err;
  }
}

async function createLabServer(spec: LabServerSpec): Promise<LabServer> {
  mkdirSync(spec.dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });
  await run('ip', ['netns', 'add', spec.netns]);
  await run('ip', ['link', 'add', spec.vethHost, 'type', 'veth', 'peer', 'name', spec.vethServer]);
  await run('ip', ['link', 'set', spec.vethServer, 'netns', spec.netns]);
  await run('ip', ['addr', 'add', `${spec.clientAddress}/30`, 'dev', spec.vethHost]);
  await run('ip', ['link', 'set', spec.vethHost, 'up']);
  await run('ip', ['-n', spec.netns, 'addr', 'add', `${spec.address}/30`, 'dev', spec.vethServer]);
  await run('ip', ['-n', spec.netns, 'link', 'set', spec.vethServer, 'up']);
  await run('ip', ['-n', spec.netns, 'link', 'set', 'lo', 'up']);
  const hostKeyPath = join(spec.dir, 'ssh_host_ed25519_key');
  if (!existsSync(hostKeyPath)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKeyPath]);
  writeFileSync(join(spec.dir, 'authorized_keys'), spec.authorizedKey + '\n', { mode: 0o600 });
  const pidFile = join(spec.dir, 'sshd.pid');
  const config = [
    `ListenAddress ${spec.address}`,
    'Port 22',
    `HostKey ${hostKeyPath}`,
    `PidFile ${pidFile}`,
    `AuthorizedKeysFile ${join(spec.dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'LogLevel ERROR',
    '',
  ].join('\n');
  const configPath = join(spec.dir, 'sshd_config');
  writeFileSync(configPath, config);
  const sshd = ['/usr/sbin/sshd', '-f', configPath, '-E', join(spec.dir, 'sshd.log')];
  if (spec.privateRoot) {
    const mounts = ['etc', 'var-lib'].map((name) => {
      for (const sub of ['upper', 'work']) mkdirSync(join(spec.dir, 'overlay', name, sub), { recursive: true });
      const lower = name === 'etc' ? '/etc' : '/var/lib';
      const o = join(spec.dir, 'overlay', name);
      return `mount -t overlay overlay -o lowerdir=${lower},upperdir=${o}/upper,workdir=${o}/work ${lower}`;
    });
    await run('ip', ['netns', 'exec', spec.netns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', `${mounts.join(' && ')} && exec "$@"`, 'sh', ...sshd]);
  } else {
    await run('ip', ['netns', 'exec', spec.netns, ...sshd]);
  }
  let pid = 0;
  for (let i = 0; i < 100 && !pid; i++) {
    if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, 'utf8').trim()) || 0;
    if (!pid) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!pid) throw new Error(`sshd in ${spec.netns} did not write ${pidFile}`);
  return {
    netns: spec.netns,
    vethHost: spec.vethHost,
    clientAddress: spec.clientAddress,
    vethServer: spec.vethServer,
    address: spec.address,
    port: 22,
    dir: spec.dir,
    pid,
    hostKey: await fingerprint(`${hostKeyPath}.pub`),
  };
}

/** Whether a process with this pid exists (signal 0 probes without touching it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a lab server: kills sshd by its pidfile pid and every process left in the namespace (its
 * sessions and detached rollback timers, listed by `ip netns pids`), then deletes the namespace and veth.
 * Safe to call on a half-created server.
 */
export async function stopLabServer(server: Pick<LabServer, 'netns' | 'vethHost' | 'dir'> & { pid?: number }): Promise<void> {
  const pids = new Set<number>();
  if (server.pid) pids.add(server.pid);
  const pidFile = join(server.dir, 'sshd.pid');
  if (existsSync(pidFile)) pids.add(Number(readFileSync(pidFile, 'utf8').trim()));
  const inNs = await execa('ip', ['netns', 'pids', server.netns], { reject: false });
  for (const line of inNs.stdout.split('\n')) if (/^\d+$/.test(line.trim())) pids.add(Number(line.trim()));
  for (const pid of pids) if (pid > 1 && alive(pid)) process.kill(pid, 'SIGKILL');
  await execa('ip', ['link', 'del', server.vethHost], { reject: false });
  await execa('ip', ['netns', 'del', server.netns], { reject: false });
}
