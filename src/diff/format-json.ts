import { formatAddress } from '../net/address.js';
import { cidrs, diffCounts, type DiffLabels } from './describe.js';
import type { AccessDiff, RuleRef, SideDecision } from './index.js';

interface JsonRule {
  id: string;
  service: string;
  file: string;
  line: number;
  column: number;
}

interface JsonDecision {
  verdict: 'accept' | 'drop' | 'reject';
  reason: 'rule' | 'blocklist' | 'icmp-baseline' | 'default-drop' | 'no-host';
  rule: JsonRule | null;
}

function rule(r: RuleRef): JsonRule {
  return { id: r.id, service: r.service, file: r.span.file, line: r.span.start.line, column: r.span.start.column };
}

function decision(side: SideDecision): JsonDecision {
  return { verdict: side.verdict, reason: side.reason, rule: side.rule ? rule(side.rule) : null };
}

/**
 * Machine output of `benteng diff --format json`, schema version 1 (keys are only ever added):
 *
 * ```
 * {
 *   "version": 1,
 *   "base": string,                  // the old tree: a directory, or "<ref> (<short commit>)"
 *   "policies": string,              // the new tree's policies directory
 *   "summary": { "changes": n, "hosts": n, "added": n, "removed": n, "sensitive": n },
 *   "baseline": [{ "setting": "established" | "loopback", "old": boolean, "new": boolean }],
 *   "hosts": [{                      // only hosts whose access changed, sorted by name
 *     "host": string,
 *     "status": "added" | "removed" | "changed",   // "removed" hosts have no chains
 *     "chains": [{
 *       "direction": "ingress" | "egress",
 *       "changes": [{
 *         "family": "ipv4" | "ipv6",
 *         "protocol": "tcp" | "udp" | "icmp" | "other",
 *         "values": [{ "from": n, "to": n }],       // ports (tcp/udp) or ICMP types; [{0,0}] for other
 *         "peers": [{ "start": string, "end": string }],   // addresses as text (bigints never as numbers)
 *         "cidrs": [string],                        // the same peers as the fewest CIDR blocks
 *         "old": Decision, "new": Decision
 *       }]
 *     }]
 *   }],
 *   "sensitive": [{ "host", "family", "protocol": "tcp" | "udp", "port": n, "name": string, "rules": [Rule] }]
 * }
 * Decision = { "verdict": "accept" | "drop" | "reject",
 *              "reason": "rule" | "blocklist" | "icmp-baseline" | "default-drop" | "no-host", "rule": Rule | null }
 * Rule     = { "id": string, "service": string, "file": string, "line": n, "column": n }
 * ```
 *
 * Line and column are 1-based and point at the rule's list item; on the old side of a git comparison
 * the file is the path the policy had at that revision.
 */
export function formatDiffJson(diff: AccessDiff, labels: DiffLabels): string {
  const output = {
    version: 1,
    base: labels.base,
    policies: labels.policies,
    summary: diffCounts(diff),
    baseline: diff.baseline,
    hosts: diff.hosts.map((h) => ({
      host: h.host,
      status: h.status,
      chains: h.chains.map((c) => ({
        direction: c.direction,
        changes: c.changes.map((change) => ({
          family: change.family,
          protocol: change.protocol,
          values: change.values.map((v) => ({ from: v.from, to: v.to })),
          peers: change.peers.map((p) => ({ start: formatAddress(change.family, p.start), end: formatAddress(change.family, p.end) })),
          cidrs: cidrs(change.family, change.peers),
          old: decision(change.old),
          new: decision(change.new),
        })),
      })),
    })),
    sensitive: diff.sensitive.map((s) => ({ host: s.host, family: s.family, protocol: s.protocol, port: s.port, name: s.name, rules: s.rules.map(rule) })),
  };
  return `${JSON.stringify(output, null, 2)}\n`;
}
