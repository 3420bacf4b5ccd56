import { beforeAll, describe, expect, it } from 'vitest';
import { baselineIcmpTypes, evaluate, type Packet } from '../../src/evaluate/index.js';
import type { FleetModel, HostModel } from '../../src/model/index.js';
import { anySet } from '../../src/net/address-set.js';
import { checkPolicies } from '../../src/pipeline.js';

let model: FleetModel;
let mail: HostModel;
beforeAll(async () => {
  model = (await checkPolicies('policies')).model!;
  mail = model.hosts.find((h) => h.name === 'mail-01')!;
});

const ingress = (source: string, protocol: Packet['protocol'], port?: number, extra: Partial<Packet> = {}): Packet => ({
  direction: 'ingress',
  family: source.includes(':') ? 'ipv6' : 'ipv4',
  source,
  destination: source.includes(':') ? '2001:db8:203::25' : '203.0.113.25',
  protocol,
  ...(port !== undefined ? { port } : {}),
  state: 'new',
  ...extra,
});

describe('evaluate', () => {
  it.each([
    ['admin SSH', ingress('198.51.100.3', 'tcp', 22), 'accept', 'rule', 'defaults/ingress/0'],
    ['admin SSH over v6', ingress('2001:db8:ad::9', 'tcp', 22), 'accept', 'rule', 'defaults/ingress/0'],
    ['permit portal SMTP', ingress('203.0.113.11', 'tcp', 25), 'accept', 'rule', 'mail-relay/ingress/0'],
    ['guest Wi-Fi submission: the guest drop comes before the staff rule', ingress('198.51.100.113', 'tcp', 587), 'drop', 'rule', 'mail-relay/ingress/1'],
    ['guest Wi-Fi SMTP: dropped and logged', ingress('198.51.100.113', 'tcp', 25), 'drop', 'rule', 'mail-relay/ingress/1'],
    ['guest Wi-Fi UDP: any protocol', ingress('198.51.100.113', 'udp', 9), 'drop', 'rule', 'mail-relay/ingress/1'],
    ['internet SSH', ingress('203.0.113.200', 'tcp', 22), 'drop', 'default-drop', undefined],
    ['ping from internal', ingress('192.0.2.99', 'icmp', undefined, { icmpType: 8 }), 'accept', 'icmp-baseline', undefined],
    ['established reply', ingress('203.0.113.200', 'tcp', 40000, { state: 'established' }), 'accept', 'established', undefined],
    ['invalid', ingress('198.51.100.3', 'tcp', 22, { state: 'invalid' }), 'drop', 'invalid', undefined],
    ['loopback', ingress('192.0.2.1', 'tcp', 5, { loopback: true }), 'accept', 'loopback', undefined],
    ['ND', ingress('2001:db8:203::1', 'icmpv6', undefined, { icmpType: 135 }), 'accept', 'icmp-baseline', undefined],
  ] as const)('%s', (_name, packet, verdict, reason, rule) => {
    const result = evaluate(mail, model.baseline, packet);
    expect({ verdict: result.verdict, reason: result.reason, rule: result.rule?.id }).toEqual({ verdict, reason, rule });
  });

  it('egress matches the destination', () => {
    const packet: Packet = { direction: 'egress', family: 'ipv4', source: '203.0.113.25', destination: '198.51.100.200', protocol: 'tcp', port: 25, state: 'new' };
    expect(evaluate(mail, model.baseline, packet).rule?.id).toBe('mail-relay/egress/0');
    expect(evaluate(mail, model.baseline, { ...packet, port: 26 }).reason).toBe('default-drop');
  });

  it('drops blocklisted peers before anything else', () => {
    const result = evaluate(mail, model.baseline, ingress('198.51.100.3', 'tcp', 22, { state: 'established' }), { blocklist: anySet() });
    expect(result).toEqual({ verdict: 'drop', reason: 'blocklist' });
  });
});

describe('baseline ICMP with `icmp: none`', () => {
  it('keeps IPv6 neighbour discovery (IPv6 cannot work without it) and nothing else', () => {
    const none = baselineIcmpTypes('none');
    expect([...none.icmp]).toEqual([]);
    expect([...none.icmpv6].sort((a, b) => a - b)).toEqual([133, 134, 135, 136]);
    expect(baselineIcmpTypes('essential').icmpv6.has(128)).toBe(true);
  });
});
