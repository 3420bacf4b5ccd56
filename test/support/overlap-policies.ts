/**
 * Random policies built to overlap heavily: nested and neighbouring peers, overlapping port ranges,
 * drops and rejects between accepts, several services on one host. Shared by the in-process access
 * model test and the kernel differential test.
 */
import fc from 'fast-check';
import type { PolicySpec, RuleSpec } from './emit-policies.js';

const PEERS = [
  'any',
  '198.51.100.0/24',
  '198.51.100.0/25',
  '198.51.100.0/26',
  '198.51.100.32/27',
  '198.51.100.48/28',
  '198.51.100.50',
  '198.51.100.64/26',
  '198.51.100.128/25',
  '203.0.113.0/24',
  '203.0.113.64/26',
  '203.0.113.100',
  '2001:db8::/32',
  '2001:db8:1::/48',
  '2001:db8:1:2::/64',
  '2001:db8:1:2::7',
  '2001:db8:2::/48',
];
const PORTS = ['tcp/22', 'tcp/80', 'tcp/443', 'tcp/1-1024', 'tcp/1024-65535', 'tcp/8000-8010', 'tcp/8005', 'tcp/8005-9000', 'udp/53', 'udp/1-100', 'udp/50-60', 'udp/1024-65535', 'tcp', 'udp', 'icmp/echo-request', 'icmpv6/echo-request', 'icmp', 'icmpv6'];

const rule = (side: 'from' | 'to'): fc.Arbitrary<RuleSpec> =>
  fc
    .record({
      peers: fc.uniqueArray(fc.constantFrom(...PEERS), { minLength: 1, maxLength: 3 }),
      ports: fc.option(fc.uniqueArray(fc.constantFrom(...PORTS), { minLength: 1, maxLength: 3 }), { freq: 5, nil: undefined }),
      action: fc.constantFrom('accept', 'accept', 'drop', 'reject'),
    })
    .map(({ peers, ports, action }) => ({ [side]: peers.includes('any') ? 'any' : peers, ...(ports ? { ports } : {}), action }));

/** One dual-stack host running up to six services of up to six ingress and four egress rules. */
export const overlappingPolicy: fc.Arbitrary<PolicySpec> = fc
  .tuple(
    fc.array(fc.record({ ingress: fc.array(rule('from'), { maxLength: 6 }), egress: fc.array(rule('to'), { maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
    fc.constantFrom('essential', 'none'),
  )
  .map(([services, icmp]) => ({
    hosts: { h1: { addresses: ['192.0.2.1', '2001:db8::1'], backend: 'nftables' } },
    defaults: { icmp },
    services: services.map((s, i) => ({ service: `svc-${i}`, hosts: ['h1'], ingress: s.ingress, egress: s.egress })),
  }));

/** Layer limits small enough that most of these policies need several layers. */
export const TINY_LAYERS = { perTerm: 1, floor: 2 };
