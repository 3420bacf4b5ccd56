import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainAccess } from '../../src/access/index.js';
import { analyzeChain } from '../../src/lint/anomaly/index.js';
import type { HostModel, PortRange, ProtocolMatch, Verdict } from '../../src/model/index.js';
import type { AddressRange } from '../../src/net/address.js';
import { normalizeRanges } from '../../src/net/address-set.js';

interface TestRule {
  peers: { ipv4: AddressRange[]; ipv6: AddressRange[] };
  protocols: ProtocolMatch[];
  action: Verdict;
}

type Family = 'ipv4' | 'ipv6';
interface Packet {
  family: Family;
  address: bigint;
  protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';
  port: number;
}

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;

/** Every class of packet the generated rules can tell apart: small values, one above, and the maximum. */
function universe(): Packet[] {
  const packets: Packet[] = [];
  for (const [family, addresses] of [
    ['ipv4', [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, V4_MAX]],
    ['ipv6', [0n, 1n, 2n, 3n, 4n, V6_MAX]],
  ] as const) {
    for (const address of addresses) {
      for (const protocol of ['tcp', 'udp'] as const) for (const port of [0, 1, 2, 3, 4, 5, 6, 7, 65535]) packets.push({ family, address, protocol, port });
      const icmp = family === 'ipv4' ? 'icmp' : 'icmpv6';
      for (const port of [0, 1, 2, 3, 4, 255]) packets.push({ family, address, protocol: icmp, port });
      packets.push({ family, address, protocol: 'other', port: 0 });
    }
  }
  return packets;
}

function matches(rule: TestRule, p: Packet): boolean {
  if (!rule.peers[p.family].some((r) => p.address >= r.start && p.address <= r.end)) return false;
  return rule.protocols.some((m) => {
    if (m.protocol === 'any') return true;
    if (m.protocol !== p.protocol) return false;
    if ('ports' in m) return m.ports.some((r) => p.port >= r.from && p.port <= r.to);
    return m.types === 'any' || m.types.includes(p.port);
  });
}

/** The definitions of src/lint/anomaly/index.ts, decided by enumerating packets. */
function oracle(rules: TestRule[]): { shadowed: number[]; redundant: number[]; correlated: string[] } {
  const packets = universe();
  const m = rules.map((r) => packets.map((p) => matches(r, p)));
  const shadowed: number[] = [];
  const redundant: number[] = [];
  const correlated: string[] = [];
  rules.forEach((rule, j) => {
    const mine = packets.map((_, k) => k).filter((k) => m[j]![k]);
    if (mine.length === 0) return;
    const firstEarlier = (k: number) => rules.findIndex((_, i) => i < j && m[i]![k]);
    const dead = mine.every((k) => firstEarlier(k) !== -1);
    if (dead) {
      if (mine.some((k) => rules[firstEarlier(k)]!.action !== rule.action)) shadowed.push(j);
      else redundant.push(j);
      return;
    }
    for (let i = 0; i < j; i++) {
      if (rules[i]!.action === rule.action) continue;
      const decidesSome = mine.some((k) => firstEarlier(k) === i);
      const iInJ = packets.every((_, k) => !m[i]![k] || m[j]![k]);
      if (decidesSome && !iInJ) correlated.push(`${i}<${j}`);
    }
    const decided = mine.filter((k) => firstEarlier(k) === -1);
    const laterSame = decided.every((k) => {
      const next = rules.findIndex((_, i) => i > j && m[i]![k]);
      return next !== -1 && rules[next]!.action === rule.action;
    });
    if (laterSame) redundant.push(j);
  });
  return { shadowed, redundant, correlated };
}

const range = (max: number) =>
  fc.tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max })).map(([a, b]) => ({ start: BigInt(Math.min(a, b)), end: BigInt(Math.max(a, b)) }));
const v4 = fc.oneof(fc.constant([{ start: 0n, end: V4_MAX }]), fc.array(range(7), { minLength: 0, maxLength: 2 }));
const v6 = fc.oneof(fc.constant([]), fc.constant([{ start: 0n, end: V6_MAX }]), fc.array(range(3), { maxLength: 1 }));
const ports = fc.oneof(
  fc.constant(null).map((): PortRange[] => [{ from: 1, to: 65535 }]),
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })).map(([a, b]) => [{ from: Math.min(a, b), to: Math.max(a, b) }]),
);
const types = fc.oneof(fc.constant('any' as const), fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }).map((t) => t.sort((a, b) => a - b)));
const protocols: fc.Arbitrary<ProtocolMatch[]> = fc.oneof(
  fc.constant(null).map((): ProtocolMatch[] => [{ protocol: 'any' }]),
  fc
    .record({ tcp: fc.option(ports), udp: fc.option(ports), icmp: fc.option(types), icmpv6: fc.option(types) })
    .map((r) => {
      const out: ProtocolMatch[] = [];
      if (r.tcp) out.push({ protocol: 'tcp', ports: r.tcp });
      if (r.udp) out.push({ protocol: 'udp', ports: r.udp });
      if (r.icmp) out.push({ protocol: 'icmp', types: r.icmp });
      if (r.icmpv6) out.push({ protocol: 'icmpv6', types: r.icmpv6 });
      return out.length > 0 ? out : [{ protocol: 'tcp' as const, ports: [{ from: 1, to: 3 }] }];
    }),
);
const rule: fc.Arbitrary<TestRule> = fc.record({
  peers: fc.record({ ipv4: v4.map(normalizeRanges), ipv6: v6.map(normalizeRanges) }),
  protocols,
  action: fc.constantFrom<Verdict>('accept', 'drop'),
});

describe('anomaly analysis against a brute-force oracle', () => {
  it('finds exactly the shadowed, redundant and correlated rules of random small chains', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 7 }), (rules) => {
        const result = analyzeChain(rules, { budget: 1_000_000 });
        expect(result.incomplete).toEqual([]);
        const of = (kind: string) => result.anomalies.filter((a) => a.kind === kind);
        const expected = oracle(rules);
        expect(of('shadowed').map((a) => a.rule).sort((a, b) => a - b)).toEqual(expected.shadowed);
        expect(of('redundant').map((a) => a.rule).sort((a, b) => a - b)).toEqual(expected.redundant);
        expect(of('correlated').flatMap((a) => a.others.map((i) => `${i}<${a.rule}`)).sort()).toEqual(expected.correlated.sort());
      }),
      { numRuns: 400 },
    );
  });

  it('finds the same anomalies from the access model\'s shared terms as from its own', () => {
    const baseline = { established: true, loopback: true, icmp: 'essential' as const, logDrops: { enabled: false, ratePerMinute: 0 } };
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 25 }), (rules) => {
        // The lint stage passes each chain's access (its rules are the chain's own rule objects).
        const host = { name: 'h', input: rules, output: [] } as unknown as HostModel;
        const shared = analyzeChain(rules, { access: chainAccess(host, 'ingress', baseline) });
        expect(shared).toEqual(analyzeChain(rules));
      }),
      { numRuns: 200 },
    );
  });

  it('answers the same rule repeated in thousands of services once, without running out of budget', () => {
    const specific: TestRule[] = Array.from({ length: 5000 }, (_, i) => ({
      peers: { ipv4: [{ start: BigInt(2 * i), end: BigInt(2 * i) }], ipv6: [] },
      protocols: [{ protocol: 'tcp', ports: [{ from: i + 1, to: i + 1 }] }],
      action: 'accept',
    }));
    const wide: TestRule = { peers: { ipv4: [{ start: 0n, end: 20_000n }], ipv6: [] }, protocols: [{ protocol: 'tcp', ports: [{ from: 1, to: 65535 }] }], action: 'drop' };
    const rules = [...specific, ...Array.from({ length: 3000 }, () => wide)];
    const result = analyzeChain(rules);
    expect(result.incomplete).toEqual([]);
    const shadowed = result.anomalies.filter((a) => a.kind === 'shadowed');
    expect(shadowed.map((a) => a.rule)).toEqual(Array.from({ length: 2999 }, (_, k) => 5001 + k));
    expect(shadowed[0]!.others).toEqual(Array.from({ length: 16 }, (_, k) => k));
    // The first copy decides what the exceptions leave; they lie inside it, so it is not correlated,
    // and the second copy would decide the same: redundant by a later rule.
    expect(result.anomalies.filter((a) => a.rule === 5000)).toEqual([{ kind: 'redundant', rule: 5000, others: [5001], by: 'later' }]);
  });

  it('agrees with the oracle on longer chains', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 10, maxLength: 30 }), (rules) => {
        const result = analyzeChain(rules);
        const of = (kind: string) => result.anomalies.filter((a) => a.kind === kind);
        const expected = oracle(rules);
        expect(of('shadowed').map((a) => a.rule).sort((a, b) => a - b)).toEqual(expected.shadowed);
        expect(of('redundant').map((a) => a.rule).sort((a, b) => a - b)).toEqual(expected.redundant);
        expect(of('correlated').map((a) => a.rule).sort((a, b) => a - b)).toEqual([...new Set(expected.correlated.map((c) => Number(c.split('<')[1])))].sort((a, b) => a - b));
      }),
      { numRuns: 60 },
    );
  });

  it('reports a rule it cannot decide within the budget as incomplete instead of hanging', () => {
    const many: TestRule[] = Array.from({ length: 300 }, (_, i) => ({
      peers: { ipv4: [{ start: BigInt(i * 2), end: BigInt(i * 2) }], ipv6: [] },
      protocols: [{ protocol: 'tcp', ports: [{ from: i + 1, to: i + 1 }] }],
      action: 'accept',
    }));
    many.push({ peers: { ipv4: [{ start: 0n, end: 1000n }], ipv6: [] }, protocols: [{ protocol: 'tcp', ports: [{ from: 1, to: 400 }] }], action: 'drop' });
    // Every rule of the over-budget partition (tcp, IPv4) is left unanalysed; nothing else is reported.
    const result = analyzeChain(many, { budget: 200 });
    expect(result.incomplete).toEqual(many.map((_, i) => i));
    expect(result.anomalies).toEqual([]);
    expect(analyzeChain(many).incomplete).toEqual([]);
  });
});
