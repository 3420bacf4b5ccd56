import type { Backend, CompiledRuleset } from '../../build/compiled-host.js';
import type { AuditRecord, DeployError, Result, ServerPaths, TimerMode } from '../types.js';
import type { ExecResult, Transport } from '../ssh/transport.js';
import { agentScript } from './script.js';

/** Quotes one word for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** What the agent printed: `key=value` lines and framed blocks. */
export interface AgentOutput {
  values: Map<string, string[]>;
  blocks: Map<string, string>;
}

export function parseAgentOutput(stdout: string): AgentOutput {
  const values = new Map<string, string[]>();
  const blocks = new Map<string, string>();
  let block: { name: string; lines: string[] } | undefined;
  for (const line of stdout.split('\n')) {
    if (block) {
      if (line === `--- benteng:end ${block.name}`) {
        blocks.set(block.name, block.lines.length ? block.lines.join('\n') + '\n' : '');
        block = undefined;
      } else {
        block.lines.push(line);
      }
      continue;
    }
    const begin = /^--- benteng:begin (\S+)$/.exec(line);
    if (begin) {
      block = { name: begin[1]!, lines: [] };
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) {
      const key = line.slice(0, eq);
      values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1)]);
    }
  }
  return { values, blocks };
}

export function first(output: AgentOutput, key: string): string | undefined {
  return output.values.get(key)?.[0];
}

/** Frames ruleset files for upload: `--- benteng:file NAME` then the text. */
export function frameRuleset(backend: Backend, ruleset: CompiledRuleset): Result<string> {
  const files: [string, string | undefined][] =
    backend === 'nftables' ? [['nft', ruleset.nft]] : [['v4', ruleset.rulesV4], ['v6', ruleset.rulesV6]];
  const present = files.filter((f): f is [string, string] => typeof f[1] === 'string' && f[1].trim() !== '');
  if (present.length === 0) {
    return { ok: false, error: { code: 'no-ruleset', message: `no compiled ${backend} ruleset for this host` } };
  }
  let text = '';
  for (const [name, body] of present) {
    if (/^--- benteng:/m.test(body)) {
      return { ok: false, error: { code: 'no-ruleset', message: `ruleset ${name} contains a reserved line "--- benteng:"` } };
    }
    text += `--- benteng:file ${name}\n${body.endsWith('\n') ? body : body + '\n'}`;
  }
  return { ok: true, value: text };
}

/** The agent's exit codes (see agent.sh). */
export const AGENT_EXIT = { rejected: 65, noPrevious: 66, applyFailed: 67, decided: 68, timer: 69, persist: 71, locked: 75, notOwner: 77 } as const;

/** Runs agent verbs over one transport. Every argument is shell-quoted; ruleset text goes over stdin. */
export class AgentSession {
  constructor(
    private readonly transport: Transport,
    private readonly paths: ServerPaths,
  ) {}

  private get sudo(): string {
    return this.transport.viaSudo ? 'sudo -n ' : '';
  }

  /** Uploads the agent to `<stateDir>/agent.sh` (temp file + rename). */
  async install(): Promise<Result<void>> {
    const dir = shellQuote(this.paths.stateDir);
    const inner = `umask 077 && mkdir -p ${dir} && cat > ${dir}/.agent.$$ && mv -f ${dir}/.agent.$$ ${dir}/agent.sh`;
    const result = await this.transport.exec(`${this.sudo}sh -c ${shellQuote(inner)}`, agentScript());
    if (result.code === 0) return { ok: true, value: undefined };
    return { ok: false, error: this.failure(result, 'uploading the agent') };
  }

  private command(verb: string, args: string[], inline: boolean): string {
    const who = `BENTENG_SSH_USER="$(id -un)" BENTENG_CLIENT="$(echo "$SSH_CLIENT" | cut -d' ' -f1)"`;
    const words = [verb, this.paths.stateDir, ...args].map(shellQuote).join(' ');
    const agent = inline ? `-c ${shellQuote(agentScript())} benteng-agent` : shellQuote(`${this.paths.stateDir}/agent.sh`);
    return `${this.sudo}env ${who} sh ${agent} ${words}`;
  }

  /** A deploy verb: runs the agent uploaded by `install()` (the rollback timer needs it on disk). */
  async run(verb: string, args: string[], stdin?: string): Promise<{ exec: ExecResult; output: AgentOutput }> {
    const exec = await this.transport.exec(this.command(verb, args, false), stdin);
    return { exec, output: parseAgentOutput(exec.stdout) };
  }

  /** A read-only verb: the agent text travels in the command line (`sh -c`), nothing is uploaded. */
  async runInline(verb: string, args: string[], stdin?: string): Promise<{ exec: ExecResult; output: AgentOutput }> {
    const exec = await this.transport.exec(this.command(verb, args, true), stdin);
    return { exec, output: parseAgentOutput(exec.stdout) };
  }

  failure(result: ExecResult, doing: string): DeployError {
    if (result.code === null) return { code: 'connection-lost', message: `connection lost while ${doing}` };
    if (/sudo: a (terminal|password) is required/.test(result.stderr)) {
      return { code: 'sudo-failed', message: `sudo -n needs a password on this host; allow passwordless sudo for the deploy user` };
    }
    const agentError = parseAgentOutput(result.stdout).values.get('error')?.[0];
    const text = agentError ?? (result.stderr.trim().split('\n').slice(-3).join(' ') || `exit status ${result.code}`);
    return { code: result.code === AGENT_EXIT.rejected ? 'rejected' : 'agent-error', message: `${doing}: ${text}` };
  }

  begin(id: string, leaseSeconds: number, backend: Backend) {
    return this.run('begin', [id, String(leaseSeconds), backend]);
  }
  put(id: string, framed: string) {
    return this.run('put', [id], framed);
  }
  apply(id: string, timeoutSeconds: number, timer: TimerMode, action: 'deploy' | 'rollback', commit: string) {
    const p = this.paths;
    return this.run('apply', [id, String(timeoutSeconds), timer, action, commit, p.nftPersistPath, p.nftConfPath, p.rulesV4Path, p.rulesV6Path]);
  }
  confirm(id: string) {
    return this.run('confirm', [id]);
  }
  abort(id: string) {
    return this.run('abort', [id]);
  }
  /** Finishes interrupted transitions and rolls back deploys whose timer is gone (a deploy verb: needs install()). */
  recover() {
    return this.run('recover', []);
  }
  result(id: string, backend: Backend) {
    return this.runInline('result', [id, backend]);
  }
  live(backend: Backend) {
    return this.runInline('live', [backend]);
  }
  render(backend: Backend, framed: string) {
    return this.runInline('render', [backend], framed);
  }
  status(backend: Backend, auditLines: number) {
    return this.runInline('status', [backend, String(auditLines)]);
  }
  previous() {
    return this.runInline('previous', []);
  }
}

export function parseAuditLines(text: string | undefined): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as AuditRecord);
    } catch {
      continue;
    }
  }
  return records;
}
