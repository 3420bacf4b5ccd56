import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AccessClass, classOf, decide, type FleetAccess } from '../../src/access/index.js';
import { ESSENTIAL_ICMP_TYPES, evaluate, type Packet, type PacketProtocol } from '../../src/evaluate/index.js';
import type { Direction, FleetModel, HostModel } from '../../src/model/index.js';
import { type Family, FAMILY_BITS, formatAddress } from '../../src/net/address.js';
import { checkPolicies } from '../../src/pipeline.js';
import { REPO_ROOT } from '../support/policy-dir.js';

/**
 * `benteng query` answers with `decide` on the access model; the reference evaluator walks the rules.
 * For new packets off loopback they must agree on every example host, direction, family and protocol:
 * the same verdict, the same reason and the same deciding rule.
 */
let model: FleetModel;
let access: FleetAccess;

beforeAll(async () => {
  const result = await checkPolicies(join(REPO_ROOT, 'policies'), { lint: false, today: '2026-11-23' });
  model = result.model!;
  access = result.access!;
});

const PROTOCOLS: readonly PacketProtocol[] = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'];
const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];
const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** What decides the point per the access model, in the evaluator's terms. */
function viaDecide(host: HostModel, direction: Direction, family: Family, protocol: PacketProtocol, peer: bigint, value: number) {
  const cls: AccessClass = classOf(protocol, family);
  const decision = decide(access.chain(host, direction), family, cls, peer, cls === 'other' ? 0 : value);
  return { verdict: decision.verdict, reason: decision.reason, rule: decision.reason === 'rule' ? decision.rule.id : undefined };
}

function viaEvaluate(host: HostModel, direction: Direction, family: Family, protocol: PacketProtocol, peer: bigint, value: number) {
  const own = formatAddress(family, host.addresses[family][0]?.start ?? 1n);
  const other = formatAddress(family, peer);
  const packet: Packet = {
    direction,
    family,
    source: direction === 'ingress' ? other : own,
    destination: direction === 'ingress' ? own : other,
    protocol,
    state: 'new',
    loopback: false,
  };
  if (protocol === 'tcp' || protocol === 'udp') packet.port = value;
  if (protocol === 'icmp' || protocol === 'icmpv6') packet.icmpType = value;
  const evaluation = evaluate(host, model.baseline, packet);
  return { verdict: evaluation.verdict, reason: evaluation.reason, rule: evaluation.rule?.id };
}

/** Every edge of every rule's peer ranges in the family (and one past it), so each region is probed. */
function peerEdges(family: Family): bigint[] {
  const max = (1n << BigInt(FAMILY_BITS[family])) - 1n;
  const edges = new Set<bigint>([0n, max]);
  for (const host of model.hosts) {
    for (const rule of [...host.input, ...host.output]) {
      for (const range of rule.peers[family]) {
        for (const e of [range.start - 1n, range.start, range.end, range.end + 1n]) if (e >= 0n && e <= max) edges.add(e);
      }
    }
    for (const range of host.addresses[family]) edges.add(range.start);
    for (const entry of host.blocklist) {
      for (const range of entry.addresses[family]) {
        for (const e of [range.start - 1n, range.start, range.end, range.end + 1n]) if (e >= 0n && e <= max) edges.add(e);
      }
    }
  }
  return [...edges].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every edge of every rule's ports or ICMP types and of the baseline's ICMP types, plus the ends of the range. */
function valueEdges(protocol: PacketProtocol): number[] {
  if (protocol === 'other') return [0];
  const icmp = protocol === 'icmp' || protocol === 'icmpv6';
  const [min, max] = icmp ? [0, 255] : [1, 65535];
  const ranges: Array<{ from: number; to: number }> = icmp ? [...ESSENTIAL_ICMP_TYPES[protocol]].map((t) => ({ from: t, to: t })) : [];
  for (const host of model.hosts) {
    for (const rule of [...host.input, ...host.output]) {
      for (const match of rule.protocols) {
        if (match.protocol !== protocol) continue;
        if (match.protocol === 'tcp' || match.protocol === 'udp') ranges.push(...match.ports);
        else if (match.protocol === 'icmp' || match.protocol === 'icmpv6') ranges.push(...(match.types === 'any' ? [] : match.types.map((t) => ({ from: t, to: t }))));
      }
    }
  }
  const edges = new Set<number>([min, max]);
  for (const r of ranges) for (const e of [r.from - 1, r.from, r.to, r.to + 1]) if (e >= min && e <= max) edges.add(e);
  return [...edges].sort((a, b) => a - b);
}

describe('decide() agrees with evaluate() on the example fleet (new packets, not on loopback)', () => {
  it('on every rule edge: every host, direction, family, protocol, peer edge and port or ICMP type edge', () => {
    let points = 0;
    for (const family of FAMILIES) {
      const peers = peerEdges(family);
      for (const protocol of PROTOCOLS) {
        const values = valueEdges(protocol);
        for (const host of model.hosts) {
          for (const direction of DIRECTIONS) {
            for (const peer of peers) {
              for (const value of values) {
                const expected = viaEvaluate(host, direction, family, protocol, peer, value);
                const actual = viaDecide(host, direction, family, protocol, peer, value);
                if (actual.verdict !== expected.verdict || actual.reason !== expected.reason || actual.rule !== expected.rule) {
                  expect({ host: host.name, direction, family, protocol, peer: formatAddress(family, peer), value, ...actual }).toEqual({
                    host: host.name,
                    direction,
                    family,
                    protocol,
                    peer: formatAddress(family, peer),
                    value,
                    ...expected,
                  });
                }
                points++;
              }
            }
          }
        }
      }
    }
    expect(points).toBeGreaterThan(10_000);
  });

  it('on random packets', () => {
    const packet = fc.record({
      host: fc.integer({ min: 0, max: 1_000 }),
      direction: fc.constantFrom(...DIRECTIONS),
      family: fc.constantFrom(...FAMILIES),
      protocol: fc.constantFrom(...PROTOCOLS),
      v4: fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
      v6: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      port: fc.integer({ min: 1, max: 65535 }),
      icmpType: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(packet, (p) => {
        const host = model.hosts[p.host % model.hosts.length]!;
        const peer = p.family === 'ipv4' ? p.v4 : p.v6;
        const value = p.protocol === 'icmp' || p.protocol === 'icmpv6' ? p.icmpType : p.protocol === 'other' ? 0 : p.port;
        expect(viaDecide(host, p.direction, p.family, p.protocol, peer, value)).toEqual(viaEvaluate(host, p.direction, p.family, p.protocol, peer, value));
      }),
      { numRuns: 2_000 },
    );
  });
});
