/**
 * Lab "servers" for `npm run lab` and the deploy tests: network namespaces running a real sshd, joined
 * by a veth pair to the root namespace or, for a server reachable only through another (a ProxyJump
 * target), to that server's namespace. Only documentation addresses; `stopLabServer` removes all of it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One lab "server": a network namespace joined to the root namespace by a veth pair, running sshd. */
export interface LabServer {
  netns: string;
  /** Where `vethHost` lives when not in the root namespace (see `LabServerSpec.clientNetns`). */
  clientNetns?: string;
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
  /**
   * Put `vethHost` (and `clientAddress`) in this namespace instead of the root namespace: the server
   * is then reachable only from there (a target behind a jump host), never from the root namespace.
   */
  clientNetns?: string;
  /** A /30: `.1` style client address and `.2` style server address. */
  clientAddress: string;
  address: string;
  dir: string;
  /** Public key line allowed to log in as root (and as `deployUser`). */
  authorizedKey: string;
  /**
   * Give sshd (and so the agent) a private view of /etc and /var/lib (overlayfs in its own mount
   * namespace, upper dirs under `dir`), so deploys with the default server paths never touch the
   * machine's own /etc/nftables.conf or /var/lib/benteng.
   */
  privateRoot?: boolean;
  /** A non-root login user; implies `privateRoot`. */
  deployUser?: LabDeployUser;
}

/**
 * A non-root login user that exists only inside the server's private root: its lines in /etc/passwd,
 * /etc/group and /etc/shadow, its /etc/sudoers.d entry and its home under /home are written to overlay
 * upper dirs under the server's `dir`, and sudo keeps its timestamps under the private /var/lib rather than
 * the machine's /run/sudo. The machine's own files are never written. The user logs in with
 * `authorizedKey`; it has no password.
 */
export interface LabDeployUser {
  name: string;
  /**
   * `nopasswd`: `NOPASSWD: ALL`, so `sudo -n` works (what the deployer needs).
   * `password`: sudo only with a password, which the user does not have, so `sudo -n` fails.
   */
  sudo: 'nopasswd' | 'password';
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/** Runs a command without a shell; never rejects (exitCode undefined when it could not start or was killed). */
export function runCommand(cmd: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
      resolve({ stdout: stdout.replace(/\n$/, ''), stderr: stderr.replace(/\n$/, ''), exitCode: code });
    });
  });
}

/** Runs a command and rejects with its stderr when it fails. */
async function run(cmd: string, args: string[]): Promise<CommandResult> {
  const result = await runCommand(cmd, args);
  if (result.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.exitCode ?? 'killed'}): ${result.stderr.trim()}`);
  return result;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

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
    await stopLabServer({ netns: spec.netns, vethHost: spec.vethHost, dir: spec.dir, ...(spec.clientNetns ? { clientNetns: spec.clientNetns } : {}) });
    throw err;
  }
}

async function createLabServer(spec: LabServerSpec): Promise<LabServer> {
  mkdirSync(spec.dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });
  await run('ip', ['netns', 'add', spec.netns]);
  const client = spec.clientNetns ? ['-n', spec.clientNetns] : [];
  await run('ip', [...client, 'link', 'add', spec.vethHost, 'type', 'veth', 'peer', 'name', spec.vethServer]);
  await run('ip', [...client, 'link', 'set', spec.vethServer, 'netns', spec.netns]);
  await run('ip', [...client, 'addr', 'add', `${spec.clientAddress}/30`, 'dev', spec.vethHost]);
  await run('ip', [...client, 'link', 'set', spec.vethHost, 'up']);
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
    ...(spec.deployUser ? [`Match User ${spec.deployUser.name}`, '  AuthorizedKeysFile .ssh/authorized_keys'] : []),
    '',
  ].join('\n');
  const configPath = join(spec.dir, 'sshd_config');
  writeFileSync(configPath, config);
  const sshd = ['/usr/sbin/sshd', '-f', configPath, '-E', join(spec.dir, 'sshd.log')];
  if (spec.privateRoot || spec.deployUser) {
    const script = join(spec.dir, 'private-root.sh');
    writeFileSync(script, privateRootScript(spec));
    await run('ip', ['netns', 'exec', spec.netns, 'unshare', '-m', '--propagation', 'private', 'sh', script, ...sshd]);
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
    ...(spec.clientNetns ? { clientNetns: spec.clientNetns } : {}),
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

/**
 * The shell script run in sshd's own mount namespace before it execs sshd ("$@"): overlays /etc and
 * /var/lib (and /home for a deploy user) with upper dirs under `spec.dir`, then creates the deploy user
 * in those overlays only. It refuses a user name the machine itself already has.
 */
function privateRootScript(spec: LabServerSpec): string {
  const user = spec.deployUser;
  if (user && (!/^[a-z_][a-z0-9_-]{0,30}$/.test(user.name) || user.name === 'root')) {
    throw new Error(`lab deploy user name ${JSON.stringify(user.name)} is not a plain non-root user name`);
  }
  const layers: [string, string][] = [['etc', '/etc'], ['var-lib', '/var/lib'], ...(user ? [['home', '/home'] as [string, string]] : [])];
  const lines = ['set -eu'];
  if (user) {
    lines.push(`if grep -q '^${user.name}:' /etc/passwd /etc/group; then echo "user or group ${user.name} exists on this machine; pick another lab deploy user" >&2; exit 1; fi`);
  }
  for (const [name, lower] of layers) {
    const o = join(spec.dir, 'overlay', name);
    for (const sub of ['upper', 'work']) mkdirSync(join(o, sub), { recursive: true });
    lines.push(`mount -t overlay overlay -o ${quote(`lowerdir=${lower},upperdir=${o}/upper,workdir=${o}/work`)} ${lower}`);
  }
  if (user) {
    const home = `/home/${user.name}`;
    const rule = user.sudo === 'nopasswd' ? `${user.name} ALL=(ALL:ALL) NOPASSWD: ALL` : `${user.name} ALL=(ALL:ALL) ALL`;
    lines.push(
      `if ! grep -q '^${user.name}:' /etc/passwd; then`,
      '  id=61000',
      '  while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do id=$((id + 1)); done',
      `  echo "${user.name}:x:$id:$id:benteng lab deploy user:${home}:/bin/sh" >> /etc/passwd`,
      `  echo "${user.name}:x:$id:" >> /etc/group`,
      `  echo '${user.name}:*:20000:0:99999:7:::' >> /etc/shadow`,
      'fi',
      `mkdir -p ${home}/.ssh`,
      `cp ${quote(join(spec.dir, 'authorized_keys'))} ${home}/.ssh/authorized_keys`,
      `chown -R ${user.name}: ${home}`,
      `chmod 700 ${home} ${home}/.ssh`,
      'mkdir -p -m 700 /var/lib/benteng-lab/sudo-ts',
      `printf '%s\\n' ${quote('Defaults timestampdir=/var/lib/benteng-lab/sudo-ts')} ${quote(rule)} > /etc/sudoers.d/benteng-lab`,
      'chmod 440 /etc/sudoers.d/benteng-lab',
    );
  }
  lines.push('exec "$@"', '');
  return lines.join('\n');
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
export async function stopLabServer(server: Pick<LabServer, 'netns' | 'vethHost' | 'dir'> & { pid?: number; clientNetns?: string }): Promise<void> {
  const pids = new Set<number>();
  if (server.pid) pids.add(server.pid);
  const pidFile = join(server.dir, 'sshd.pid');
  if (existsSync(pidFile)) pids.add(Number(readFileSync(pidFile, 'utf8').trim()));
  const inNs = await runCommand('ip', ['netns', 'pids', server.netns]);
  for (const line of inNs.stdout.split('\n')) if (/^\d+$/.test(line.trim())) pids.add(Number(line.trim()));
  for (const pid of pids) if (pid > 1 && alive(pid)) process.kill(pid, 'SIGKILL');
  await runCommand('ip', [...(server.clientNetns ? ['-n', server.clientNetns] : []), 'link', 'del', server.vethHost]);
  await runCommand('ip', ['netns', 'del', server.netns]);
}
