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

/**
 * Parses are remembered (the same peer text is read by the schema's format check, the resolver and
 * lint rules, and large fleets repeat the same CIDRs); results are frozen, so sharing them is safe.
 */
const memo = new Map<string, PeerParse>();
const MEMO_LIMIT = 100_000;

export function parsePeer(text: string): PeerParse {
  let parsed = memo.get(text);
  if (parsed === undefined) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    parsed = deepFreeze(parseUncached(text));
    memo.set(text, parsed);
  }
  return parsed;
}

function deepFreeze(parse: PeerParse): PeerParse {
  if (parse.ok && parse.value.kind === 'cidr') Object.freeze(parse.value.cidr);
  if (parse.ok) Object.freeze(parse.value);
  return Object.freeze(parse);
}

function parseUncached(text: string): PeerParse {
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
