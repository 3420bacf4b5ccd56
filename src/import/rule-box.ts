/**
 * One source rule seen from the host: the box of packets it matches (`space.ts`), or why benteng
 * cannot express it. Shared by the flattener and the source evaluator, so both read a rule the same
 * way. The host side of a rule (the destination of an input packet, the source of an output one) is
 * decided against the host's addresses: a match on all of them is no restriction, on none of them
 * never matches, on some of them cannot be expressed. Interfaces other than loopback, source ports,
 * ICMP codes, other protocols by number and every `unsupported` match make the rule inexpressible.
 */
import { type AddressRange, cidrRange, type Family, parseCidr } from '../net/address.js';
import { fullRange, normalizeRanges, subtractRanges } from '../net/address-set.js';
import type { AddressMatch, ImportedRule, ImportFamily } from './ruleset.js';
import { type Box, fullBox, LOOPBACK, NOT_LOOPBACK, normalize, PORTS_FULL, type ProtocolSpace, type Ranges, stateMask, subtractNumberRanges, ALL_STATES } from './space.js';

export type Hook = 'input' | 'output';

export interface HostSide {
  /** The host's own addresses, by family (empty: unknown). */
  addresses: Record<Family, bigint[]>;
}

export interface RuleView {
  /** The packets the rule matches, as far as benteng can express; undefined when it never matches a packet to or from the host. */
  box?: Box;
  /** Why benteng cannot express the rule (empty when it can). */
  reasons: string[];
  /** Why it never matches the host's packets (set when `box` is undefined). */
  never?: string;
}

export function addressRanges(match: AddressMatch, family: Family): AddressRange[] {
  const ranges = normalizeRanges(
    match.cidrs.flatMap((text) => {
      const parsed = parseCidr(text.includes('/') ? text : `${text}/${family === 'ipv4' ? 32 : 128}`);
      return parsed.ok && parsed.value.family === family ? [cidrRange(parsed.value)] : [];
    }),
  );
  return match.negated ? subtractRanges([fullRange(family)], ranges) : ranges;
}

function portRanges(ranges: Array<[number, number]>, negated: boolean | undefined): Ranges {
  const set = normalize(ranges.map(([a, b]) => [a, b] as [number, number]));
  return negated ? subtractNumberRanges(PORTS_FULL, set) : set;
}

const LOCAL_TYPES = new Set(['LOCAL']);

/** Whether an address-type match on the host side holds for unicast packets to or from the host. */
function hostTypeHolds(match: { types: string[]; negated: boolean }): boolean {
  const local = match.types.some((t) => LOCAL_TYPES.has(t));
  return match.negated ? !local : local;
}

/** Reads one rule for one hook; `direction` decides which side is the peer. */
export function viewRule(rule: ImportedRule, hook: Hook, host: HostSide): RuleView {
  const reasons = rule.unsupported.map((u) => `${u.reason} (\`${u.match}\`)`);
  const family: ImportFamily = rule.family;
  const box = fullBox(family);
  const peerMatch = hook === 'input' ? rule.source : rule.destination;
  const localMatch = hook === 'input' ? rule.destination : rule.source;
  if (peerMatch) box.peer = addressRanges(peerMatch, family);
  if (localMatch) {
    const local = addressRanges(localMatch, family);
    const mine = host.addresses[family];
    const inside = mine.filter((a) => local.some((r) => a >= r.start && a <= r.end));
    const side = hook === 'input' ? 'destination' : 'source';
    if (mine.length === 0) reasons.push(`the host's own address as ${side} (\`${localMatch.negated ? '! ' : ''}${localMatch.cidrs.join(',')}\`; give the host's addresses with --address)`);
    else if (inside.length === 0) return { reasons, never: `its ${side} \`${localMatch.negated ? '! ' : ''}${localMatch.cidrs.join(',')}\` is none of the host's addresses` };
    else if (inside.length < mine.length) reasons.push(`only some of the host's addresses as ${side} (\`${localMatch.cidrs.join(',')}\`)`);
  }
  const types = rule.addressTypes;
  const hostType = hook === 'input' ? types?.destination : types?.source;
  const peerType = hook === 'input' ? types?.source : types?.destination;
  if (hostType && !hostTypeHolds(hostType)) return { reasons, never: `address type ${hostType.negated ? '! ' : ''}${hostType.types.join(',')} never holds for unicast packets ${hook === 'input' ? 'to' : 'from'} the host` };
  if (peerType) reasons.push(`the peer's address type (\`${peerType.negated ? '! ' : ''}${peerType.types.join(',')}\`)`);
  const ownInterface = hook === 'input' ? rule.inInterface : rule.outInterface;
  const otherInterface = hook === 'input' ? rule.outInterface : rule.inInterface;
  if (otherInterface) return { reasons, never: `an ${hook === 'input' ? 'output' : 'input'} interface never matches in the ${hook} hook` };
  if (ownInterface) {
    if (ownInterface.name === 'lo') box.interfaces = ownInterface.negated ? NOT_LOOPBACK : LOOPBACK;
    else reasons.push(`interface \`${ownInterface.negated ? '! ' : ''}${ownInterface.name}\``);
  }
  if (rule.states) {
    const mask = stateMask(rule.states.names);
    box.states = rule.states.negated ? ALL_STATES & ~mask : mask;
  }
  if (rule.sourcePorts) reasons.push(`source ports (\`${rule.sourcePorts.negated ? '! ' : ''}${rule.sourcePorts.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',')}\`)`);
  if (rule.icmpCode !== undefined) reasons.push(`ICMP code ${rule.icmpCode}`);
  const protocols: ProtocolSpace = { tcp: [], udp: [], icmp: [], other: false };
  const dports = rule.destinationPorts ? portRanges(rule.destinationPorts.ranges, rule.destinationPorts.negated) : PORTS_FULL;
  const icmpTypes: Ranges = rule.icmpType !== undefined ? [[rule.icmpType, rule.icmpType]] : [[0, 255]];
  const icmpOfFamily = family === 'ipv4' ? 'icmp' : 'icmpv6';
  switch (rule.protocol) {
    case undefined:
      protocols.tcp = dports;
      protocols.udp = dports;
      protocols.icmp = rule.destinationPorts ? [] : icmpTypes;
      protocols.other = !rule.destinationPorts;
      break;
    case 'tcp':
    case 'udp':
      if (rule.protocolNegated) {
        const other = rule.protocol === 'tcp' ? 'udp' : 'tcp';
        protocols[other] = PORTS_FULL;
        protocols.icmp = [[0, 255]];
        protocols.other = true;
      } else protocols[rule.protocol] = dports;
      break;
    case 'icmp':
    case 'icmpv6':
      if (rule.protocol !== icmpOfFamily) {
        if (rule.protocolNegated) Object.assign(protocols, { tcp: PORTS_FULL, udp: PORTS_FULL, icmp: [[0, 255]], other: true });
        else reasons.push(`protocol ${rule.protocol} in an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} ruleset`);
        break;
      }
      if (rule.protocolNegated) Object.assign(protocols, { tcp: PORTS_FULL, udp: PORTS_FULL, icmp: [], other: true });
      else protocols.icmp = icmpTypes;
      break;
    default:
      reasons.push(`protocol ${rule.protocol} (benteng names tcp, udp, icmp and icmpv6 only)`);
      Object.assign(protocols, { tcp: [], udp: [], icmp: [], other: true });
  }
  box.protocols = protocols;
  return { box, reasons };
}
