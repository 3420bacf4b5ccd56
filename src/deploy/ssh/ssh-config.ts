/**
 * OpenSSH client configuration (ssh_config(5)) as the deployer reads it: the operator's ~/.ssh/config
 * (or `--ssh-config FILE`), so hosts reach benteng the way `ssh <host>` reaches them.
 *
 * Read: `Host` lines (whitespace-separated patterns with `*`, `?` and `!` negation; a negated match
 * excludes the block), `Match` with `all`, `host`, `originalhost`, `user`, `localuser` (other criteria
 * make the block never apply, with a note), `Include` (globs, `~`, relative to ~/.ssh; conditional
 * inside a block), `Keyword value` and `Keyword=value`, double quotes, `#` comments. Used keywords:
 * HostName (`%h`, `%%`), User, Port, IdentityFile (several; tokens and `~`), ProxyJump (`none`),
 * IdentitiesOnly, UserKnownHostsFile, ConnectTimeout; ProxyCommand is noted and ignored. For every
 * keyword but IdentityFile the first obtained value wins. Parsing never throws and never fails: lines
 * benteng cannot use become notes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** One keyword line, with the conditions (Host / Match lines, outer first) that must all hold for it. */
export interface SshConfigEntry {
  keyword: string;
  args: string[];
  /** `file:line`, for notes and errors. */
  at: string;
  conditions: SshCondition[];
}

export type SshCondition =
  | { kind: 'host'; patterns: string[]; at: string }
  | { kind: 'match'; criteria: MatchCriterion[]; at: string }
  /** A Match block benteng cannot evaluate: never applies. */
  | { kind: 'never'; at: string };

export interface MatchCriterion {
  name: 'all' | 'host' | 'originalhost' | 'user' | 'localuser';
  negated: boolean;
  patterns: string[];
}

export interface SshConfig {
  entries: SshConfigEntry[];
  notes: string[];
}

/** The local facts tokens and `~` expand to. */
export interface LocalEnv {
  home: string;
  user: string;
  localHost: string;
  uid: string;
  vars: Record<string, string | undefined>;
}

export function localEnv(): LocalEnv {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry: keep $USER */
  }
  return { home: homedir(), user, localHost: hostname(), uid: String(process.getuid?.() ?? ''), vars: process.env };
}

/** How included files are found and read; tests give an in-memory one. */
export interface ConfigFiles {
  read(path: string): string | undefined;
  /** Paths matching a glob (`*`, `?` in any component), sorted; a path without wildcards is returned as is. */
  glob(pattern: string): string[];
}

export const diskFiles: ConfigFiles = {
  read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  glob(pattern) {
    if (!/[*?]/.test(pattern)) return [pattern];
    const parts = pattern.split('/');
    let bases = [parts[0] === '' ? '/' : parts[0]!];
    for (const part of parts.slice(1)) {
      if (part === '') continue;
      const next: string[] = [];
      for (const base of bases) {
        if (!/[*?]/.test(part)) {
          next.push(join(base, part));
          continue;
        }
        try {
          for (const entry of readdirSync(base).sort()) if (!entry.startsWith('.') && globMatch(part, entry, false)) next.push(join(base, entry));
        } catch {
          /* not a directory */
        }
      }
      bases = next;
    }
    return bases.sort();
  },
};

/** `*` any run of characters, `?` one character; the whole name must match. */
export function globMatch(pattern: string, name: string, ignoreCase = true): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(name);
}

/**
 * A pattern list (`Host` arguments, or a Match criterion's comma list) against candidate names: true
 * when some candidate matches a plain pattern and none matches a negated one (ssh_config(5) PATTERNS).
 */
export function patternListMatches(patterns: string[], candidates: string[]): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    const hit = candidates.some((c) => globMatch(body, c));
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

/** Splits a line into keyword and arguments: `Keyword args`, `Keyword=args`, double quotes, `#` ends it. */
export function splitLine(line: string): { keyword: string; args: string[] } | { error: string } | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const head = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)/.exec(trimmed);
  if (!head) return { error: `cannot read \`${trimmed.slice(0, 40)}\`` };
  const args: string[] = [];
  let rest = trimmed.slice(head[0].length);
  while (rest.length > 0) {
    if (rest.startsWith('#')) break;
    if (rest.startsWith('"')) {
      const close = rest.indexOf('"', 1);
      if (close < 0) return { error: 'unclosed double quote' };
      args.push(rest.slice(1, close));
      rest = rest.slice(close + 1).trimStart();
      continue;
    }
    const word = /^[^\s"]+/.exec(rest)![0];
    args.push(word);
    rest = rest.slice(word.length).trimStart();
  }
  return { keyword: head[1]!.toLowerCase(), args };
}

const MATCH_CRITERIA = new Set(['all', 'host', 'originalhost', 'user', 'localuser']);
const MAX_INCLUDE_DEPTH = 16;

function matchCondition(args: string[], at: string, notes: string[]): SshCondition {
  const criteria: MatchCriterion[] = [];
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const negated = raw.startsWith('!');
    const name = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!MATCH_CRITERIA.has(name)) {
      notes.push(`${at}: \`Match ${args.join(' ')}\` is not supported (criterion \`${name}\`); benteng skips this block`);
      return { kind: 'never', at };
    }
    if (name === 'all') {
      criteria.push({ name: 'all', negated, patterns: [] });
      continue;
    }
    const list = args[++i];
    if (list === undefined) {
      notes.push(`${at}: \`Match ${name}\` needs a pattern list; benteng skips this block`);
      return { kind: 'never', at };
    }
    criteria.push({ name: name as MatchCriterion['name'], negated, patterns: list.split(',') });
  }
  return { kind: 'match', criteria, at };
}

/** Expands `~` at the start and `${VAR}` (ssh_config(5): Include, IdentityFile, UserKnownHostsFile). */
export function expandPath(path: string, env: LocalEnv): string {
  const withVars = path.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env.vars[name] ?? '');
  if (withVars === '~') return env.home;
  if (withVars.startsWith('~/')) return join(env.home, withVars.slice(2));
  return withVars;
}

/**
 * Parses a config file and, depth first, the files it includes. `outer` are the conditions of the block
 * an Include sits in: the included lines hold only under them (a Host line inside an included file
 * starts a block within them, and the outer block resumes after the Include).
 */
export function parseSshConfig(text: string, file: string, env: LocalEnv = localEnv(), files: ConfigFiles = diskFiles): SshConfig {
  const config: SshConfig = { entries: [], notes: [] };
  parseInto(config, text, file, env, files, [], 0);
  return config;
}

function parseInto(config: SshConfig, text: string, file: string, env: LocalEnv, files: ConfigFiles, outer: SshCondition[], depth: number): void {
  let block: SshCondition[] = outer;
  text.split(/\r?\n/).forEach((line, index) => {
    const at = `${file}:${index + 1}`;
    const split = splitLine(line);
    if (split === undefined) return;
    if ('error' in split) {
      config.notes.push(`${at}: ${split.error}; line ignored`);
      return;
    }
    const { keyword, args } = split;
    if (keyword === 'host') {
      block = [...outer, { kind: 'host', patterns: args, at }];
    } else if (keyword === 'match') {
      block = [...outer, matchCondition(args, at, config.notes)];
    } else if (keyword === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) {
        config.notes.push(`${at}: Include nested deeper than ${MAX_INCLUDE_DEPTH}; ignored`);
        return;
      }
      for (const arg of args) {
        const expanded = expandPath(arg, env);
        const pattern = isAbsolute(expanded) ? expanded : join(env.home, '.ssh', expanded);
        for (const path of files.glob(pattern)) {
          const included = files.read(path);
          if (included !== undefined) parseInto(config, included, path, env, files, block, depth + 1);
        }
      }
    } else {
      config.entries.push({ keyword, args, at, conditions: block });
    }
  });
}

/** What ~/.ssh/config says about one host: raw values (tokens unexpanded) and where each came from. */
export interface HostSettings {
  hostName?: string;
  user?: string;
  port?: number;
  proxyJump?: string;
  identityFiles: string[];
  identitiesOnly?: boolean;
  userKnownHostsFiles?: string[];
  connectTimeoutSeconds?: number;
  /** `file:line` of each value that was used. */
  from: Partial<Record<'hostName' | 'user' | 'port' | 'proxyJump' | 'identitiesOnly' | 'userKnownHostsFiles' | 'connectTimeoutSeconds', string>>;
  notes: string[];
}

export interface LookupFor {
  /** The name as given (the host's name in hosts.yaml, or a jump as written): `%n`, `Match originalhost`. */
  name: string;
  /** Other names `Host` lines may match (the address benteng would connect to). */
  aliases?: string[];
  /** The remote user benteng would use when nothing else says (for `Match user`). */
  defaultUser: string;
}

function yesNo(value: string | undefined): boolean | undefined {
  const v = value?.toLowerCase();
  return v === 'yes' || v === 'true' ? true : v === 'no' || v === 'false' ? false : undefined;
}

/**
 * Walks the entries in file order and keeps the first value of each keyword (IdentityFile: every one,
 * in order). A Host line applies when one of its patterns matches the name or an alias and no negated
 * pattern matches any of them; `Match host` compares against the HostName obtained so far.
 */
export function lookupHost(config: SshConfig, target: LookupFor, env: LocalEnv): HostSettings {
  const settings: HostSettings = { identityFiles: [], from: {}, notes: [] };
  const candidates = [target.name, ...(target.aliases ?? [])];
  let proxyCommandAt: string | undefined;
  const holds = (condition: SshCondition): boolean => {
    switch (condition.kind) {
      case 'never':
        return false;
      case 'host':
        return patternListMatches(condition.patterns, candidates);
      case 'match':
        return condition.criteria.every((c) => {
          const subject =
            c.name === 'all' ? undefined
            : c.name === 'host' ? [settings.hostName ? expandHostName(settings.hostName, target.name) : target.name]
            : c.name === 'originalhost' ? [target.name]
            : c.name === 'user' ? [settings.user ?? target.defaultUser]
            : [env.user];
          const hit = subject === undefined ? true : patternListMatches(c.patterns, subject);
          return c.negated ? !hit : hit;
        });
    }
  };
  for (const entry of config.entries) {
    if (!entry.conditions.every(holds)) continue;
    const value = entry.args[0];
    const first = <K extends keyof HostSettings['from']>(key: K, parsed: HostSettings[K] | undefined) => {
      if (settings.from[key] !== undefined) return;
      if (parsed === undefined) {
        settings.notes.push(`${entry.at}: cannot read \`${entry.keyword} ${entry.args.join(' ')}\`; ignored`);
        return;
      }
      settings[key] = parsed;
      settings.from[key] = entry.at;
    };
    switch (entry.keyword) {
      case 'hostname':
        first('hostName', value);
        break;
      case 'user':
        first('user', value);
        break;
      case 'port': {
        const port = value !== undefined && /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
        first('port', port >= 1 && port <= 65535 ? port : undefined);
        break;
      }
      case 'proxyjump':
        if (proxyCommandAt === undefined) first('proxyJump', entry.args.length > 0 ? entry.args.join('') : undefined);
        break;
      case 'proxycommand':
        if (settings.from.proxyJump === undefined && proxyCommandAt === undefined) {
          proxyCommandAt = entry.at;
          if (value?.toLowerCase() !== 'none') {
            settings.notes.push(`${entry.at}: ProxyCommand is not supported (benteng connects with ssh2 itself); use ProxyJump. Ignored for ${target.name}`);
          }
        }
        break;
      case 'identityfile':
        for (const file of entry.args) if (!settings.identityFiles.includes(file)) settings.identityFiles.push(file);
        break;
      case 'identitiesonly':
        first('identitiesOnly', yesNo(value));
        break;
      case 'userknownhostsfile':
        first('userKnownHostsFiles', entry.args.length > 0 ? entry.args : undefined);
        break;
      case 'connecttimeout': {
        const seconds = value !== undefined && /^[0-9]{1,6}$/.test(value) ? Number(value) : undefined;
        first('connectTimeoutSeconds', seconds !== undefined && seconds > 0 ? seconds : undefined);
        break;
      }
      default:
        break;
    }
  }
  return settings;
}

/** HostName's tokens: `%h` is the name as given, `%%` a percent sign. */
export function expandHostName(value: string, name: string): string {
  return value.replace(/%([%h])/g, (_, t: string) => (t === 'h' ? name : '%'));
}

/** Values of `%` tokens for IdentityFile and UserKnownHostsFile (ssh_config(5) TOKENS). */
export interface TokenValues {
  /** `%h` remote host name (after HostName), `%n` name as given, `%p` port, `%r` remote user. */
  h: string;
  n: string;
  p: string;
  r: string;
}

/**
 * Expands `%%`, `%d` (local home), `%u` (local user), `%l` (local host name), `%L` (its first label),
 * `%i` (local uid), `%h`, `%n`, `%p`, `%r`, then `~` and `${VAR}`. An unknown token is an error.
 */
export function expandTokens(value: string, tokens: TokenValues, env: LocalEnv): { ok: true; value: string } | { ok: false; token: string } {
  let unknown: string | undefined;
  const local: Record<string, string> = {
    '%': '%',
    d: env.home,
    u: env.user,
    l: env.localHost,
    L: env.localHost.split('.')[0] ?? env.localHost,
    i: env.uid,
    h: tokens.h,
    n: tokens.n,
    p: tokens.p,
    r: tokens.r,
  };
  const expanded = value.replace(/%(.)/gs, (whole, t: string) => {
    const v = local[t];
    if (v === undefined) unknown ??= whole;
    return v ?? whole;
  });
  if (unknown !== undefined) return { ok: false, token: unknown };
  return { ok: true, value: expandPath(expanded, env) };
}

/**
 * Which file is read: `--ssh-config FILE` (`none`: no file), else $BENTENG_SSH_CONFIG, else
 * ~/.ssh/config. A missing default file is no config; a missing explicit file is an error.
 */
export function sshConfigPath(explicit: string | undefined, env: LocalEnv): { path?: string; required: boolean } {
  const chosen = explicit ?? env.vars.BENTENG_SSH_CONFIG;
  if (chosen !== undefined && chosen !== '') return chosen === 'none' ? { required: false } : { path: expandPath(chosen, env), required: true };
  return { path: join(env.home, '.ssh', 'config'), required: false };
}

/** Reads and parses the chosen config; undefined with no file, an error text for a missing explicit one. */
export function loadSshConfig(explicit: string | undefined, env: LocalEnv = localEnv(), files: ConfigFiles = diskFiles): SshConfig | { error: string } | undefined {
  const { path, required } = sshConfigPath(explicit, env);
  if (path === undefined) return undefined;
  const text = files.read(path);
  if (text === undefined) return required ? { error: `cannot read ssh config ${path}` } : undefined;
  return parseSshConfig(text, path, env, files);
}
