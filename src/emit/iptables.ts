/**
 * Lowers one host's model to `iptables-restore` / `ip6tables-restore` IR, one per family.
 *
 * Layout (table `filter` only, chains of our own):
 * - `BENTENG-INPUT` / `BENTENG-OUTPUT`, hooked by `-I INPUT 1` / `-I OUTPUT 1`: blocklist jump, loopback,
 *   conntrack, essential ICMP, then one dispatch rule per service filtered by protocol and port
 *   (multiport, at most 15 ports per rule), then a rate-limited LOG (prefix `bt i default: `) and DROP.
 *   The built-in chains' policies are left alone; every packet that enters our chain gets a verdict there.
 * - One chain per service and direction (`BENTENG-IN-<service>`, `BENTENG-OUT-<service>`, shortened to
 *   iptables' 28-character limit with a hash) holding that service's rules in order, each ending in a
 *   verdict, so a packet that returns from it matched none of them: first match wins across services.
 *   A logging rule (see log-keys.ts) is preceded by a rate-limited LOG with the same matches.
 * - `BENTENG-BLOCK` (input, by source) / `BENTENG-BLOCK-OUT` (output, by destination): the ipset of
 *   `benteng block`'s dynamic entries (`benteng-block-v4`/`-v6`, which must exist before the restore),
 *   then one DROP per CIDR of `blocklist.yaml`'s entries, then RETURN.
 *
 * Re-applying: every chain of ours is declared (`:NAME - [0:0]`), which flushes it under `--noflush`.
 * The two hook rules are the only lines outside our chains; `iptables-restore` cannot delete a rule
 * only if present, so the deployer deletes the live jumps into `BENTENG-*` in the same restore
 * (see src/deploy/agent/agent.sh, IPT_MERGE) and re-applying never duplicates them.
 * Semantics from iptables-extensions(8): multiport, conntrack, comment, limit, LOG, REJECT.
 */
import { IPSET_BLOCK_V4, IPSET_BLOCK_V6, IPT_BLOCKLIST_CHAIN, IPT_BLOCKLIST_OUT_CHAIN, IPT_CHAIN_PREFIX } from '../build/compiled-host.js';
import { mergePortRanges } from '../net/port.js';
import { memoPerObject } from '../model/memo.js';
import { baselineIcmpTypes } from '../model/baseline.js';
import type { BaselineSettings, Direction, HostModel, PortRange, ResolvedRule } from '../model/index.js';
import type { Family } from '../net/address.js';
import { rangeToCidrs } from '../net/address.js';
import { coversFamily, fullRange, subtractRanges } from '../net/address-set.js';
import { createHash } from 'node:crypto';
import { IPT_COMMENT_MAX, ruleComment, sanitizeText } from './comment.js';
import { assertNever, type IptMatch, type IptRule, type IptRuleset, type IptTarget } from './ir.js';
import { type HostLogKeys, hostLogKeys, LOG_BURST } from './log-keys.js';

/** iptables chain names hold at most 28 characters (XT_EXTENSION_MAXNAMELEN - 1). */
export const IPT_CHAIN_MAX = 28;
/** multiport matches at most 15 ports; a range counts as two. */
export const MULTIPORT_MAX = 15;

export const IPT_INPUT_CHAIN = `${IPT_CHAIN_PREFIX}INPUT`;
export const IPT_OUTPUT_CHAIN = `${IPT_CHAIN_PREFIX}OUTPUT`;

const DIRECTIONS: ReadonlyArray<{ direction: Direction; builtin: 'INPUT' | 'OUTPUT'; chain: string; block: string; short: string; side: 'source' | 'destination'; iface: 'in' | 'out' }> = [
  { direction: 'ingress', builtin: 'INPUT', chain: IPT_INPUT_CHAIN, block: IPT_BLOCKLIST_CHAIN, short: 'IN', side: 'source', iface: 'in' },
  { direction: 'egress', builtin: 'OUTPUT', chain: IPT_OUTPUT_CHAIN, block: IPT_BLOCKLIST_OUT_CHAIN, short: 'OUT', side: 'destination', iface: 'out' },
];

const BLOCK_IPSET: Record<Family, string> = { ipv4: IPSET_BLOCK_V4, ipv6: IPSET_BLOCK_V6 };

/** `BENTENG-IN-<service>`; names over 28 characters keep a prefix and gain 6 hex digits of SHA-256. */
export function serviceChainName(short: string, service: string, run: number): string {
  const full = `${IPT_CHAIN_PREFIX}${short}-${service}${run > 0 ? `-${run + 1}` : ''}`;
  if (full.length <= IPT_CHAIN_MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  return `${full.slice(0, IPT_CHAIN_MAX - 7)}-${hash}`;
}

/** Splits port ranges into multiport groups of at most 15 ports (a range counts as two). */
export function multiportGroups(ports: readonly PortRange[]): PortRange[][] {
  const groups: PortRange[][] = [];
  let current: PortRange[] = [];
  let weight = 0;
  for (const range of ports) {
    const w = range.from === range.to ? 1 : 2;
    if (weight + w > MULTIPORT_MAX) {
      groups.push(current);
      current = [];
      weight = 0;
    }
    current.push(range);
    weight += w;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function portMatches(ports: readonly PortRange[]): IptMatch[][] {
  if (ports.length === 1 && ports[0]!.from <= 1 && ports[0]!.to === 65535) return [[]];
  return multiportGroups(ports).map((group) =>
    group.length === 1 ? [{ kind: 'dport', from: group[0]!.from, to: group[0]!.to }] : [{ kind: 'multiport', ports: group }],
  );
}

const icmpProtocolOf = (family: Family) => (family === 'ipv4' ? 'icmp' : 'ipv6-icmp') as 'icmp' | 'ipv6-icmp';

/** Protocol and port matches of one rule in one family: one entry per rule line. */
function protocolLines(rule: ResolvedRule, family: Family): Array<{ tcp: boolean | 'maybe'; matches: IptMatch[] }> {
  const lines: Array<{ tcp: boolean | 'maybe'; matches: IptMatch[] }> = [];
  for (const match of rule.protocols) {
    switch (match.protocol) {
      case 'any':
        lines.push({ tcp: 'maybe', matches: [] });
        break;
      case 'tcp':
      case 'udp':
        for (const ports of portMatches(match.ports)) lines.push({ tcp: match.protocol === 'tcp', matches: [{ kind: 'protocol', protocol: match.protocol }, ...ports] });
        break;
      case 'icmp':
      case 'icmpv6': {
        if ((match.protocol === 'icmp') !== (family === 'ipv4')) break;
        const protocol = icmpProtocolOf(family);
        if (match.types === 'any') lines.push({ tcp: false, matches: [{ kind: 'protocol', protocol }] });
        else for (const type of match.types) lines.push({ tcp: false, matches: [{ kind: 'protocol', protocol }, { kind: 'icmp-type', protocol, type }] });
        break;
      }
      default:
        assertNever(match, 'protocol match');
    }
  }
  return lines;
}

function rejectTarget(family: Family, tcp: boolean): IptTarget {
  if (tcp) return { kind: 'REJECT', with: 'tcp-reset' };
  return { kind: 'REJECT', with: family === 'ipv4' ? 'icmp-admin-prohibited' : 'icmp6-adm-prohibited' };
}

/**
 * The address matches of a rule, one line each: none when the rule covers the family, one negated CIDR
 * when it covers all but one block (`ssh.allowFrom`'s "everyone except the bastion": `! -s` instead of
 * dozens of complementary blocks), else one line per CIDR.
 */
function peerMatches(rule: ResolvedRule, family: Family, side: 'source' | 'destination'): IptMatch[][] {
  // A rule lands on every host of its service: its address matches are the same on each (match objects are never mutated).
  return peerMemo(rule, `${family} ${side}`, () => computePeerMatches(rule, family, side));
}

const peerMemo = memoPerObject<ResolvedRule, IptMatch[][]>();
const commentMemo = new WeakMap<ResolvedRule, IptMatch>();

function computePeerMatches(rule: ResolvedRule, family: Family, side: 'source' | 'destination'): IptMatch[][] {
  if (coversFamily(rule.peers, family)) return [[]];
  // All but one block is at most two ranges (the block at an end of the family's space, or in between).
  if (rule.peers[family].length <= 2) {
    const outside = subtractRanges([fullRange(family)], rule.peers[family]);
    const cidrs = outside.length === 1 ? rangeToCidrs(family, outside[0]!) : [];
    if (cidrs.length === 1) return [[{ kind: 'address', side, cidr: cidrs[0]!, negated: true }]];
  }
  return rule.peers[family].flatMap((range) => rangeToCidrs(family, range)).map((cidr) => [{ kind: 'address', side, cidr }]);
}

function ruleLines(rule: ResolvedRule, family: Family, chain: string, side: 'source' | 'destination', baseline: BaselineSettings, logs: HostLogKeys): IptRule[] {
  const key = logs.rule(rule);
  let comment = commentMemo.get(rule);
  if (!comment) commentMemo.set(rule, (comment = { kind: 'comment', text: ruleComment(rule.id, rule.description, IPT_COMMENT_MAX) }));
  const peers: IptMatch[][] = peerMatches(rule, family, side);
  const out: IptRule[] = [];
  for (const peer of peers) {
    for (const line of protocolLines(rule, family)) {
      const matches = [...peer, ...line.matches];
      if (key) {
        out.push({ chain, matches: [...matches, { kind: 'limit', perMinute: baseline.logDrops.ratePerMinute, burst: LOG_BURST }, comment], target: { kind: 'LOG', key } });
      }
      switch (rule.action) {
        case 'accept':
          out.push({ chain, matches: [...matches, comment], target: { kind: 'ACCEPT' } });
          break;
        case 'drop':
          out.push({ chain, matches: [...matches, comment], target: { kind: 'DROP' } });
          break;
        case 'reject':
          if (line.tcp === 'maybe') {
            out.push({ chain, matches: [...matches, { kind: 'protocol', protocol: 'tcp' }, comment], target: rejectTarget(family, true) });
            out.push({ chain, matches: [...matches, comment], target: rejectTarget(family, false) });
          } else {
            out.push({ chain, matches: [...matches, comment], target: rejectTarget(family, line.tcp) });
          }
          break;
        default:
          assertNever(rule.action, 'action');
      }
    }
  }
  return out;
}

/** The dispatch rules that send a packet into a service chain only when one of its rules could match. */
function dispatchLines(rules: readonly ResolvedRule[], family: Family, from: string, to: string, service: string): IptRule[] {
  const comment: IptMatch = { kind: 'comment', text: sanitizeText(`service ${service}`) };
  const jump: IptTarget = { kind: 'jump', chain: to };
  const matches = rules.flatMap((r) => r.protocols);
  if (matches.some((m) => m.protocol === 'any')) return [{ chain: from, matches: [comment], target: jump }];
  const out: IptRule[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const ports = mergePortRanges(matches.flatMap((m) => (m.protocol === protocol ? m.ports : [])));
    if (ports.length === 0) continue;
    for (const p of portMatches(ports)) out.push({ chain: from, matches: [{ kind: 'protocol', protocol }, ...p, comment], target: jump });
  }
  const icmp = family === 'ipv4' ? 'icmp' : 'icmpv6';
  if (matches.some((m) => m.protocol === icmp)) out.push({ chain: from, matches: [{ kind: 'protocol', protocol: icmpProtocolOf(family) }, comment], target: jump });
  return out;
}

function applies(rule: ResolvedRule, family: Family): boolean {
  return rule.peers[family].length > 0 && protocolLines(rule, family).length > 0;
}

/** A block chain: the dynamic entries' ipset, then `blocklist.yaml`'s entries in file order, then RETURN. */
function blockLines(host: HostModel, family: Family, chain: string, side: 'source' | 'destination'): IptRule[] {
  const out: IptRule[] = [{ chain, matches: [{ kind: 'set', name: BLOCK_IPSET[family], side }], target: { kind: 'DROP' } }];
  for (const entry of host.blocklist) {
    const comment: IptMatch = { kind: 'comment', text: ruleComment('blocklist', entry.reason, IPT_COMMENT_MAX) };
    for (const range of entry.addresses[family]) {
      for (const cidr of rangeToCidrs(family, range)) out.push({ chain, matches: [{ kind: 'address', side, cidr }, comment], target: { kind: 'DROP' } });
    }
  }
  out.push({ chain, matches: [], target: { kind: 'RETURN' } });
  return out;
}

/** The `iptables-restore --noflush` (ipv4) or `ip6tables-restore --noflush` (ipv6) input for one host. */
export function lowerIptables(host: HostModel, baseline: BaselineSettings, family: Family): IptRuleset {
  const chains = [IPT_BLOCKLIST_CHAIN, IPT_BLOCKLIST_OUT_CHAIN, IPT_INPUT_CHAIN, IPT_OUTPUT_CHAIN];
  const rules: IptRule[] = [];
  const serviceRules: IptRule[] = [];
  const icmp = icmpProtocolOf(family);
  const logs = hostLogKeys(host, baseline);
  for (const d of DIRECTIONS) {
    rules.push({ chain: d.builtin, insertFirst: true, matches: [{ kind: 'comment', text: 'benteng hook' }], target: { kind: 'jump', chain: d.chain } });
  }
  for (const d of DIRECTIONS) rules.push(...blockLines(host, family, d.block, d.side));
  for (const d of DIRECTIONS) {
    const c = (text: string): IptMatch => ({ kind: 'comment', text });
    rules.push({ chain: d.chain, matches: [c('blocklist')], target: { kind: 'jump', chain: d.block } });
    if (baseline.loopback) rules.push({ chain: d.chain, matches: [{ kind: 'interface', direction: d.iface, name: 'lo' }, c('defaults: loopback')], target: { kind: 'ACCEPT' } });
    if (baseline.established) {
      rules.push(
        { chain: d.chain, matches: [{ kind: 'ctstate', states: ['RELATED', 'ESTABLISHED'] }, c('defaults: established, related')], target: { kind: 'ACCEPT' } },
        { chain: d.chain, matches: [{ kind: 'ctstate', states: ['INVALID'] }, c('defaults: invalid')], target: { kind: 'DROP' } },
      );
    }
    const types = [...baselineIcmpTypes(baseline.icmp)[family === 'ipv4' ? 'icmp' : 'icmpv6']].sort((a, b) => a - b);
    for (const type of types) {
      rules.push({ chain: d.chain, matches: [{ kind: 'protocol', protocol: icmp }, { kind: 'icmp-type', protocol: icmp, type }, c('defaults: essential ICMP')], target: { kind: 'ACCEPT' } });
    }
    const all = (d.direction === 'ingress' ? host.input : host.output).filter((r) => applies(r, family));
    const runs = new Map<string, number>();
    for (let i = 0; i < all.length; ) {
      const service = all[i]!.service;
      let j = i;
      while (j < all.length && all[j]!.service === service) j++;
      const group = all.slice(i, j);
      const run = runs.get(service) ?? 0;
      runs.set(service, run + 1);
      const chain = serviceChainName(d.short, service, run);
      chains.push(chain);
      rules.push(...dispatchLines(group, family, d.chain, chain, service));
      for (const rule of group) serviceRules.push(...ruleLines(rule, family, chain, d.side, baseline, logs));
      i = j;
    }
    if (logs.defaults) {
      rules.push({ chain: d.chain, matches: [{ kind: 'limit', perMinute: baseline.logDrops.ratePerMinute, burst: LOG_BURST }, c('defaults: log drops')], target: { kind: 'LOG', key: logs.defaults[d.direction] } });
    }
    rules.push({ chain: d.chain, matches: [c('defaults: default drop')], target: { kind: 'DROP' } });
  }
  return {
    family,
    header: [
      `benteng ruleset for host ${host.name} (${family === 'ipv4' ? 'iptables' : 'ip6tables'}), generated by \`benteng build\`: do not edit.`,
      `Apply with \`${family === 'ipv4' ? 'iptables' : 'ip6tables'}-restore --noflush\`: replaces the ${IPT_CHAIN_PREFIX}* chains only.`,
      'The INPUT/OUTPUT hooks are inserted first; the deployer deletes the live hooks in the same restore.',
      `Needs the ipset ${BLOCK_IPSET[family]} (hash:net family ${family === 'ipv4' ? 'inet' : 'inet6'} timeout 0) to exist: it holds \`benteng block\`'s entries.`,
    ],
    table: 'filter',
    chains,
    rules: [...rules, ...serviceRules],
  };
}

