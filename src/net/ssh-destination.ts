/**
 * The grammar of one ssh destination as ProxyJump writes it (ssh_config(5), ssh(1) `-J`):
 * `[user@]host[:port]` or `ssh://[user@]host[:port]`, an IPv6 literal in brackets when a port follows.
 * Shared by the resolver (hosts.yaml's `ssh.proxyJump`) and the deployer (~/.ssh/config's ProxyJump).
 */
export interface SshDestination {
  user?: string;
  host: string;
  port?: number;
}

export type DestinationResult = { ok: true; value: SshDestination } | { ok: false; reason: string };

const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const HOST = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** Parses one jump; never throws. */
export function parseSshDestination(text: string): DestinationResult {
  let rest = text.trim();
  if (rest.startsWith('ssh://')) rest = rest.slice(6).replace(/\/$/, '');
  if (rest === '') return { ok: false, reason: 'empty destination' };
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) return { ok: false, reason: `\`${user}\` is not a user name` };
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return { ok: false, reason: 'unclosed `[` around an IPv6 address' };
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return { ok: false, reason: `unexpected \`${after}\` after \`]\`` };
    if (after !== '') portText = after.slice(1);
    if (!IPV6.test(host)) return { ok: false, reason: `\`${host}\` is not an IPv6 address` };
  } else {
    const colons = rest.split(':').length - 1;
    if (colons === 1) [host, portText] = rest.split(':') as [string, string];
    else if (colons > 1 && IPV6.test(rest)) host = rest;
    else host = rest;
    if (!HOST.test(host) && !IPV6.test(host)) return { ok: false, reason: `\`${host}\` is not a host name or address` };
  }
  const destination: SshDestination = { host };
  if (user !== undefined) destination.user = user;
  if (portText !== undefined) {
    const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) return { ok: false, reason: `\`${portText}\` is not a port (1-65535)` };
    destination.port = port;
  }
  return { ok: true, value: destination };
}

/** Splits a ProxyJump value into its jumps (`none` → []); whitespace around commas is ignored. */
export function splitJumps(text: string): string[] {
  if (text.trim().toLowerCase() === 'none') return [];
  return text.split(',').map((s) => s.trim());
}
