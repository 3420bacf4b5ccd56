import { parseCidr, type ParsedCidr } from './address.js';

/**
 * The peer grammar of the policy language (schemas/common.schema.json `Peer`): `any`, an address or CIDR,
 * a bare name (network or host), `host:<name>`, `network:<name>` or `service:<name>`.
 */
export type PeerSpec =
  | { kind: 'any' }
  | { kind: 'cidr'; cidr: ParsedCidr }
  | { kind: 'name'; name: string }
  | { kind: 'host'; name: string }
  | { kind: 'network'; name: string }
  | { kind: 'service'; name: string };

export type PeerParse = { ok: true; value: PeerSpec } | { ok: false; reason: string };

const NAME = /^[a-z][a-z0-9-]{0,47}$/;
const PREFIXED = /^(host|network|service):(.*)$/;

export function parsePeer(text: string): PeerParse {
  if (text === 'any') return { ok: true, value: { kind: 'any' } };
  const prefixed = PREFIXED.exec(text);
  if (prefixed) {
    const kind = prefixed[1] as 'host' | 'network' | 'service';
    const name = prefixed[2]!;
    if (!NAME.test(name)) return { ok: false, reason: `\`${name}\` is not a valid ${kind} name` };
    return { ok: true, value: { kind, name } };
  }
  if (NAME.test(text)) return { ok: true, value: { kind: 'name', name: text } };
  if (/^[0-9a-fA-F:.]+(\/.*)?$/.test(text) && /[.:]/.test(text)) {
    const cidr = parseCidr(text);
    if (!cidr.ok) return cidr;
    return { ok: true, value: { kind: 'cidr', cidr: cidr.value } };
  }
  return {
    ok: false,
    reason: `\`${text}\` is not a peer: write any, a CIDR, a network or host name, or service:<name>`,
  };
}
