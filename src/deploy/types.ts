import type { Backend } from '../build/compiled-host.js';
import type { BlockEntry } from './blocks.js';
import type { CounterRow } from './counters.js';

/** Where the agent keeps its state and where a confirmed ruleset is persisted for boot, on the server. */
export interface ServerPaths {
  /** Lock, staging, pending deploys, history and audit.log live here. */
  stateDir: string;
  /** nftables: our table is written here; `nftConfPath` gets an `include` of it (loaded by nftables.service). */
  nftPersistPath: string;
  nftConfPath: string;
  /** iptables: full `iptables-save` / `ip6tables-save` (loaded by netfilter-persistent.service). */
  rulesV4Path: string;
  rulesV6Path: string;
}

export const DEFAULT_SERVER_PATHS: ServerPaths = {
  stateDir: '/var/lib/benteng',
  nftPersistPath: '/etc/nftables.d/benteng.nft',
  nftConfPath: '/etc/nftables.conf',
  rulesV4Path: '/etc/iptables/rules.v4',
  rulesV6Path: '/etc/iptables/rules.v6',
};

/** `auto`: systemd-run when systemd is running, else a detached setsid process. */
export type TimerMode = 'auto' | 'systemd' | 'setsid';

export interface SshOptions {
  /** Private key file; default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists. */
  privateKeyPath?: string;
  /** ssh-agent socket; default: $SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** known_hosts file used when the inventory pins no fingerprint; default ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  /** Handshake deadline for each connection (ms); default 8000. */
  readyTimeoutMs?: number;
  /** Keepalive probe interval (ms) and how many may go unanswered; defaults 1000 and 3. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /**
   * OpenSSH client config to read (HostName, User, Port, IdentityFile, ProxyJump, …): a path, `none`
   * for no file; default $BENTENG_SSH_CONFIG, else ~/.ssh/config. See ssh/ssh-config.ts.
   */
  sshConfigPath?: string;
  /** Told what the SSH layer skipped or assumed (a Match block it cannot evaluate, an ignored ProxyCommand). */
  onNote?: (note: string) => void;
}

export type ErrorCode =
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'auth-failed'
  | 'unreachable'
  | 'connection-lost'
  | 'sudo-failed'
  | 'locked'
  | 'rejected'
  | 'apply-failed'
  | 'no-ruleset'
  | 'no-previous'
  | 'agent-error'
  /** ~/.ssh/config (or --ssh-config) says something benteng cannot follow (an unknown token, a jump loop). */
  | 'ssh-config';

/** A problem the operator must see; never a stack trace. */
export interface DeployError {
  code: ErrorCode;
  message: string;
  /** Connecting failed in a way that may pass (refused, timed out, no route yet): worth another attempt. */
  transient?: boolean;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: DeployError };

export type DeployOutcome =
  | 'confirmed'
  /** Confirmed and live, but the boot files could not be written: a reboot loads the previous rules. */
  | 'confirmed-not-persisted'
  | 'rolled-back'
  /** The server tried to restore the previous rules and failed: the new rules may still be live. */
  | 'rollback-failed'
  | 'dry-run'
  | 'rejected'
  | 'refused'
  | 'unreachable'
  | 'failed'
  | 'skipped';

export interface DeployReport {
  host: string;
  backend: Backend;
  /** True only for `confirmed` and `dry-run`. */
  ok: boolean;
  outcome: DeployOutcome;
  /** One line for the operator. */
  message: string;
  deployId?: string;
  /** sha256 of the canonical live ruleset before the deploy, the compiled one, and the live one at the end. */
  oldHash?: string;
  newHash?: string;
  liveHash?: string;
  /** Unified diff live → compiled (dry run only). */
  diff?: string;
  timer?: 'systemd' | 'setsid';
  persisted?: string[];
  bootUnit?: string;
  rolledBackAt?: string;
  error?: DeployError;
  durationMs: number;
}

export type DeployStep =
  | 'connecting'
  | 'connected'
  | 'locked'
  | 'staged'
  | 'applied'
  | 'confirming'
  | 'confirmed'
  | 'waiting-for-rollback'
  | 'recovered'
  | 'done';

/** Progress, one event per step and host; the CLI renders these. */
export interface DeployProgress {
  host: string;
  step: DeployStep;
  at: Date;
  detail?: string;
  /** Seconds the server waits for the confirmation, counted from the end of the apply; set on `applied`. */
  timeoutSeconds?: number;
}

export type ProgressListener = (event: DeployProgress) => void;

export interface DeployOptions {
  confirmTimeoutSeconds: number;
  dryRun?: boolean;
  /** Policy git commit, recorded in the audit log (hex, 7-40 chars). */
  commit?: string;
  ssh?: SshOptions;
  server?: Partial<ServerPaths>;
  timerMode?: TimerMode;
  /** After the deadline, how long to keep reconnecting to verify the server's rollback; default 60. */
  rollbackWaitSeconds?: number;
}

export interface FleetOptions extends DeployOptions {
  /** Hosts deployed at once; default 4. */
  parallel?: number;
  /** Deploy the first host alone first; if it fails, the rest are skipped. */
  canary?: boolean;
}

export interface FleetReport {
  ok: boolean;
  reports: DeployReport[];
}

export interface AuditRecord {
  time: string;
  id: string;
  action: string;
  outcome: string;
  reason: string;
  /** Error text (a failed restore, a rejected ruleset), or the previous holder of a taken-over lock. */
  detail?: string;
  backend: string;
  user: string;
  client: string;
  commit: string;
  oldHash: string;
  newHash: string;
}

export type SyncState = 'not-deployed' | 'in-sync' | 'drifted' | 'pending-confirmation';

export interface StatusReport {
  host: string;
  ok: boolean;
  state?: SyncState;
  liveHash?: string;
  compiledHash?: string;
  /** Hash of the last confirmed deploy recorded on the server. */
  confirmedHash?: string;
  /** Unconfirmed deploys: seconds left before the server rolls back, and whether its timer still runs. */
  pending: { id: string; secondsLeft?: number; timerAlive: boolean }[];
  lockedBy?: string;
  /** Unified diff compiled → live when drifted (for iptables it shows a rule inserted before the hook). */
  diff?: string;
  /** Other nftables base chains on the hooks benteng uses (they run too; a drop there also drops). */
  foreignChains?: string[];
  /** Transitions a crash left unfinished (the next deploy or boot finishes them). */
  unfinished?: string[];
  serverTime?: string;
  /** Packets and bytes per service, direction and verdict since the last deploy. */
  counters?: CounterRow[];
  /** Active dynamic blocks. */
  blocks?: BlockEntry[];
  audit: AuditRecord[];
  error?: DeployError;
}
