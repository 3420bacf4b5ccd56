/**
 * The query stage: may a new connection go from one endpoint to another, and which rule says so.
 *
 * Answered from the access model (src/access) alone, with `decide`, so it is what the emitted rulesets
 * decide (the evaluator agrees: test/query/decide-evaluate.test.ts). Every source host or address is
 * paired with every destination host or address (a `service:` endpoint stands for each host it runs
 * on); each pair is checked in each family both ends have. A host endpoint uses its first (lowest)
 * address of the family; an address that belongs to a fleet host counts as that host. On each check
 * the sender's egress chain decides when the sender is a fleet host, and the receiver's ingress chain
 * when the receiver is one, each with the other end's address as the peer. A host talking to itself
 * goes over the loopback interface, which the baseline accepts when `loopback` is on.
 *
 * A pair is open when every family check is open (both chains accept); the question is open when every
 * pair is. Unknown names and questions the fleet cannot answer are error diagnostics (no span).
 * Cost: one `decide` per chain and check, after the chains of the hosts involved are built once.
 */
import { type AccessClass, classOf, decide, type FleetAccess } from '../access/index.js';
import { diagnostic, type Diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import type { Direction, FleetModel, HostModel, Verdict } from '../model/index.js';
import { containsAddress, FAMILIES } from '../net/address-set.js';
import { type Family, formatAddress } from '../net/address.js';
import { endpointText, type Question, type QueryEndpoint, type QueryProtocol } from './parse.js';

export { endpointText, parseEndpoint, parseQueryProtocol, parseQuestion, protocolText } from './parse.js';
export type { Parsed, Question, QueryEndpoint, QueryProtocol } from './parse.js';

/** What a query reads: the resolved model and its access (as `checkPolicies` returns them). */
export interface QueryFleet {
  model: FleetModel;
  access: FleetAccess;
}

/** One concrete end of a pair: a fleet host (with all its addresses) or an outside address. */
export type Party = { kind: 'host'; host: HostModel } | { kind: 'address'; family: Family; value: bigint };

/** Why a chain decided as it did. */
export type Decider =
  | { kind: 'rule'; id: string; service: string; description?: string; action: Verdict; span: Span }
  | { kind: 'blocklist'; id: string; addresses: string[]; reason: string; span: Span }
  | { kind: 'icmp-baseline' }
  | { kind: 'loopback' }
  | { kind: 'default-drop' };

/** The verdict of one host's chain on the check's packet. */
export interface ChainVerdict {
  host: string;
  direction: Direction;
  verdict: Verdict;
  decider: Decider;
  /** Replies (established and related packets) are accepted by this chain's baseline. */
  repliesAccepted: boolean;
}

/** One family of a pair: the addresses used and the chains' verdicts. */
export interface FamilyCheck {
  family: Family;
  fromAddress: string;
  toAddress: string;
  /** The sender's egress verdict; absent when the sender is not a fleet host. */
  egress?: ChainVerdict;
  /** The receiver's ingress verdict; absent when the receiver is not a fleet host. */
  ingress?: ChainVerdict;
  open: boolean;
}

export interface PathAnswer {
  from: Party;
  to: Party;
  /** One per family both ends have (and the protocol exists in); empty when they share none. */
  checks: FamilyCheck[];
  open: boolean;
}

export interface QueryAnswer {
  question: Question;
  paths: PathAnswer[];
  open: boolean;
}

export interface QueryResult {
  value?: QueryAnswer;
  diagnostics: Diagnostic[];
}

/** The families a protocol exists in: ICMP is IPv4's, ICMPv6 is IPv6's. */
function protocolFamilies(protocol: QueryProtocol): readonly Family[] {
  switch (protocol.protocol) {
    case 'icmp':
      return ['ipv4'];
    case 'icmpv6':
      return ['ipv6'];
    case 'tcp':
    case 'udp':
      return FAMILIES;
  }
}

function hostOfAddress(model: FleetModel, family: Family, value: bigint): HostModel | undefined {
  return model.hosts.find((h) => containsAddress(h.addresses, family, value));
}

/** "Did you mean" by edit distance, else the names that contain the word (`portal` → `city-portal`). */
function suggest(word: string, names: Iterable<string>): string {
  const close = didYouMean(word, names);
  if (close !== '') return close;
  const containing = [...names].filter((n) => n.includes(word)).sort();
  if (containing.length === 0 || containing.length > 5) return '';
  return `, did you mean ${containing.map((n) => `\`${n}\``).join(' or ')}?`;
}

/** The parties an endpoint stands for, or a diagnostic when its name is unknown. */
function partiesOf(model: FleetModel, endpoint: QueryEndpoint, side: 'from' | 'to'): { parties: Party[]; diagnostics: Diagnostic[] } {
  switch (endpoint.kind) {
    case 'address': {
      const host = hostOfAddress(model, endpoint.family, endpoint.value);
      return { parties: [host ? { kind: 'host', host } : { kind: 'address', family: endpoint.family, value: endpoint.value }], diagnostics: [] };
    }
    case 'host': {
      const host = model.hosts.find((h) => h.name === endpoint.name);
      if (host) return { parties: [{ kind: 'host', host }], diagnostics: [] };
      const names = model.hosts.map((h) => h.name);
      return { parties: [], diagnostics: [diagnostic('query-unknown-host', 'error', `<${side}>: no host \`${endpoint.name}\` in the fleet${suggest(endpoint.name, names)}`)] };
    }
    case 'service': {
      const hosts = model.hosts.filter((h) => h.services.includes(endpoint.name));
      if (hosts.length > 0) return { parties: hosts.map((host) => ({ kind: 'host', host })), diagnostics: [] };
      const names = new Set(model.hosts.flatMap((h) => h.services));
      return {
        parties: [],
        diagnostics: [diagnostic('query-unknown-service', 'error', `<${side}>: no service \`${endpoint.name}\` runs on any host${suggest(endpoint.name, names)}`)],
      };
    }
    default: {
      const never: never = endpoint;
      throw new Error(`unexpected endpoint ${JSON.stringify(never)}`);
    }
  }
}

/** The address a party uses in a family: an outside address as given, a host's lowest of the family. */
function addressIn(party: Party, family: Family, endpoint: QueryEndpoint): bigint | undefined {
  if (endpoint.kind === 'address') return endpoint.family === family ? endpoint.value : undefined;
  if (party.kind === 'address') return party.family === family ? party.value : undefined;
  return party.host.addresses[family][0]?.start;
}

function chainVerdict(fleet: QueryFleet, host: HostModel, direction: Direction, family: Family, cls: AccessClass, peer: bigint, value: number): ChainVerdict {
  const chain = fleet.access.chain(host, direction);
  const decision = decide(chain, family, cls, peer, value);
  const repliesAccepted = chain.families[family].baseline.established;
  const base = { host: host.name, direction, verdict: decision.verdict, repliesAccepted };
  switch (decision.reason) {
    case 'rule': {
      const { rule } = decision;
      const decider: Decider = { kind: 'rule', id: rule.id, service: rule.service, action: rule.action, span: rule.span };
      if (rule.description !== undefined) decider.description = rule.description;
      return { ...base, decider };
    }
    case 'blocklist': {
      const { entry } = decision;
      return { ...base, decider: { kind: 'blocklist', id: entry.id, addresses: entry.addressText, reason: entry.reason, span: entry.span } };
    }
    case 'icmp-baseline':
      return { ...base, decider: { kind: 'icmp-baseline' } };
    case 'default-drop':
      return { ...base, decider: { kind: 'default-drop' } };
    default: {
      const never: never = decision;
      throw new Error(`unexpected decision ${JSON.stringify(never)}`);
    }
  }
}

function loopbackVerdict(fleet: QueryFleet, host: HostModel, direction: Direction, family: Family): ChainVerdict {
  const baseline = fleet.access.chain(host, direction).families[family].baseline;
  return { host: host.name, direction, verdict: 'accept', decider: { kind: 'loopback' }, repliesAccepted: baseline.established };
}

function check(fleet: QueryFleet, question: Question, from: Party, to: Party, family: Family): FamilyCheck | undefined {
  const source = addressIn(from, family, question.from);
  const destination = addressIn(to, family, question.to);
  if (source === undefined || destination === undefined) return undefined;
  const { protocol } = question;
  const cls = classOf(protocol.protocol, family);
  const value = protocol.kind === 'transport' ? protocol.port : protocol.type;
  const out: FamilyCheck = { family, fromAddress: formatAddress(family, source), toAddress: formatAddress(family, destination), open: true };
  const loopback = from.kind === 'host' && to.kind === 'host' && from.host === to.host && fleet.model.baseline.loopback;
  if (from.kind === 'host') {
    out.egress = loopback ? loopbackVerdict(fleet, from.host, 'egress', family) : chainVerdict(fleet, from.host, 'egress', family, cls, destination, value);
  }
  if (to.kind === 'host') {
    out.ingress = loopback ? loopbackVerdict(fleet, to.host, 'ingress', family) : chainVerdict(fleet, to.host, 'ingress', family, cls, source, value);
  }
  out.open = [out.egress, out.ingress].every((v) => v === undefined || v.verdict === 'accept');
  return out;
}

/**
 * Answers one question on a resolved fleet. Returns the answer, or error diagnostics when a name is
 * unknown, neither end is a fleet host, or the ends share no family the protocol exists in.
 */
export function queryAccess(fleet: QueryFleet, question: Question): QueryResult {
  const from = partiesOf(fleet.model, question.from, 'from');
  const to = partiesOf(fleet.model, question.to, 'to');
  const diagnostics = [...from.diagnostics, ...to.diagnostics];
  if (diagnostics.length > 0) return { diagnostics };

  const paths: PathAnswer[] = [];
  for (const source of from.parties) {
    for (const destination of to.parties) {
      if (source.kind === 'address' && destination.kind === 'address') {
        const message = `neither ${endpointText(question.from)} nor ${endpointText(question.to)} is an address of a fleet host, so no benteng chain decides this traffic`;
        return { diagnostics: [diagnostic('query-outside-fleet', 'error', message)] };
      }
      const checks = protocolFamilies(question.protocol).flatMap((family) => check(fleet, question, source, destination, family) ?? []);
      paths.push({ from: source, to: destination, checks, open: checks.length > 0 && checks.every((c) => c.open) });
    }
  }
  if (paths.every((p) => p.checks.length === 0)) {
    const ends = `${endpointText(question.from)} and ${endpointText(question.to)}`;
    const message =
      question.protocol.kind === 'icmp'
        ? `${question.protocol.protocol} is ${question.protocol.protocol === 'icmp' ? 'IPv4' : 'IPv6'} only, and ${ends} do not both have an ${question.protocol.protocol === 'icmp' ? 'IPv4' : 'IPv6'} address${question.protocol.protocol === 'icmp' ? ' (use icmpv6/<type> for IPv6)' : ' (use icmp/<type> for IPv4)'}`
        : `${ends} have no address family in common (one end is IPv4 only, the other IPv6 only)`;
    return { diagnostics: [diagnostic('query-no-common-family', 'error', message)] };
  }
  return { value: { question, paths, open: paths.every((p) => p.open) }, diagnostics: [] };
}
