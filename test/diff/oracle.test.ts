/**
 * The diff against a point-by-point oracle: on an edited copy of the example fleet, at every boundary
 * point (each rule's peer range ends and their neighbours × each rule's port or type bounds and their
 * neighbours), a point lies in a change exactly when `decide` gives different verdicts on the two sides,
 * and then the change names both sides' decisions (verdict, reason and rule).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AccessClass, ACCESS_CLASSES, type ChainAccess, type Decision, decide, VALUE_MAX } from '../../src/access/index.js';
import { type AccessChange, diffAccess, type SideDecision } from '../../src/diff/index.js';
import { fullRange } from '../../src/net/address-set.js';
import type { Family } from '../../src/net/address.js';
import { checkPolicies } from '../../src/pipeline.js';
import { append, edit, type FleetCopies, fleetCopies } from './fleet.js';

let fleet: FleetCopies;
afterEach(() => fleet.dispose());
beforeEach(() => {
  fleet = fleetCopies();
});

function points(chains: ChainAccess[], family: Family, cls: AccessClass): { peers: bigint[]; values: number[] } {
  const full = fullRange(family);
  const peers = new Set<bigint>([full.start, full.end]);
  const values = new Set<number>([0, VALUE_MAX[cls]]);
  const addValue = (v: number) => {
    if (v >= 0 && v <= VALUE_MAX[cls]) values.add(v);
  };
  for (const chain of chains) {
    for (const layer of chain.families[family].classes[cls].layers) {
      for (const r of layer) {
        for (const p of [r.start - 1n, r.start, r.end, r.end + 1n]) if (p >= full.start && p <= full.end) peers.add(p);
        for (const v of [r.from - 1, r.from, r.to, r.to + 1]) addValue(v);
      }
    }
    if (cls === 'icmp') for (const t of chain.families[family].baseline.icmpTypes) [t - 1, t, t + 1].forEach(addValue);
  }
  return { peers: [...peers], values: [...values] };
}

function same(side: SideDecision, decision: Decision): boolean {
  return side.verdict === decision.verdict && side.reason === decision.reason && side.rule?.id === (decision.reason === 'rule' ? decision.rule.id : undefined);
}

describe('diffAccess = point-by-point comparison of decide()', () => {
  it('on several edits at once', async () => {
    const base = fleet.copy('base');
    const work = fleet.copy('work');
    edit(work, 'services/monitoring.yaml', '    from: admin', '    from: csirt-vpn');
    edit(work, 'services/mail-relay.yaml', '    action: drop', '    action: reject');
    edit(work, 'services/city-portal.yaml', '    ports: [web]', '    ports: [http, tcp/8000-8443]');
    edit(work, 'defaults.yaml', '  icmp: essential', '  icmp: none');
    append(work, 'services/permit-db.yaml', '  - from: [staff, 192.0.2.0/24]\n    ports: [tcp/5000-6000, udp/53]\n');
    append(work, 'services/dns-resolvers.yaml', '  - to: 203.0.113.0/24\n    action: drop\n');
    const [before, after] = await Promise.all([checkPolicies(base, { lint: false }), checkPolicies(work, { lint: false })]);
    expect(after.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const diff = diffAccess(before, after);
    let checked = 0;
    let changed = 0;
    for (const newHost of after.model!.hosts) {
      const oldHost = before.model!.hosts.find((h) => h.name === newHost.name)!;
      for (const direction of ['ingress', 'egress'] as const) {
        const oldChain = before.access!.chain(oldHost, direction);
        const newChain = after.access!.chain(newHost, direction);
        const changes = diff.hosts.find((h) => h.host === newHost.name)?.chains.find((c) => c.direction === direction)?.changes ?? [];
        for (const family of ['ipv4', 'ipv6'] as const) {
          for (const cls of ACCESS_CLASSES) {
            const { peers, values } = points([oldChain, newChain], family, cls);
            const here = changes.filter((c) => c.family === family && c.protocol === cls);
            for (const value of values) {
              for (const peer of peers) {
                const was = decide(oldChain, family, cls, peer, value);
                const now = decide(newChain, family, cls, peer, value);
                const covering = here.filter((c: AccessChange) => c.values.some((v) => v.from <= value && value <= v.to) && c.peers.some((p) => p.start <= peer && peer <= p.end));
                checked++;
                if (was.verdict === now.verdict) {
                  expect(covering, `${newHost.name} ${direction} ${family} ${cls} ${value} ${peer}`).toEqual([]);
                  continue;
                }
                changed++;
                expect(covering).toHaveLength(1);
                expect(same(covering[0]!.old, was) && same(covering[0]!.new, now), `${newHost.name} ${direction} ${family} ${cls} ${value} ${peer}`).toBe(true);
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    expect(changed).toBeGreaterThan(100);
  });
});
