/**
 * The access model decides as the reference evaluator does, packet by packet, on random heavily
 * overlapping policies: with the default layer limits and with tiny ones that force many layers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCESS_CLASSES, classOf, decide, hostAccess } from '../../src/access/index.js';
import { evaluate } from '../../src/evaluate/index.js';
import { parseAddress } from '../../src/net/address.js';
import { withResolvedHost } from '../support/emit-policies.js';
import { planProbes } from '../support/kernel-check.js';
import { overlappingPolicy, TINY_LAYERS } from '../support/overlap-policies.js';

describe('access model = evaluator', () => {
  it('on random overlapping policies, default and forced layers', async () => {
    let layered = 0;
    await fc.assert(
      fc.asyncProperty(overlappingPolicy, fc.integer({ min: 1, max: 1_000_000 }), (spec, seed) =>
        withResolvedHost(spec, (host, model) => {
          const plan = planProbes(host, model.baseline, { seed, perDirection: 300, echoPerDirection: 20 });
          // Unbuilt classes answer from their terms; built ones from their layers: both must agree.
          const built = (a: ReturnType<typeof hostAccess>) => {
            for (const chain of [a.ingress, a.egress]) for (const f of ['ipv4', 'ipv6'] as const) for (const c of ACCESS_CLASSES) void chain.families[f].classes[c].layers;
            return a;
          };
          for (const access of [hostAccess(host, model.baseline), built(hostAccess(host, model.baseline)), built(hostAccess(host, model.baseline, TINY_LAYERS))]) {
            const mismatches = plan.probes.flatMap((p) => {
              const chain = p.direction === 'ingress' ? access.ingress : access.egress;
              const peerText = p.direction === 'ingress' ? p.source : p.destination;
              const peer = parseAddress(peerText);
              if (!peer.ok) throw new Error(peerText);
              const value = 'port' in p ? p.port : p.icmpType;
              const got = decide(chain, peer.value.family, classOf(p.protocol, peer.value.family), peer.value.value, value);
              const want = evaluate(host, model.baseline, { direction: p.direction, family: peer.value.family, source: p.source, destination: p.destination, protocol: p.protocol, ...('port' in p ? { port: p.port } : { icmpType: p.icmpType }), state: 'new' });
              const same = got.verdict === want.verdict && (got.reason === 'rule' ? got.rule.id : got.reason) === (want.rule ? want.rule.id : want.reason);
              return same ? [] : [{ probe: p, got: got.reason === 'rule' ? got.rule.id : got.reason, want: want.rule?.id ?? want.reason }];
            });
            expect(mismatches).toEqual([]);
          }
          const forced = hostAccess(host, model.baseline, TINY_LAYERS);
          if (forced.ingress.families.ipv4.classes.tcp.layers.length > 1) layered++;
        }),
      ),
      { numRuns: 80, seed: 9090 },
    );
    // The forced limits must really produce several layers in a good share of the cases.
    expect(layered).toBeGreaterThan(10);
  }, 120_000);
});
