import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Backend, CompiledHost, CompiledRuleset } from '../../src/build/compiled-host.js';
import type { DeployOptions } from '../../src/deploy/index.js';
import { requireKernel } from '../support/netns.js';
import { alive, createClientKey, startLabServer, stopLabServer, type LabDeployUser, type LabServer } from '../../src/lab/server.js';

/** Root + namespaces are required in CI; outside CI, tests skip with a printed reason when not root. */
export function kernelTestsEnabled(): boolean {
  return requireKernel('deploy tests (network namespaces and sshd)');
}

const SLOT_DIR = join(tmpdir(), 'benteng-test-netslots');

/** Claims a /30 in 203.0.113.0/24 no other concurrent test process uses (the lab uses 198.51.100.0/24). */
function claimSlot(): number {
  mkdirSync(SLOT_DIR, { recursive: true });
  for (let slot = 0; slot < 64; slot++) {
    const path = join(SLOT_DIR, String(slot));
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return slot;
    } catch {
      const owner = Number(readFileSync(path, 'utf8') || 0);
      if (owner && !alive(owner)) {
        try {
          unlinkSync(path);
        } catch {
          /* claimed concurrently */
        }
      }
    }
  }
  throw new Error('no free test address slot');
}

function slotAddresses(slot: number): { client: string; server: string } {
  const base = slot * 4;
  return { client: `203.0.113.${base + 1}`, server: `203.0.113.${base + 2}` };
}

let counter = 0;

export interface TestHost {
  server: LabServer;
  dir: string;
  options: DeployOptions;
  target(ruleset: CompiledRuleset, backend: Backend): CompiledHost;
  /** Runs a command inside the server's namespace. */
  ns(cmd: string, args: string[]): Promise<{ stdout: string; exitCode: number | undefined }>;
  /** Runs a command in sshd's own network and mount namespaces (what the agent sees: mounts, files). */
  inServer(cmd: string, args: string[]): Promise<{ stdout: string; exitCode: number | undefined }>;
  cleanup(): Promise<void>;
}

/**
 * A fresh namespace with its own sshd, temp state dir and persist paths. Always call cleanup().
 * With `deployUser`, sshd gets a private root holding that non-root user, and `target()` logs in as it.
 * With `behind`, the new host's link goes to that host's namespace instead of the root namespace: it
 * is reachable only through `behind` (a ProxyJump target); `server.clientAddress` is then `behind`'s
 * address on that link. Clean it up before `behind`.
 */
export async function createTestHost(
  confirmTimeoutSeconds = 3,
  spec: { privateRoot?: boolean; deployUser?: LabDeployUser; behind?: TestHost } = {},
): Promise<TestHost> {
  const n = counter++;
  const dir = mkdtempSync(join(tmpdir(), 'bt-dep-'));
  const slot = claimSlot();
  const { client, server: address } = slotAddresses(slot);
  const netns = `bt-dep-${process.pid}-${n}`;
  const vethHost = `btd${process.pid % 100000}h${n}`.slice(0, 15);
  const vethServer = `btd${process.pid % 100000}s${n}`.slice(0, 15);
  let server: LabServer | undefined;
  const clientNetns = spec.behind?.server.netns;
  const cleanup = async () => {
    await stopLabServer({ netns, vethHost, dir: join(dir, 'sshd'), ...(server ? { pid: server.pid } : {}), ...(clientNetns ? { clientNetns } : {}) });
    rmSync(dir, { recursive: true, force: true });
    try {
      unlinkSync(join(SLOT_DIR, String(slot)));
    } catch {
      /* already gone */
    }
  };
  try {
    const key = await createClientKey(join(dir, 'client'));
    server = await startLabServer({ netns, vethHost, vethServer, clientAddress: client, address, dir: join(dir, 'sshd'), authorizedKey: key.publicKey, ...(spec.privateRoot ? { privateRoot: true } : {}), ...(spec.deployUser ? { deployUser: spec.deployUser } : {}), ...(clientNetns ? { clientNetns } : {}) });
    const started = server;
    const options: DeployOptions = {
      confirmTimeoutSeconds,
      ssh: { privateKeyPath: key.privateKeyPath, agentSocket: '', knownHostsPath: join(dir, 'known_hosts'), readyTimeoutMs: 3000 },
      server: {
        stateDir: join(dir, 'server-state'),
        nftPersistPath: join(dir, 'etc', 'nftables.d', 'benteng.nft'),
        nftConfPath: join(dir, 'etc', 'nftables.conf'),
        rulesV4Path: join(dir, 'etc', 'iptables', 'rules.v4'),
        rulesV6Path: join(dir, 'etc', 'iptables', 'rules.v6'),
      },
      timerMode: 'auto',
      rollbackWaitSeconds: 20,
    };
    return {
      server: started,
      dir,
      options,
      target: (ruleset, backend) => ({
        host: `lab-${n}`,
        backend,
        ssh: { address: started.address, port: 22, user: spec.deployUser?.name ?? 'root', hostKey: started.hostKey },
        ruleset,
      }),
      ns: async (cmd, args) => {
        const r = await execa('ip', ['netns', 'exec', netns, cmd, ...args], { reject: false });
        return { stdout: r.stdout, exitCode: r.exitCode };
      },
      inServer: async (cmd, args) => {
        const r = await execa('nsenter', ['-t', String(started.pid), '-m', '-n', cmd, ...args], { reject: false });
        return { stdout: r.stdout, exitCode: r.exitCode };
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export function stateDirEntries(host: TestHost): string[] {
  try {
    return readdirSync(host.options.server!.stateDir!);
  } catch {
    return [];
  }
}
