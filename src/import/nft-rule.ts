/**
 * One rule of `nft -j list ruleset` → `ImportedRule`s (see `nft-json.ts` for the document around it).
 * The rule's statements fill a draft (families it can match, protocol alternatives, addresses, ports,
 * ICMP types, states, interfaces, verdict, what cannot be expressed); the draft is then split into one
 * rule per family and per alternative value `ImportedRule` holds one of. Semantics from nft(8):
 * payload and meta matches, `ct state` as a bitmask, sets and verdict maps, `th` as any transport.
 */
import { type Family, formatAddress, parseAddress, rangeToCidrs } from '../net/address.js';
import type { IcmpProtocol } from '../net/port.js';
import { icmpCodeNumber, icmpTypeNumber, isConntrackState, portNumber, protocolNumber } from './nft-names.js';
import { renderStatement, renderValue, single } from './nft-text.js';
import type { AddressMatch, ConntrackStateName, ImportFamily, ImportVerdict, ImportedRule, PortMatch, UnsupportedMatch } from './ruleset.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

export function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects of a ruleset are named by nft family, table, and name: `inet filter input`. */
export function key(...parts: Array<string | number>): string {
  return parts.join(' ');
}

type Protocol = NonNullable<ImportedRule['protocol']>;

/** A named set or map of the rule's table, as the parser read it. */
export interface NamedSet {
  type: Json;
  flags: string[];
  elements: Json[];
  isMap: boolean;
  /** Maps: what the elements map to (`verdict` for a verdict map). */
  mapTo?: Json;
  /** Filled by a rule's `add @set` / `update @set`, or expiring elements. */
  dynamic: boolean;
}

/** What one rule matches, before it is split into `ImportedRule`s per family and alternative. */
interface Draft {
  families: Set<ImportFamily>;
  protocols?: Protocol[];
  protocolNegated?: Protocol;
  /** A port match of `th` (any transport with ports), kept for the report. */
  anyTransport?: Json;
  source?: AddressMatch;
  destination?: AddressMatch;
  sourcePorts?: PortMatch;
  destinationPorts?: PortMatch;
  icmpTypes?: number[];
  icmpCode?: number;
  states?: { names: ConntrackStateName[]; negated: boolean };
  addressTypes?: ImportedRule['addressTypes'];
  inInterfaces?: { names: string[]; negated: boolean };
  outInterfaces?: { names: string[]; negated: boolean };
  unsupported: UnsupportedMatch[];
  verdict?: ImportVerdict;
  notes: string[];
}

function protocolOf(number: number): Protocol {
  if (number === 6) return 'tcp';
  if (number === 17) return 'udp';
  if (number === 1) return 'icmp';
  if (number === 58) return 'icmpv6';
  return number;
}

function familyOfProtocol(protocol: Protocol): ImportFamily | undefined {
  if (protocol === 'icmp') return 'ipv4';
  if (protocol === 'icmpv6') return 'ipv6';
  return undefined;
}

/** The elements a right-hand side stands for: a value, an anonymous set, or a named set. */
type Elements = { ok: true; values: Json[] } | { ok: false; reason: string };

class RuleReader {
  constructor(
    private readonly sets: Map<string, NamedSet>,
    private readonly table: string,
    private readonly draft: Draft,
  ) {}

  private unsupported(statement: Json, reason: string): void {
    this.draft.unsupported.push({ match: renderStatement(statement), reason });
  }

  private elements(right: Json): Elements {
    if (typeof right === 'string' && right.startsWith('@')) {
      const set = this.sets.get(key(this.table, right.slice(1)));
      if (set === undefined) return { ok: false, reason: `set ${right} is not defined in table ${this.table}` };
      if (set.isMap) return { ok: false, reason: `map ${right} (maps are not expressible)` };
      if (Array.isArray(set.type)) return { ok: false, reason: `concatenated set ${right} (several fields matched together)` };
      if (set.dynamic) return { ok: false, reason: `set ${right} changes at run time (timeouts or rules that add to it)` };
      return { ok: true, values: set.elements.map((e) => (isObject(e) && isObject(e.elem) ? e.elem.val : e)) };
    }
    const entry = single(right);
    if (entry !== undefined && entry[0] === 'set') {
      const values = Array.isArray(entry[1]) ? entry[1] : [entry[1]];
      return { ok: true, values: values.map((e) => (isObject(e) && isObject(e.elem) ? e.elem.val : e)) };
    }
    // A bitmask value nft prints as a list (`ct state established,related`).
    if (Array.isArray(right)) return { ok: true, values: right };
    return { ok: true, values: [right] };
  }

  read(statement: Json): void {
    const entry = single(statement);
    if (entry === undefined) return this.unsupported(statement, 'a statement this reader does not know');
    const [kind, body] = entry;
    const draft = this.draft;
    switch (kind) {
      case 'match':
        return isObject(body) ? this.match(statement, body) : this.unsupported(statement, 'a malformed match');
      case 'counter':
        return;
      case 'log':
        draft.notes.push('log');
        return;
      case 'accept':
      case 'drop':
      case 'return':
        draft.verdict = { kind };
        return;
      case 'continue':
        draft.verdict = { kind: 'continue' };
        return;
      case 'reject':
        draft.verdict = { kind: 'reject' };
        return;
      case 'jump':
      case 'goto':
        if (isObject(body) && typeof body.target === 'string') draft.verdict = { kind, chain: body.target };
        else this.unsupported(statement, `a ${kind} without a target chain`);
        return;
      case 'limit':
        return this.unsupported(statement, 'rate limit');
      case 'quota':
        return this.unsupported(statement, 'quota');
      case 'meter':
        return this.unsupported(statement, 'per-address rate limit (meter)');
      case 'ct count':
        return this.unsupported(statement, 'connection count limit');
      case 'set':
      case 'map':
        return this.unsupported(statement, 'adds packets’ addresses to a set at run time');
      case 'mangle':
        return this.unsupported(statement, /mark/.test(renderStatement(statement)) ? 'packet marks' : 'packet rewriting');
      case 'dnat':
      case 'snat':
      case 'masquerade':
      case 'redirect':
        return this.unsupported(statement, 'NAT');
      case 'tproxy':
        return this.unsupported(statement, 'transparent proxy (tproxy)');
      case 'notrack':
        return this.unsupported(statement, 'conntrack bypass (notrack)');
      case 'queue':
        return this.unsupported(statement, 'hands packets to a userspace program (queue)');
      case 'vmap':
        return this.unsupported(statement, 'verdict map');
      case 'xt':
        return this.unsupported(statement, 'an iptables extension that nft cannot show (xt)');
      case 'dup':
      case 'fwd':
        return this.unsupported(statement, 'packet duplication or forwarding');
      default:
        return this.unsupported(statement, `the \`${kind}\` statement`);
    }
  }

  private match(statement: Json, body: JsonObject): void {
    const op = body.op;
    const negated = op === '!=';
    const left = single(body.left);
    if (left === undefined) return this.unsupported(statement, 'a match on a computed value');
    if (op !== '==' && op !== '!=' && op !== 'in') {
      if (left[0] === 'payload' && isObject(left[1]) && (left[1].field === 'dport' || left[1].field === 'sport')) {
        return this.portComparison(statement, left[1], String(op), body.right);
      }
      return this.unsupported(statement, `the comparison \`${String(op)}\``);
    }
    const [kind, what] = left;
    if (kind === 'payload' && isObject(what)) return this.payload(statement, String(what.protocol), String(what.field), negated, body.right);
    if (kind === 'meta' && isObject(what)) return this.meta(statement, String(what.key), negated, body.right);
    if (kind === 'ct' && isObject(what)) {
      if (what.key === 'state' && what.dir === undefined) return this.states(statement, negated, body.right);
      if (what.key === 'mark') return this.unsupported(statement, 'connection marks');
      if (what.key === 'status') return this.unsupported(statement, 'conntrack status (for example dnat)');
      return this.unsupported(statement, `conntrack \`${String(what.key)}\``);
    }
    if (kind === 'concat') return this.unsupported(statement, 'concatenation (several fields matched together)');
    if (kind === 'fib') return this.addressType(statement, what, negated, body.right);
    if (kind === '&' || kind === '|') {
      return this.unsupported(statement, /tcp flags/.test(renderStatement(statement)) ? 'TCP flags' : 'a bitmask match');
    }
    return this.unsupported(statement, `the \`${kind}\` expression`);
  }

  /** `fib daddr type local` is iptables' `-m addrtype --dst-type LOCAL`; other fib lookups are routing. */
  private addressType(statement: Json, what: Json, negated: boolean, right: Json): void {
    const flags = isObject(what) && Array.isArray(what.flags) ? what.flags : [];
    const side = flags.length === 1 && flags[0] === 'daddr' ? 'destination' : flags.length === 1 && flags[0] === 'saddr' ? 'source' : undefined;
    const elements = this.elements(right);
    if (!isObject(what) || what.result !== 'type' || side === undefined || !elements.ok || !elements.values.every((v) => typeof v === 'string')) {
      return this.unsupported(statement, 'routing lookup (fib)');
    }
    const types = { ...this.draft.addressTypes };
    if (types[side] !== undefined) return this.unsupported(statement, 'a second address type match');
    types[side] = { types: elements.values.map((v) => String(v).toUpperCase()), negated };
    this.draft.addressTypes = types;
  }

  private narrowFamily(family: ImportFamily): void {
    for (const f of [...this.draft.families]) if (f !== family) this.draft.families.delete(f);
  }

  private narrowProtocols(statement: Json, allowed: Protocol[]): void {
    const current = this.draft.protocols;
    this.draft.protocols = current === undefined ? [...allowed] : current.filter((p) => allowed.includes(p));
    if (this.draft.protocols.length === 0) this.unsupported(statement, 'contradicts the rule’s protocol (can never match)');
  }

  private payload(statement: Json, protocol: string, field: string, negated: boolean, right: Json): void {
    if ((protocol === 'ip' || protocol === 'ip6') && (field === 'saddr' || field === 'daddr')) {
      const family: Family = protocol === 'ip' ? 'ipv4' : 'ipv6';
      this.narrowFamily(family);
      return this.address(statement, family, field === 'saddr' ? 'source' : 'destination', negated, right);
    }
    if ((protocol === 'ip' && field === 'protocol') || (protocol === 'ip6' && field === 'nexthdr')) {
      this.narrowFamily(protocol === 'ip' ? 'ipv4' : 'ipv6');
      return this.protocols(statement, negated, right);
    }
    if ((protocol === 'tcp' || protocol === 'udp' || protocol === 'th') && (field === 'dport' || field === 'sport')) {
      if (protocol === 'th') this.draft.anyTransport ??= statement;
      else this.narrowProtocols(statement, [protocol]);
      return this.ports(statement, field === 'dport' ? 'destinationPorts' : 'sourcePorts', negated, right);
    }
    if ((protocol === 'icmp' || protocol === 'icmpv6') && (field === 'type' || field === 'code')) {
      this.narrowFamily(protocol === 'icmp' ? 'ipv4' : 'ipv6');
      this.narrowProtocols(statement, [protocol]);
      return field === 'type' ? this.icmpTypes(statement, protocol, negated, right) : this.icmpCode(statement, protocol, negated, right);
    }
    if (protocol === 'tcp' && field === 'flags') return this.unsupported(statement, 'TCP flags');
    return this.unsupported(statement, `the header field \`${protocol} ${field}\``);
  }

  private address(statement: Json, family: Family, side: 'source' | 'destination', negated: boolean, right: Json): void {
    if (this.draft[side] !== undefined) return this.unsupported(statement, `a second match on the ${side} address`);
    const elements = this.elements(right);
    if (!elements.ok) return this.unsupported(statement, elements.reason);
    const cidrs: string[] = [];
    for (const value of elements.values) {
      const converted = cidrsOf(family, value);
      if (converted === undefined) return this.unsupported(statement, `\`${renderValue(value)}\` is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address, prefix or range`);
      cidrs.push(...converted);
    }
    this.draft[side] = { cidrs, negated };
  }

  private protocols(statement: Json, negated: boolean, right: Json): void {
    const elements = this.elements(right);
    if (!elements.ok) return this.unsupported(statement, elements.reason);
    const protocols: Protocol[] = [];
    for (const value of elements.values) {
      const number = protocolNumber(value);
      if (number === undefined) return this.unsupported(statement, `unknown protocol \`${renderValue(value)}\``);
      protocols.push(protocolOf(number));
    }
    if (!negated) return this.narrowProtocols(statement, protocols);
    if (protocols.length !== 1) return this.unsupported(statement, 'a negated set of protocols');
    if (this.draft.protocolNegated !== undefined) return this.unsupported(statement, 'a second negated protocol');
    this.draft.protocolNegated = protocols[0];
  }

  private ports(statement: Json, side: 'sourcePorts' | 'destinationPorts', negated: boolean, right: Json): void {
    if (this.draft[side] !== undefined) return this.unsupported(statement, `a second match on the ${side === 'sourcePorts' ? 'source' : 'destination'} port`);
    const elements = this.elements(right);
    if (!elements.ok) return this.unsupported(statement, elements.reason);
    const ranges: Array<[number, number]> = [];
    for (const value of elements.values) {
      const range = portRangeOf(value);
      if (range === undefined) return this.unsupported(statement, `\`${renderValue(value)}\` is not a port or port range`);
      ranges.push(range);
    }
    this.draft[side] = { ranges, negated };
  }

  private portComparison(statement: Json, what: JsonObject, op: string, right: Json): void {
    const port = portNumber(right);
    const side = what.field === 'dport' ? 'destinationPorts' : 'sourcePorts';
    const range: [number, number] | undefined =
      port === undefined ? undefined : op === '<' ? [0, port - 1] : op === '<=' ? [0, port] : op === '>' ? [port + 1, 65535] : op === '>=' ? [port, 65535] : undefined;
    if (range === undefined || range[0] > range[1] || this.draft[side] !== undefined) return this.unsupported(statement, `the comparison \`${op}\``);
    if (what.protocol === 'th') this.draft.anyTransport ??= statement;
    else if (what.protocol === 'tcp' || what.protocol === 'udp') this.narrowProtocols(statement, [what.protocol]);
    else return this.unsupported(statement, `the header field \`${String(what.protocol)} ${String(what.field)}\``);
    this.draft[side] = { ranges: [range], negated: false };
  }

  private icmpTypes(statement: Json, protocol: IcmpProtocol, negated: boolean, right: Json): void {
    if (negated) return this.unsupported(statement, 'a negated ICMP type');
    if (this.draft.icmpTypes !== undefined) return this.unsupported(statement, 'a second ICMP type match');
    const elements = this.elements(right);
    if (!elements.ok) return this.unsupported(statement, elements.reason);
    const types: number[] = [];
    for (const value of elements.values) {
      const type = icmpTypeNumber(protocol, value);
      if (type === undefined) return this.unsupported(statement, `unknown ${protocol} type \`${renderValue(value)}\``);
      types.push(type);
    }
    this.draft.icmpTypes = types;
  }

  private icmpCode(statement: Json, protocol: IcmpProtocol, negated: boolean, right: Json): void {
    const code = icmpCodeNumber(protocol, right);
    if (negated || code === undefined || this.draft.icmpCode !== undefined) return this.unsupported(statement, 'ICMP codes other than one plain value');
    this.draft.icmpCode = code;
  }

  private meta(statement: Json, metaKey: string, negated: boolean, right: Json): void {
    switch (metaKey) {
      case 'l4proto':
        return this.protocols(statement, negated, right);
      case 'nfproto': {
        const elements = this.elements(right);
        if (!elements.ok) return this.unsupported(statement, elements.reason);
        const named = new Set(elements.values.map((v) => (v === 'ipv4' || v === 2 ? 'ipv4' : v === 'ipv6' || v === 10 ? 'ipv6' : 'other')));
        for (const family of ['ipv4', 'ipv6'] as const) if (named.has(family) === negated) this.draft.families.delete(family);
        return;
      }
      case 'iifname':
      case 'iif':
      case 'oifname':
      case 'oif':
        return this.interfaces(statement, metaKey.startsWith('i') ? 'inInterfaces' : 'outInterfaces', negated, right);
      case 'mark':
        return this.unsupported(statement, 'packet marks');
      case 'skuid':
      case 'skgid':
        return this.unsupported(statement, 'socket owner (uid/gid)');
      case 'pkttype':
        return this.unsupported(statement, 'packet type (broadcast, multicast)');
      default:
        return this.unsupported(statement, `\`meta ${metaKey}\``);
    }
  }

  private interfaces(statement: Json, side: 'inInterfaces' | 'outInterfaces', negated: boolean, right: Json): void {
    if (this.draft[side] !== undefined) return this.unsupported(statement, 'a second interface match');
    const elements = this.elements(right);
    if (!elements.ok) return this.unsupported(statement, elements.reason);
    if (!elements.values.every((v): v is string => typeof v === 'string' && v.length > 0)) return this.unsupported(statement, 'an interface given by index');
    if (negated && elements.values.length !== 1) return this.unsupported(statement, 'a negated set of interfaces');
    // nft's `eth*` wildcard is iptables' `eth+`, the form `InterfaceMatch` keeps.
    this.draft[side] = { names: elements.values.map((v) => (v.endsWith('*') ? `${v.slice(0, -1)}+` : v)), negated };
  }

  private states(statement: Json, negated: boolean, right: Json): void {
    if (this.draft.states !== undefined) return this.unsupported(statement, 'a second conntrack state match');
    const elements = this.elements(right);
    if (!elements.ok) return this.unsupported(statement, elements.reason);
    const names: ConntrackStateName[] = [];
    for (const value of elements.values) {
      if (typeof value !== 'string' || !isConntrackState(value)) return this.unsupported(statement, `unknown conntrack state \`${renderValue(value)}\``);
      names.push(value);
    }
    this.draft.states = { names, negated };
  }
}

function cidrsOf(family: Family, value: Json): string[] | undefined {
  const bits = family === 'ipv4' ? 32 : 128;
  const parse = (text: Json) => {
    if (typeof text !== 'string') return undefined;
    const parsed = parseAddress(text);
    return parsed.ok && parsed.value.family === family ? parsed.value.value : undefined;
  };
  const single_ = parse(value);
  if (single_ !== undefined) return [`${formatAddress(family, single_)}/${bits}`];
  const entry = single(value);
  if (entry === undefined) return undefined;
  const [kind, body] = entry;
  if (kind === 'prefix' && isObject(body) && typeof body.len === 'number' && body.len >= 0 && body.len <= bits) {
    const start = parse(body.addr);
    if (start === undefined) return undefined;
    const host = (1n << BigInt(bits - body.len)) - 1n;
    return [`${formatAddress(family, start & ~host)}/${body.len}`];
  }
  if (kind === 'range' && Array.isArray(body) && body.length === 2) {
    const start = parse(body[0]);
    const end = parse(body[1]);
    if (start === undefined || end === undefined || end < start) return undefined;
    return rangeToCidrs(family, { start, end });
  }
  return undefined;
}

function portRangeOf(value: Json): [number, number] | undefined {
  const port = portNumber(value);
  if (port !== undefined) return [port, port];
  const entry = single(value);
  if (entry === undefined || entry[0] !== 'range' || !Array.isArray(entry[1]) || entry[1].length !== 2) return undefined;
  const from = portNumber(entry[1][0]);
  const to = portNumber(entry[1][1]);
  return from !== undefined && to !== undefined && from <= to ? [from, to] : undefined;
}

/** One `ImportedRule` per family and per alternative value the draft holds several of. */
function expand(draft: Draft, base: Omit<ImportedRule, 'family' | 'unsupported' | 'verdict'>, tableFamilies: ImportFamily[]): ImportedRule[] {
  const verdict: ImportVerdict = draft.verdict ?? { kind: 'continue', ...(draft.notes.length > 0 ? { note: draft.notes.join(', ') } : {}) };
  const unsupported = [...draft.unsupported];
  let protocols: Array<Protocol | undefined> = draft.protocols ?? [undefined];
  if (draft.anyTransport !== undefined) {
    if (draft.protocols === undefined) {
      unsupported.push({ match: renderStatement(draft.anyTransport), reason: 'a port without a protocol (also matches SCTP, DCCP, UDP-Lite); write meta l4proto { tcp, udp }' });
      protocols = ['tcp', 'udp'];
    } else protocols = protocols.filter((p) => p === 'tcp' || p === 'udp');
  }
  if (draft.protocolNegated !== undefined && draft.protocols !== undefined) {
    protocols = protocols.filter((p) => p !== draft.protocolNegated);
  }
  const negatedProtocol = draft.protocols === undefined ? draft.protocolNegated : undefined;
  const rules: ImportedRule[] = [];
  for (const family of tableFamilies) {
    if (!draft.families.has(family)) continue;
    for (const protocol of protocols) {
      const protocolFamily = protocol === undefined ? undefined : familyOfProtocol(protocol);
      if (protocolFamily !== undefined && protocolFamily !== family) continue;
      const icmpTypes: Array<number | undefined> = protocolFamily !== undefined && draft.icmpTypes !== undefined ? draft.icmpTypes : [undefined];
      const inNames: Array<string | undefined> = draft.inInterfaces?.names ?? [undefined];
      const outNames: Array<string | undefined> = draft.outInterfaces?.names ?? [undefined];
      for (const icmpType of icmpTypes) {
        for (const inName of inNames) {
          for (const outName of outNames) {
            rules.push({
              family,
              ...base,
              ...(protocol !== undefined ? { protocol } : negatedProtocol !== undefined ? { protocol: negatedProtocol, protocolNegated: true } : {}),
              ...(draft.source ? { source: draft.source } : {}),
              ...(draft.destination ? { destination: draft.destination } : {}),
              ...(draft.sourcePorts ? { sourcePorts: draft.sourcePorts } : {}),
              ...(draft.destinationPorts ? { destinationPorts: draft.destinationPorts } : {}),
              ...(icmpType !== undefined ? { icmpType } : {}),
              ...(draft.icmpCode !== undefined && protocolFamily !== undefined ? { icmpCode: draft.icmpCode } : {}),
              ...(draft.states ? { states: draft.states } : {}),
              ...(draft.addressTypes ? { addressTypes: draft.addressTypes } : {}),
              ...(inName !== undefined ? { inInterface: { name: inName, negated: draft.inInterfaces!.negated } } : {}),
              ...(outName !== undefined ? { outInterface: { name: outName, negated: draft.outInterfaces!.negated } } : {}),
              unsupported,
              verdict,
            });
          }
        }
      }
    }
  }
  if (rules.length > 0) return rules;
  // Nothing it matches survives in these families: kept once, so the report still names it.
  return [{ family: tableFamilies[0]!, ...base, unsupported: [...unsupported, { match: base.text, reason: 'can never match a packet of this table (contradictory matches)' }], verdict }];
}

/**
 * A rule ending in a verdict map (`ct state vmap { established : accept, related : accept, invalid :
 * drop }`) as one rule per verdict (`ct state { established, related } accept`, `ct state invalid
 * drop`): a packet matches at most one key, so the order of the rules does not matter.
 * Maps that change at run time, or whose elements are not verdicts, stay one rule and are reported.
 */
function verdictMapVariants(expr: Json[], sets: Map<string, NamedSet>, table: string): Json[][] {
  const index = expr.findIndex((s) => single(s)?.[0] === 'vmap');
  if (index === -1) return [expr];
  const vmap = single(expr[index])![1];
  if (!isObject(vmap)) return [expr];
  let elements: Json[] | undefined;
  const named = typeof vmap.data === 'string' && vmap.data.startsWith('@') ? sets.get(key(table, vmap.data.slice(1))) : undefined;
  if (named !== undefined && named.isMap && named.mapTo === 'verdict' && !named.dynamic) elements = named.elements;
  const anonymous = single(vmap.data);
  if (anonymous !== undefined && anonymous[0] === 'set') elements = Array.isArray(anonymous[1]) ? anonymous[1] : [anonymous[1]];
  if (elements === undefined || elements.length === 0) return [expr];
  const pairs = elements.map((e) => (Array.isArray(e) && e.length === 2 ? e : undefined));
  if (pairs.some((p) => p === undefined || single(p[1]) === undefined)) return [expr];
  // Elements with the same verdict become one rule (`ct state { established, related } accept`).
  const byVerdict = new Map<string, { verdict: Json; keys: Json[] }>();
  for (const pair of pairs) {
    const value = isObject(pair![0]) && isObject(pair![0].elem) ? pair![0].elem.val : pair![0];
    const verdictKey = JSON.stringify(pair![1]);
    const group: { verdict: Json; keys: Json[] } = byVerdict.get(verdictKey) ?? { verdict: pair![1], keys: [] };
    group.keys.push(value);
    byVerdict.set(verdictKey, group);
  }
  return [...byVerdict.values()].map(({ verdict, keys }) => {
    const right = keys.length === 1 ? keys[0] : { set: keys };
    return [...expr.slice(0, index), { match: { op: '==', left: vmap.key, right } }, verdict, ...expr.slice(index + 1)];
  });
}


/** Where a rule stands: its table (`inet filter`) and that table's families, its chain, location and text. */
export interface RuleContext {
  table: string;
  families: ImportFamily[];
  sets: Map<string, NamedSet>;
  base: Omit<ImportedRule, 'family' | 'unsupported' | 'verdict'>;
}

/** The `ImportedRule`s one nft rule stands for, in order. */
export function readRule(expr: Json[], context: RuleContext): ImportedRule[] {
  return verdictMapVariants(expr, context.sets, context.table).flatMap((variant) => {
    const draft: Draft = { families: new Set(context.families), unsupported: [], notes: [] };
    const reader = new RuleReader(context.sets, context.table, draft);
    for (const statement of variant) reader.read(statement);
    return expand(draft, context.base, context.families);
  });
}
