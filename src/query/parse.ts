/**
 * The grammar of a `benteng query` question, parsed into typed values; problems are returned as data
 * (one message each), never thrown. Names are not looked up here (that needs the model, see index.ts).
 *
 * - endpoint: an IPv4 or IPv6 address (`parseAddress` of src/net/address.ts), `host:<name>` or
 *   `service:<name>` (the name grammar of the policy's peers, src/net/peer.ts)
 * - protocol: `tcp/<port>`, `udp/<port>` (one port, 1-65535, as src/net/port.ts parses it),
 *   `icmp/<type>` or `icmpv6/<type>` with the type as nft(8) names it (`ICMP_TYPES`) or as a number 0-255
 */
import type { Family } from '../net/address.js';
import { parsePeer } from '../net/peer.js';
import { ICMP_TYPES, type IcmpProtocol, icmpTypeName, parsePortSpec, type Transport } from '../net/port.js';

export type QueryEndpoint =
  | { kind: 'address'; text: string; family: Family; value: bigint }
  | { kind: 'host'; name: string }
  | { kind: 'service'; name: string };

export type QueryProtocol =
  | { kind: 'transport'; protocol: Transport; port: number }
  | { kind: 'icmp'; protocol: IcmpProtocol; type: number; typeName?: string };

export interface Question {
  from: QueryEndpoint;
  to: QueryEndpoint;
  protocol: QueryProtocol;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ENDPOINT_FORMS = 'write an IPv4 or IPv6 address, host:<name> or service:<name>';
const PROTOCOL_FORMS = 'write tcp/<port>, udp/<port>, icmp/<type> or icmpv6/<type>';

/** One end of the question; an address must be a single address, not a block. */
export function parseEndpoint(text: string): Parsed<QueryEndpoint> {
  if (text === '') return { ok: false, reason: `an empty endpoint: ${ENDPOINT_FORMS}` };
  const peer = parsePeer(text);
  if (!peer.ok) {
    const specific = /^(host|service|network):/.test(text) || /^[0-9a-fA-F:.]+(\/.*)?$/.test(text);
    return { ok: false, reason: specific ? peer.reason : `\`${text}\` is not an endpoint: ${ENDPOINT_FORMS}` };
  }
  const spec = peer.value;
  switch (spec.kind) {
    case 'cidr': {
      const bits = spec.cidr.family === 'ipv4' ? 32 : 128;
      if (text.includes('/') && spec.cidr.prefix !== bits) {
        return { ok: false, reason: `\`${text}\` is a block of addresses: query one address in it` };
      }
      return { ok: true, value: { kind: 'address', text, family: spec.cidr.family, value: spec.cidr.network } };
    }
    case 'host':
    case 'service':
      return { ok: true, value: { kind: spec.kind, name: spec.name } };
    case 'name':
      return { ok: false, reason: `\`${text}\` is a bare name: write host:${text} or service:${text}` };
    case 'network':
      return { ok: false, reason: `\`${text}\` is a network: query one address in it, a host:<name> or a service:<name>` };
    case 'any':
      return { ok: false, reason: `\`any\` is every address: query one address, a host:<name> or a service:<name>` };
    default: {
      const never: never = spec;
      throw new Error(`unexpected peer ${JSON.stringify(never)}`);
    }
  }
}

/** The protocol and destination port or ICMP type of the question. */
export function parseQueryProtocol(text: string): Parsed<QueryProtocol> {
  const slash = text.indexOf('/');
  const head = slash === -1 ? text : text.slice(0, slash);
  const tail = slash === -1 ? '' : text.slice(slash + 1);
  if (head === 'tcp' || head === 'udp') {
    if (tail === '') return { ok: false, reason: `\`${text}\` has no port: write ${head}/<port>, e.g. ${head}/${head === 'tcp' ? 443 : 53}` };
    if (/^\d+-\d+$/.test(tail)) return { ok: false, reason: `\`${text}\` is a port range: query one port` };
    const spec = parsePortSpec(text);
    if (!spec.ok) return spec;
    if (spec.value.kind !== 'transport') return { ok: false, reason: `\`${text}\` is not a port: ${PROTOCOL_FORMS}` };
    return { ok: true, value: { kind: 'transport', protocol: spec.value.protocol, port: spec.value.from } };
  }
  if (head === 'icmp' || head === 'icmpv6') {
    const known = Object.keys(ICMP_TYPES[head]).join(', ');
    if (tail === '') return { ok: false, reason: `\`${text}\` has no type: write ${head}/<type>, e.g. ${head}/echo-request (known: ${known})` };
    if (/^\d+$/.test(tail)) {
      const type = Number(tail);
      if (tail.length > 3 || type > 255) return { ok: false, reason: `${head} type ${tail} is out of range 0-255` };
      const typeName = icmpTypeName(head, type);
      return { ok: true, value: typeName ? { kind: 'icmp', protocol: head, type, typeName } : { kind: 'icmp', protocol: head, type } };
    }
    const spec = parsePortSpec(text);
    if (!spec.ok) return { ok: false, reason: `${spec.reason}, or a type number 0-255` };
    if (spec.value.kind !== 'icmp' || spec.value.type === undefined) return { ok: false, reason: `\`${text}\` is not a protocol: ${PROTOCOL_FORMS}` };
    return { ok: true, value: { kind: 'icmp', protocol: head, type: spec.value.type, typeName: tail } };
  }
  return { ok: false, reason: `\`${text}\` is not a protocol: ${PROTOCOL_FORMS}` };
}

/** The three words of a question; every problem is reported, in argument order. */
export function parseQuestion(from: string, to: string, protocol: string): { ok: true; value: Question } | { ok: false; reasons: string[] } {
  const parsed = { from: parseEndpoint(from), to: parseEndpoint(to), protocol: parseQueryProtocol(protocol) };
  const reasons: string[] = [];
  if (!parsed.from.ok) reasons.push(`<from>: ${parsed.from.reason}`);
  if (!parsed.to.ok) reasons.push(`<to>: ${parsed.to.reason}`);
  if (!parsed.protocol.ok) reasons.push(`<proto>/<port>: ${parsed.protocol.reason}`);
  if (!parsed.from.ok || !parsed.to.ok || !parsed.protocol.ok) return { ok: false, reasons };
  return { ok: true, value: { from: parsed.from.value, to: parsed.to.value, protocol: parsed.protocol.value } };
}

/** The endpoint as the user would write it (addresses in canonical form are not required). */
export function endpointText(endpoint: QueryEndpoint): string {
  return endpoint.kind === 'address' ? endpoint.text : `${endpoint.kind}:${endpoint.name}`;
}

/** The protocol as written on the command line, with the ICMP type's name when it has one. */
export function protocolText(protocol: QueryProtocol): string {
  if (protocol.kind === 'transport') return `${protocol.protocol}/${protocol.port}`;
  return `${protocol.protocol}/${protocol.typeName ?? protocol.type}`;
}
