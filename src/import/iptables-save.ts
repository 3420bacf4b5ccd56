/**
 * Parser of `iptables-save` / `ip6tables-save` output (and of files written by hand for
 * `iptables-restore`, which use the same grammar): tables (`*filter`), chain headers
 * (`:INPUT DROP [0:0]`), rules (`-A CHAIN …`, optionally preceded by `[pkts:bytes]` counters) and
 * `COMMIT`, into the chain graph of `ruleset.ts`, every rule with its 1-based line.
 *
 * Semantics follow iptables(8) and iptables-extensions(8): `!` before an option negates it; the
 * modules benteng can express (`tcp`, `udp`, `multiport`, `icmp`, `icmp6`, `conntrack`, `state`,
 * `comment`, `iprange`, `addrtype`) fill typed fields; every other module or option is kept, as
 * written, in `unsupported` with the reason, so the import report can name the line. A syntax problem
 * is an entry in `errors` with line and column; the parser never throws for bad input.
 */
import { type Family, parseAddress, parseCidr, rangeToCidrs } from '../net/address.js';
import type { AddressMatch, ConntrackStateName, ImportedChain, ImportedRule, ImportedRuleset, ImportFamily, PortMatch, SourceLocation, UnsupportedMatch } from './ruleset.js';

/** Builtin chains per table: hook and priority (nft's names for iptables' fixed priorities). */
const BUILTIN: Record<string, Record<string, { hook: string; priority: number }>> = {
  raw: { PREROUTING: { hook: 'prerouting', priority: -300 }, OUTPUT: { hook: 'output', priority: -300 } },
  mangle: {
    PREROUTING: { hook: 'prerouting', priority: -150 },
    INPUT: { hook: 'input', priority: -150 },
    FORWARD: { hook: 'forward', priority: -150 },
    OUTPUT: { hook: 'output', priority: -150 },
    POSTROUTING: { hook: 'postrouting', priority: -150 },
  },
  nat: {
    PREROUTING: { hook: 'prerouting', priority: -100 },
    INPUT: { hook: 'input', priority: 100 },
    OUTPUT: { hook: 'output', priority: -100 },
    POSTROUTING: { hook: 'postrouting', priority: 100 },
  },
  filter: { INPUT: { hook: 'input', priority: 0 }, FORWARD: { hook: 'forward', priority: 0 }, OUTPUT: { hook: 'output', priority: 0 } },
  security: { INPUT: { hook: 'input', priority: 50 }, FORWARD: { hook: 'forward', priority: 50 }, OUTPUT: { hook: 'output', priority: 50 } },
};

/** iptables' ICMP type names (`iptables -p icmp -h`): type, and code when the name fixes one. */
const ICMP_NAMES: Record<string, [number, number?]> = {
  any: [-1],
  'echo-reply': [0],
  pong: [0],
  'destination-unreachable': [3],
  'network-unreachable': [3, 0],
  'host-unreachable': [3, 1],
  'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4],
  'source-route-failed': [3, 5],
  'network-unknown': [3, 6],
  'host-unknown': [3, 7],
  'network-prohibited': [3, 9],
  'host-prohibited': [3, 10],
  'TOS-network-unreachable': [3, 11],
  'TOS-host-unreachable': [3, 12],
  'communication-prohibited': [3, 13],
  'host-precedence-violation': [3, 14],
  'precedence-cutoff': [3, 15],
  'source-quench': [4],
  redirect: [5],
  'network-redirect': [5, 0],
  'host-redirect': [5, 1],
  'TOS-network-redirect': [5, 2],
  'TOS-host-redirect': [5, 3],
  'echo-request': [8],
  ping: [8],
  'router-advertisement': [9],
  'router-solicitation': [10],
  'time-exceeded': [11],
  'ttl-exceeded': [11],
  'ttl-zero-during-transit': [11, 0],
  'ttl-zero-during-reassembly': [11, 1],
  'parameter-problem': [12],
  'ip-header-bad': [12, 0],
  'required-option-missing': [12, 1],
  'timestamp-request': [13],
  'timestamp-reply': [14],
  'address-mask-request': [17],
  'address-mask-reply': [18],
};

/** ip6tables' ICMPv6 type names (`ip6tables -p icmpv6 -h`). */
const ICMPV6_NAMES: Record<string, [number, number?]> = {
  'destination-unreachable': [1],
  'no-route': [1, 0],
  'communication-prohibited': [1, 1],
  'beyond-scope': [1, 2],
  'address-unreachable': [1, 3],
  'port-unreachable': [1, 4],
  'failed-policy': [1, 5],
  'reject-route': [1, 6],
  'packet-too-big': [2],
  'time-exceeded': [3],
  'ttl-exceeded': [3],
  'ttl-zero-during-transit': [3, 0],
  'ttl-zero-during-reassembly': [3, 1],
  'parameter-problem': [4],
  'bad-header': [4, 0],
  'unknown-header-type': [4, 1],
  'unknown-option': [4, 2],
  'echo-request': [128],
  ping: [128],
  'echo-reply': [129],
  pong: [129],
  'mld-listener-query': [130],
  'mld-listener-report': [131],
  'mld-listener-done': [132],
  'router-solicitation': [133],
  'router-advertisement': [134],
  'neighbour-solicitation': [135],
  'neighbor-solicitation': [135],
  'neighbour-advertisement': [136],
  'neighbor-advertisement': [136],
  redirect: [137],
};

const PROTOCOL_NUMBERS: Record<string, 'tcp' | 'udp' | 'icmp' | 'icmpv6' | number> = {
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
  icmp: 'icmp',
  '1': 'icmp',
  icmpv6: 'icmpv6',
  'ipv6-icmp': 'icmpv6',
  '58': 'icmpv6',
  gre: 47,
  esp: 50,
  ah: 51,
  sctp: 132,
  udplite: 136,
  igmp: 2,
  ipip: 4,
  ipv6: 41,
  ospf: 89,
  vrrp: 112,
};

/** Why each match module cannot be expressed, in the words of the report. */
const MODULE_REASONS: Record<string, string> = {
  limit: 'rate limit',
  hashlimit: 'rate limit',
  recent: 'recent-address tracking (rate limit)',
  connlimit: 'connection limit',
  set: 'ipset (addresses that change at run time)',
  mark: 'packet marks',
  connmark: 'connection marks',
  owner: 'socket owner (user or group)',
  physdev: 'bridge port',
  pkttype: 'packet type (broadcast or multicast)',
  length: 'packet length',
  ttl: 'TTL',
  hl: 'hop limit',
  string: 'payload string',
  time: 'time of day',
  u32: 'u32 payload match',
  policy: 'IPsec policy',
  mac: 'MAC address',
  geoip: 'country (geoip)',
  tcpmss: 'TCP MSS',
  dscp: 'DSCP',
  tos: 'TOS',
  ecn: 'ECN',
  helper: 'conntrack helper',
  cgroup: 'control group',
  rpfilter: 'reverse path filter',
  socket: 'socket lookup',
  statistic: 'random sampling',
  quota: 'quota',
  devgroup: 'device group',
  realm: 'routing realm',
  frag: 'IPv6 fragment header',
  rt: 'IPv6 routing header',
  hbh: 'IPv6 hop-by-hop header',
  dst: 'IPv6 destination options',
  ipv6header: 'IPv6 extension headers',
  ah: 'IPsec AH',
  esp: 'IPsec ESP',
  bpf: 'BPF program',
};

const TARGET_REASONS: Record<string, string> = {
  MASQUERADE: 'NAT',
  SNAT: 'NAT',
  DNAT: 'NAT',
  REDIRECT: 'NAT',
  NETMAP: 'NAT',
  MARK: 'packet marks',
  CONNMARK: 'connection marks',
  CT: 'conntrack settings',
  NOTRACK: 'conntrack settings',
  TCPMSS: 'TCP MSS clamping',
  TPROXY: 'transparent proxy',
  TOS: 'TOS rewrite',
  DSCP: 'DSCP rewrite',
  TTL: 'TTL rewrite',
  HL: 'hop-limit rewrite',
  NFQUEUE: 'userspace queue',
  QUEUE: 'userspace queue',
  SET: 'ipset update',
  SECMARK: 'security marks',
  CONNSECMARK: 'security marks',
  CLASSIFY: 'traffic classes',
  TEE: 'packet copy',
  CHECKSUM: 'checksum fill',
};

const LOG_TARGETS = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE', 'AUDIT']);

interface Token {
  text: string;
  column: number;
}

/** Splits a line as iptables-restore does: whitespace, double quotes, backslash escapes. */
function tokenize(line: string): { tokens: Token[]; error?: { column: number; message: string } } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    const column = i + 1;
    let text = '';
    while (i < line.length && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === '"') {
        const open = i;
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          text += line[i];
          i++;
        }
        if (i >= line.length) return { tokens, error: { column: open + 1, message: 'unterminated quoted string' } };
        i++;
      } else if (c === '\\' && i + 1 < line.length) {
        text += line[i + 1];
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    tokens.push({ text, column });
  }
  return { tokens };
}

class RuleSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

function familyOfAddress(text: string): Family | undefined {
  const bare = text.split('/')[0]!;
  const parsed = parseAddress(bare);
  return parsed.ok ? parsed.value.family : undefined;
}

/** `10.0.0.0/255.0.0.0` → `10.0.0.0/8`; plain addresses get the full prefix. */
function cidrText(text: string, token: Token, family: ImportFamily): string {
  const [address, mask] = text.split('/');
  const parsed = parseAddress(address ?? '');
  if (!parsed.ok) throw new RuleSyntaxError(`\`${text}\` is not an address (host names are not allowed in a saved ruleset)`, token.column);
  if (parsed.value.family !== family) throw new RuleSyntaxError(`\`${text}\` is an ${parsed.value.family === 'ipv4' ? 'IPv4' : 'IPv6'} address in an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} ruleset`, token.column);
  let prefix = family === 'ipv4' ? 32 : 128;
  if (mask !== undefined) {
    if (/^\d+$/.test(mask)) prefix = Number(mask);
    else {
      const maskParsed = parseAddress(mask);
      if (!maskParsed.ok || maskParsed.value.family !== family) throw new RuleSyntaxError(`\`${text}\`: bad netmask`, token.column);
      const bits = maskParsed.value.value.toString(2).padStart(family === 'ipv4' ? 32 : 128, '0');
      if (!/^1*0*$/.test(bits)) throw new RuleSyntaxError(`\`${text}\`: non-contiguous netmask`, token.column);
      prefix = bits.indexOf('0') === -1 ? bits.length : bits.indexOf('0');
    }
  }
  const cidr = parseCidr(`${address}/${prefix}`);
  if (!cidr.ok) {
    // iptables masks host bits away (`10.0.0.1/8` means 10.0.0.0/8); so does benteng's reading of it.
    const max = family === 'ipv4' ? 32 : 128;
    if (prefix < 0 || prefix > max) throw new RuleSyntaxError(`\`${text}\`: prefix length out of range`, token.column);
    const size = 1n << BigInt(max - prefix);
    const network = (parsed.value.value / size) * size;
    return rangeToCidrs(family, { start: network, end: network + size - 1n })[0]!;
  }
  return `${address}/${prefix}`;
}

function parsePort(text: string, token: Token): number {
  if (!/^\d+$/.test(text)) throw new RuleSyntaxError(`\`${text}\` is not a port number (service names are not resolved in a saved ruleset)`, token.column);
  const n = Number(text);
  if (n > 65535) throw new RuleSyntaxError(`port ${n} is out of range`, token.column);
  return n;
}

/** `22`, `1024:65535`, `:1023`, `1024:` (iptables' range syntax). */
function parsePortRange(text: string, token: Token): [number, number] {
  const colon = text.indexOf(':');
  if (colon === -1) {
    const p = parsePort(text, token);
    return [p, p];
  }
  const from = text.slice(0, colon) === '' ? 0 : parsePort(text.slice(0, colon), token);
  const to = text.slice(colon + 1) === '' ? 65535 : parsePort(text.slice(colon + 1), token);
  return from <= to ? [from, to] : [to, from];
}

const STATE_NAMES: Record<string, ConntrackStateName | undefined> = {
  NEW: 'new',
  ESTABLISHED: 'established',
  RELATED: 'related',
  INVALID: 'invalid',
  UNTRACKED: 'untracked',
};

interface RuleContext {
  family: ImportFamily;
  table: string;
  location: SourceLocation;
  text: string;
  chain: string;
}

/** Parses the options of one `-A` rule (the tokens after the chain name). */
function parseRule(tokens: Token[], context: RuleContext): ImportedRule {
  const rule: ImportedRule = {
    family: context.family,
    table: context.table,
    chain: context.chain,
    location: context.location,
    text: context.text,
    unsupported: [],
    verdict: { kind: 'continue' },
  };
  const modules: string[] = [];
  let i = 0;
  let negate = false;
  let negateToken: Token | undefined;
  const value = (option: Token): Token => {
    const next = tokens[i++];
    if (!next) throw new RuleSyntaxError(`option \`${option.text}\` needs a value`, option.column);
    return next;
  };
  const unsupported = (match: string, reason: string) => rule.unsupported.push({ match, reason } satisfies UnsupportedMatch);
  const addresses = (text: string, token: Token): AddressMatch => ({ cidrs: text.split(',').map((c) => cidrText(c, token, context.family)), negated: negate });
  const ports = (text: string, token: Token): PortMatch => ({ ranges: text.split(',').map((p) => parsePortRange(p, token)), negated: negate });
  let currentModule: string | undefined;
  let unsupportedModuleText: string[] | undefined;
  const flushModule = () => {
    if (unsupportedModuleText && currentModule) unsupported(unsupportedModuleText.join(' '), MODULE_REASONS[currentModule] ?? `match module \`${currentModule}\``);
    unsupportedModuleText = undefined;
  };
  while (i < tokens.length) {
    const token = tokens[i++]!;
    const option = token.text;
    if (option === '!') {
      negate = true;
      negateToken = token;
      continue;
    }
    const bang = negate ? '! ' : '';
    if (unsupportedModuleText && option.startsWith('--') && !['--jump', '--goto', '--match', '--protocol', '--source', '--destination', '--in-interface', '--out-interface'].includes(option)) {
      unsupportedModuleText.push(`${bang}${option}`);
      while (i < tokens.length && !tokens[i]!.text.startsWith('-') && tokens[i]!.text !== '!') unsupportedModuleText.push(JSON.stringify(tokens[i++]!.text).replace(/^"([^\s"\\]*)"$/, '$1'));
      negate = false;
      continue;
    }
    switch (option) {
      case '-p':
      case '--protocol': {
        const v = value(token);
        const name = v.text.toLowerCase();
        if (name === 'all' || name === '0') break;
        const protocol = PROTOCOL_NUMBERS[name] ?? (/^\d+$/.test(name) ? Number(name) : undefined);
        if (protocol === undefined) throw new RuleSyntaxError(`unknown protocol \`${v.text}\``, v.column);
        rule.protocol = protocol;
        if (negate) rule.protocolNegated = true;
        break;
      }
      case '-s':
      case '--source':
      case '--src':
        rule.source = addresses(value(token).text, tokens[i - 1]!);
        break;
      case '-d':
      case '--destination':
      case '--dst':
        rule.destination = addresses(value(token).text, tokens[i - 1]!);
        break;
      case '-i':
      case '--in-interface':
        rule.inInterface = { name: value(token).text, negated: negate };
        break;
      case '-o':
      case '--out-interface':
        rule.outInterface = { name: value(token).text, negated: negate };
        break;
      case '-f':
      case '--fragment':
        unsupported(`${bang}-f`, 'IP fragments');
        break;
      case '-m':
      case '--match': {
        flushModule();
        const name = value(token).text;
        currentModule = name;
        modules.push(name);
        if (!['tcp', 'udp', 'multiport', 'icmp', 'icmp6', 'icmpv6', 'conntrack', 'state', 'comment', 'iprange', 'addrtype'].includes(name)) unsupportedModuleText = [`-m ${name}`];
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
        rule.destinationPorts = ports(value(token).text, tokens[i - 1]!);
        break;
      case '--sport':
      case '--source-port':
      case '--sports':
      case '--source-ports':
        rule.sourcePorts = ports(value(token).text, tokens[i - 1]!);
        break;
      case '--ports': {
        const v = value(token);
        unsupported(`${bang}--ports ${v.text}`, 'a port match on either side (source or destination)');
        break;
      }
      case '--syn':
        unsupported(`${bang}--syn`, 'TCP flags');
        break;
      case '--tcp-flags': {
        const mask = value(token);
        const set = value(token);
        unsupported(`${bang}--tcp-flags ${mask.text} ${set.text}`, 'TCP flags');
        break;
      }
      case '--tcp-option':
        unsupported(`${bang}--tcp-option ${value(token).text}`, 'TCP options');
        break;
      case '--icmp-type':
      case '--icmpv6-type': {
        const v = value(token);
        const names = option === '--icmp-type' ? ICMP_NAMES : ICMPV6_NAMES;
        const [typeText, codeText] = v.text.split('/');
        const named = names[typeText!];
        let type: number;
        let code: number | undefined;
        if (named) [type, code] = named;
        else if (/^\d+$/.test(typeText!)) type = Number(typeText);
        else throw new RuleSyntaxError(`unknown ICMP type \`${v.text}\``, v.column);
        if (codeText !== undefined) code = Number(codeText);
        if (negate) {
          unsupported(`! ${option} ${v.text}`, 'a negated ICMP type');
          break;
        }
        if (type >= 0) rule.icmpType = type;
        if (code !== undefined) rule.icmpCode = code;
        break;
      }
      case '--ctstate':
      case '--state': {
        const v = value(token);
        const names = v.text.split(',').map((s) => {
          const name = STATE_NAMES[s.toUpperCase()];
          if (!name) throw new RuleSyntaxError(`unknown connection state \`${s}\``, v.column);
          return name;
        });
        rule.states = { names, negated: negate };
        break;
      }
      case '--comment':
        rule.comment = value(token).text;
        break;
      case '--src-range':
      case '--dst-range': {
        const v = value(token);
        const [from, to] = v.text.split('-');
        const a = parseAddress(from ?? '');
        const b = parseAddress(to ?? '');
        if (!a.ok || !b.ok || a.value.family !== context.family || b.value.family !== context.family || a.value.value > b.value.value) throw new RuleSyntaxError(`\`${v.text}\` is not an address range`, v.column);
        const match = { cidrs: rangeToCidrs(context.family, { start: a.value.value, end: b.value.value }), negated: negate };
        if (option === '--src-range') rule.source = match;
        else rule.destination = match;
        break;
      }
      case '--src-type':
      case '--dst-type': {
        const v = value(token);
        const match = { types: v.text.toUpperCase().split(','), negated: negate };
        rule.addressTypes = { ...rule.addressTypes, [option === '--src-type' ? 'source' : 'destination']: match };
        break;
      }
      case '--limit-iface-in':
      case '--limit-iface-out':
        unsupported(`${bang}${option}`, 'address type per interface');
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        flushModule();
        const target = value(token).text;
        const targetOptions: string[] = [];
        while (i < tokens.length && tokens[i]!.text !== '-m' && tokens[i]!.text !== '--match') targetOptions.push(tokens[i++]!.text);
        const isGoto = option === '-g' || option === '--goto';
        if (isGoto) rule.verdict = { kind: 'goto', chain: target };
        else if (target === 'ACCEPT') rule.verdict = { kind: 'accept' };
        else if (target === 'DROP') rule.verdict = { kind: 'drop' };
        else if (target === 'REJECT') rule.verdict = { kind: 'reject' };
        else if (target === 'RETURN') rule.verdict = { kind: 'return' };
        else if (LOG_TARGETS.has(target)) rule.verdict = { kind: 'continue', note: `${target} (logging)` };
        else if (TARGET_REASONS[target]) {
          rule.verdict = { kind: 'continue', note: target };
          unsupported(`-j ${[target, ...targetOptions].join(' ')}`, TARGET_REASONS[target]!);
        } else if (/^[A-Z]+$/.test(target) && !/^(DOCKER|INPUT|OUTPUT|FORWARD)/.test(target) && targetOptions.length > 0) {
          rule.verdict = { kind: 'continue', note: target };
          unsupported(`-j ${[target, ...targetOptions].join(' ')}`, `target \`${target}\``);
        } else rule.verdict = { kind: 'jump', chain: target };
        break;
      }
      case '-c':
      case '--set-counters':
        value(token);
        value(token);
        break;
      default:
        if (currentModule === 'conntrack' && option.startsWith('--ct')) {
          unsupported(`${bang}${option} ${value(token).text}`, 'conntrack fields other than the state');
          break;
        }
        if (currentModule === 'comment' || option.startsWith('--')) throw new RuleSyntaxError(`unknown option \`${option}\``, token.column);
        throw new RuleSyntaxError(`unexpected \`${option}\``, token.column);
    }
    negate = false;
    negateToken = undefined;
  }
  flushModule();
  if (negate && negateToken) throw new RuleSyntaxError('`!` at the end of the rule negates nothing', negateToken.column);
  return rule;
}

/**
 * Reads `iptables-save` or `ip6tables-save` text. `family` defaults to the header (`# Generated by
 * ip6tables-save`) or, failing that, the first address in the text.
 */
export function parseIptablesSave(text: string, file: string, family?: ImportFamily): ImportedRuleset {
  const ruleset: ImportedRuleset = { format: 'iptables-save', sources: [file], chains: [], errors: [] };
  const lines = text.split(/\r?\n/);
  const resolved: ImportFamily =
    family ??
    (/^#.*\bip6tables(-legacy|-nft)?-save\b/m.test(text) ? 'ipv6'
    : /^#.*\biptables(-legacy|-nft)?-save\b/m.test(text) ? 'ipv4'
    : (() => {
        const address = /(?:^|\s)(?:-s|-d|--source|--destination)\s+(\S+)/m.exec(text)?.[1];
        if (address && familyOfAddress(address.split(',')[0]!) === 'ipv6') return 'ipv6';
        return /-p\s+(ipv6-icmp|icmpv6)\b/.test(text) ? 'ipv6' : 'ipv4';
      })());
  let table: string | undefined;
  let chains = new Map<string, ImportedChain>();
  const error = (line: number, column: number, message: string) => ruleset.errors.push({ location: { file, line, column }, message });
  const commit = () => {
    ruleset.chains.push(...chains.values());
    chains = new Map();
    table = undefined;
  };
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.replace(/\s+$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const start = line.length - line.trimStart().length;
    const body = line.trimStart();
    if (body.startsWith('*')) {
      if (table !== undefined) error(lineNumber, start + 1, `table \`${body.slice(1)}\` starts before \`${table}\` was committed (missing COMMIT)`);
      commit();
      table = body.slice(1).trim();
      if (!/^[a-z]+$/.test(table)) error(lineNumber, start + 2, `\`${table}\` is not a table name`);
      return;
    }
    if (body === 'COMMIT') {
      if (table === undefined) error(lineNumber, start + 1, '`COMMIT` without a table');
      commit();
      return;
    }
    if (table === undefined) {
      error(lineNumber, start + 1, 'rule or chain outside a table (expected `*filter` first)');
      return;
    }
    if (body.startsWith(':')) {
      const match = /^:(\S+)\s+(\S+)(?:\s+\[\d+:\d+\])?$/.exec(body);
      if (!match) {
        error(lineNumber, start + 1, 'expected a chain header `:NAME POLICY [packets:bytes]`');
        return;
      }
      const [, name, policy] = match;
      const builtin = BUILTIN[table]?.[name!];
      const chain: ImportedChain = { family: resolved, table, name: name!, location: { file, line: lineNumber, column: start + 1 }, rules: [] };
      if (builtin) {
        chain.hook = builtin.hook;
        chain.priority = builtin.priority;
        if (policy === 'ACCEPT') chain.policy = 'accept';
        else if (policy === 'DROP') chain.policy = 'drop';
        else error(lineNumber, start + 2 + name!.length, `builtin chain \`${name}\` needs the policy ACCEPT or DROP, not \`${policy}\``);
      } else if (policy !== '-') error(lineNumber, start + 2 + name!.length, `user chain \`${name}\` cannot have a policy (\`${policy}\`); write \`-\``);
      chains.set(name!, chain);
      return;
    }
    const tokenized = tokenize(body);
    if (tokenized.error) {
      error(lineNumber, start + tokenized.error.column, tokenized.error.message);
      return;
    }
    const tokens = tokenized.tokens.map((t) => ({ ...t, column: t.column + start }));
    if (/^\[\d+:\d+\]$/.test(tokens[0]?.text ?? '')) tokens.shift();
    const command = tokens.shift();
    if (!command || !['-A', '--append', '-I', '--insert'].includes(command.text)) {
      error(lineNumber, command?.column ?? start + 1, `expected \`-A CHAIN …\`, found \`${command?.text ?? ''}\``);
      return;
    }
    const chainToken = tokens.shift();
    if (!chainToken) {
      error(lineNumber, command.column, `\`${command.text}\` needs a chain name`);
      return;
    }
    let chain = chains.get(chainToken.text);
    if (!chain) {
      const builtin = BUILTIN[table]?.[chainToken.text];
      if (!builtin) {
        error(lineNumber, chainToken.column, `chain \`${chainToken.text}\` is not declared in table \`${table}\` (add \`:${chainToken.text} - [0:0]\`)`);
        return;
      }
      chain = { family: resolved, table, name: chainToken.text, hook: builtin.hook, priority: builtin.priority, policy: 'accept', location: { file, line: lineNumber, column: chainToken.column }, rules: [] };
      chains.set(chainToken.text, chain);
    }
    let insertAt: number | undefined;
    if (command.text === '-I' || command.text === '--insert') {
      insertAt = 0;
      if (/^\d+$/.test(tokens[0]?.text ?? '')) insertAt = Number(tokens.shift()!.text) - 1;
    }
    try {
      const rule = parseRule(tokens, { family: resolved, table, chain: chain.name, location: { file, line: lineNumber, column: start + 1 }, text: body });
      if (insertAt === undefined) chain.rules.push(rule);
      else chain.rules.splice(Math.max(0, Math.min(insertAt, chain.rules.length)), 0, rule);
    } catch (e) {
      if (!(e instanceof RuleSyntaxError)) throw e;
      error(lineNumber, e.column, e.message);
    }
  });
  if (table !== undefined) {
    error(lines.length, 1, `table \`${table}\` is not committed (missing COMMIT at the end)`);
    commit();
  }
  const declared = new Set(ruleset.chains.map((c) => `${c.table}\0${c.name}`));
  for (const chain of ruleset.chains) {
    for (const rule of chain.rules) {
      const target = rule.verdict.kind === 'jump' || rule.verdict.kind === 'goto' ? rule.verdict.chain : undefined;
      if (target !== undefined && !declared.has(`${chain.table}\0${target}`)) {
        ruleset.errors.push({ location: { ...rule.location, column: (rule.text.indexOf(` ${target}`) + 2) || 1 }, message: `\`${rule.verdict.kind === 'goto' ? '-g' : '-j'} ${target}\`: no such chain in table \`${chain.table}\`` });
      }
    }
  }
  return ruleset;
}
