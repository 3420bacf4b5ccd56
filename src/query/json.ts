import { relative, resolve } from 'node:path';
import type { Direction, Verdict } from '../model/index.js';
import type { Family } from '../net/address.js';
import { formatAddress } from '../net/address.js';
import type { ChainVerdict, Party, QueryAnswer } from './index.js';
import { endpointText } from './parse.js';

/**
 * The stable JSON schema of `benteng query --format json` (version 1). Fields are only ever added;
 * every field is always present (`null` when it does not apply). Addresses are strings, IPv6 in
 * RFC 5952 form; `file` is relative to the directory the command ran in.
 *
 * ```
 * {
 *   "version": 1,
 *   "question": { "from": "203.0.113.7", "to": "host:db-01", "protocol": "tcp",
 *                 "port": 5432, "icmpType": null, "icmpTypeName": null },
 *   "open": false,                          // every path open
 *   "summary": { "paths": 1, "open": 0, "closed": 1 },
 *   "paths": [{
 *     "from": { "host": null, "address": "203.0.113.7" },   // host: fleet host name, else address
 *     "to":   { "host": "db-01", "address": null },
 *     "open": false,                        // every check open (false when there is no check)
 *     "checks": [{                          // one per family both ends have
 *       "family": "ipv4", "from": "203.0.113.7", "to": "192.0.2.20", "open": false,
 *       "egress": null,                     // the sender's egress chain, null when not a fleet host
 *       "ingress": {                        // the receiver's ingress chain, null when not a fleet host
 *         "host": "db-01", "direction": "ingress", "verdict": "drop",
 *         "decidedBy": "default-drop",      // rule | blocklist | icmp-baseline | loopback | default-drop
 *         "rule": null,                     // when decidedBy is rule: { id, service, description,
 *                                           //   action, file, line, column }
 *         "blocklist": null,                // when decidedBy is blocklist: { id, addresses, reason,
 *                                           //   file, line, column } (the blocklist.yaml entry)
 *         "repliesAccepted": true           // established/related packets accepted by the baseline
 *       }
 *     }]
 *   }]
 * }
 * ```
 */
export interface QueryJson {
  version: 1;
  question: {
    from: string;
    to: string;
    protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
    port: number | null;
    icmpType: number | null;
    icmpTypeName: string | null;
  };
  open: boolean;
  summary: { paths: number; open: number; closed: number };
  paths: QueryPathJson[];
}

export interface QueryPartyJson {
  host: string | null;
  address: string | null;
}

export interface QueryPathJson {
  from: QueryPartyJson;
  to: QueryPartyJson;
  open: boolean;
  checks: QueryCheckJson[];
}

export interface QueryCheckJson {
  family: Family;
  from: string;
  to: string;
  open: boolean;
  egress: QueryChainJson | null;
  ingress: QueryChainJson | null;
}

export interface QueryChainJson {
  host: string;
  direction: Direction;
  verdict: Verdict;
  decidedBy: 'rule' | 'blocklist' | 'icmp-baseline' | 'loopback' | 'default-drop';
  rule: QueryRuleJson | null;
  /** When `decidedBy` is `blocklist`: the `blocklist.yaml` entry. */
  blocklist: QueryBlockJson | null;
  repliesAccepted: boolean;
}

export interface QueryBlockJson {
  id: string;
  addresses: string[];
  reason: string;
  file: string;
  line: number;
  column: number;
}

export interface QueryRuleJson {
  id: string;
  service: string;
  description: string | null;
  action: Verdict;
  file: string;
  line: number;
  column: number;
}

function partyJson(party: Party): QueryPartyJson {
  return party.kind === 'host' ? { host: party.host.name, address: null } : { host: null, address: formatAddress(party.family, party.value) };
}

function chainJson(chain: ChainVerdict | undefined, cwd: string): QueryChainJson | null {
  if (!chain) return null;
  const { decider } = chain;
  const rule: QueryRuleJson | null =
    decider.kind === 'rule'
      ? {
          id: decider.id,
          service: decider.service,
          description: decider.description ?? null,
          action: decider.action,
          file: relative(cwd, resolve(cwd, decider.span.file)),
          line: decider.span.start.line,
          column: decider.span.start.column,
        }
      : null;
  const blocklist: QueryBlockJson | null =
    decider.kind === 'blocklist'
      ? {
          id: decider.id,
          addresses: decider.addresses,
          reason: decider.reason,
          file: relative(cwd, resolve(cwd, decider.span.file)),
          line: decider.span.start.line,
          column: decider.span.start.column,
        }
      : null;
  return { host: chain.host, direction: chain.direction, verdict: chain.verdict, decidedBy: decider.kind, rule, blocklist, repliesAccepted: chain.repliesAccepted };
}

/** The answer in the version-1 JSON schema; `cwd` is what rule files are made relative to. */
export function queryJson(answer: QueryAnswer, cwd: string): QueryJson {
  const { protocol } = answer.question;
  const paths = answer.paths.map(
    (p): QueryPathJson => ({
      from: partyJson(p.from),
      to: partyJson(p.to),
      open: p.open,
      checks: p.checks.map((c) => ({
        family: c.family,
        from: c.fromAddress,
        to: c.toAddress,
        open: c.open,
        egress: chainJson(c.egress, cwd),
        ingress: chainJson(c.ingress, cwd),
      })),
    }),
  );
  const open = paths.filter((p) => p.open).length;
  return {
    version: 1,
    question: {
      from: endpointText(answer.question.from),
      to: endpointText(answer.question.to),
      protocol: protocol.protocol,
      port: protocol.kind === 'transport' ? protocol.port : null,
      icmpType: protocol.kind === 'icmp' ? protocol.type : null,
      icmpTypeName: protocol.kind === 'icmp' ? (protocol.typeName ?? null) : null,
    },
    open: answer.open,
    summary: { paths: paths.length, open, closed: paths.length - open },
    paths,
  };
}
