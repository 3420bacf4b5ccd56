/**
 * Reads a server's live ruleset for `benteng import`, read-only: `iptables-save`, `ip6tables-save`
 * and `nft -j list ruleset`, each run on its own (through `sudo -n` when the login user is not root),
 * over the same SSH transport as deploys, so the host key is checked the same way (pinned
 * fingerprint or known_hosts) before any command. Nothing is uploaded and nothing on the server
 * changes: the three commands only print. A command the server does not have is simply absent.
 */
import type { SshEndpoint } from '../build/compiled-host.js';
import { connectSsh, type Connect, type ExecResult } from './ssh/transport.js';
import type { Result, SshOptions } from './types.js';

export interface LiveRulesetTexts {
  /** `host:iptables-save` etc., as the import report names the sources. */
  iptables?: { name: string; text: string };
  ip6tables?: { name: string; text: string };
  nftJson?: { name: string; text: string };
  /** Commands that exist but failed (not "not installed"), with their stderr. */
  failures: string[];
}

const COMMANDS = {
  iptables: 'iptables-save',
  ip6tables: 'ip6tables-save',
  nftJson: 'nft -j list ruleset',
} as const;

/** The command line: absent tools exit 127 without running sudo; `LC_ALL=C` for stable output. */
function commandLine(command: string, viaSudo: boolean): string {
  const tool = command.split(' ')[0]!;
  const run = viaSudo ? `sudo -n ${command}` : command;
  return `PATH="$PATH:/usr/sbin:/sbin"; command -v ${tool} >/dev/null 2>&1 || exit 127; LC_ALL=C ${run}`;
}

function usable(result: ExecResult): boolean {
  return result.code === 0 && result.stdout.trim() !== '';
}

/** Connects, runs the three listing commands and closes; a failed connection is the error. */
export async function readLiveRuleset(endpoint: SshEndpoint, label: string, options: SshOptions = {}, connect: Connect = connectSsh): Promise<Result<LiveRulesetTexts>> {
  const connected = await connect(endpoint, options);
  if (!connected.ok) return connected;
  const transport = connected.value;
  const texts: LiveRulesetTexts = { failures: [] };
  try {
    for (const [key, command] of Object.entries(COMMANDS) as Array<[keyof typeof COMMANDS, string]>) {
      const result = await transport.exec(commandLine(command, transport.viaSudo));
      if (result.code === null) return { ok: false, error: { code: 'unreachable', message: `connection to ${label} lost while running \`${command}\`` } };
      if (result.code === 127) continue;
      if (usable(result)) texts[key] = { name: `${label}:${command.split(' ')[0]}`, text: result.stdout };
      else if (result.code !== 0) texts.failures.push(`\`${command}\` exited ${result.code}: ${result.stderr.trim().split('\n')[0] ?? ''}`);
    }
  } finally {
    transport.close();
  }
  if (!texts.iptables && !texts.ip6tables && !texts.nftJson) {
    return { ok: false, error: { code: 'no-ruleset', message: `${label} printed no ruleset (${texts.failures.join('; ') || 'none of iptables-save, ip6tables-save, nft is installed'})` } };
  }
  return { ok: true, value: texts };
}
