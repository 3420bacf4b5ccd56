import { describe, expect, it } from 'vitest';
import { parseEndpoint, parseQueryProtocol, parseQuestion, protocolText } from '../../src/query/parse.js';

describe('parseEndpoint', () => {
  it.each([
    ['203.0.113.7', { kind: 'address', text: '203.0.113.7', family: 'ipv4', value: 0xcb007107n }],
    ['203.0.113.7/32', { kind: 'address', text: '203.0.113.7/32', family: 'ipv4', value: 0xcb007107n }],
    ['2001:db8::1', { kind: 'address', text: '2001:db8::1', family: 'ipv6', value: 0x20010db8000000000000000000000001n }],
    ['host:db-01', { kind: 'host', name: 'db-01' }],
    ['service:permit-db', { kind: 'service', name: 'permit-db' }],
  ] as const)('%s', (text, value) => {
    expect(parseEndpoint(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['203.0.113.0/24', '`203.0.113.0/24` is a block of addresses: query one address in it'],
    ['203.0.113.256', 'IPv4 address `203.0.113.256` has an octet 256 above 255'],
    ['2001:db8::g', '`2001:db8::g` is not an endpoint: write an IPv4 or IPv6 address, host:<name> or service:<name>'],
    ['2001:db8:::1', '`2001:db8:::1` is not a valid IPv6 address'],
    ['db-01', '`db-01` is a bare name: write host:db-01 or service:db-01'],
    ['network:dmz', '`network:dmz` is a network: query one address in it, a host:<name> or a service:<name>'],
    ['any', '`any` is every address: query one address, a host:<name> or a service:<name>'],
    ['host:DB', '`DB` is not a valid host name'],
    ['tag:web', '`tag:web` is not an endpoint: write an IPv4 or IPv6 address, host:<name> or service:<name>'],
    ['', 'an empty endpoint: write an IPv4 or IPv6 address, host:<name> or service:<name>'],
  ])('%j is refused', (text, reason) => {
    expect(parseEndpoint(text)).toEqual({ ok: false, reason });
  });
});

describe('parseQueryProtocol', () => {
  it.each([
    ['tcp/5432', { kind: 'transport', protocol: 'tcp', port: 5432 }, 'tcp/5432'],
    ['udp/53', { kind: 'transport', protocol: 'udp', port: 53 }, 'udp/53'],
    ['icmp/echo-request', { kind: 'icmp', protocol: 'icmp', type: 8, typeName: 'echo-request' }, 'icmp/echo-request'],
    ['icmp/8', { kind: 'icmp', protocol: 'icmp', type: 8, typeName: 'echo-request' }, 'icmp/echo-request'],
    ['icmp/42', { kind: 'icmp', protocol: 'icmp', type: 42 }, 'icmp/42'],
    ['icmpv6/nd-neighbor-solicit', { kind: 'icmp', protocol: 'icmpv6', type: 135, typeName: 'nd-neighbor-solicit' }, 'icmpv6/nd-neighbor-solicit'],
    ['icmpv6/128', { kind: 'icmp', protocol: 'icmpv6', type: 128, typeName: 'echo-request' }, 'icmpv6/echo-request'],
  ] as const)('%s', (text, value, printed) => {
    const parsed = parseQueryProtocol(text);
    expect(parsed).toEqual({ ok: true, value });
    if (parsed.ok) expect(protocolText(parsed.value)).toBe(printed);
  });

  it.each([
    ['tcp', '`tcp` has no port: write tcp/<port>, e.g. tcp/443'],
    ['udp/', '`udp/` has no port: write udp/<port>, e.g. udp/53'],
    ['tcp/0', 'port 0 is out of range 1-65535'],
    ['tcp/65536', 'port 65536 is out of range 1-65535'],
    ['tcp/80-90', '`tcp/80-90` is a port range: query one port'],
    ['tcp/http', '`http` in `tcp/http` is not a port number'],
    ['icmp/256', 'icmp type 256 is out of range 0-255'],
    ['icmp/ping', expect.stringMatching(/^unknown icmp type `ping` \(known: echo-reply, .*\), or a type number 0-255$/)],
    ['icmp', expect.stringMatching(/^`icmp` has no type: write icmp\/<type>, e.g. icmp\/echo-request \(known: /)],
    ['sctp/9', '`sctp/9` is not a protocol: write tcp/<port>, udp/<port>, icmp/<type> or icmpv6/<type>'],
    ['https', '`https` is not a protocol: write tcp/<port>, udp/<port>, icmp/<type> or icmpv6/<type>'],
  ])('%j is refused', (text, reason) => {
    expect(parseQueryProtocol(text)).toEqual({ ok: false, reason });
  });
});

describe('parseQuestion', () => {
  it('reports every bad word, in argument order, named by its argument', () => {
    expect(parseQuestion('any', 'db-01', 'tcp/x')).toEqual({
      ok: false,
      reasons: [
        '<from>: `any` is every address: query one address, a host:<name> or a service:<name>',
        '<to>: `db-01` is a bare name: write host:db-01 or service:db-01',
        '<proto>/<port>: `x` in `tcp/x` is not a port number',
      ],
    });
  });
});
