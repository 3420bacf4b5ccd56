/**
 * The symbolic values `nft -j list ruleset` prints in place of numbers: layer-4 protocol names, ICMP
 * and ICMPv6 type and code names, and the few service names nft prints when a ruleset was listed with
 * service names. Taken from nft(8) ("ICMP TYPE", "ICMPV6 TYPE", "ICMP CODE" and the `inet_proto`
 * type's names, which are /etc/protocols'); benteng's own ICMP names come from `src/net/port.ts`.
 */
import { ICMP_TYPES, type IcmpProtocol } from '../net/port.js';

/** Layer-4 protocol names as nft prints them (`ipv6-icmp` is ICMPv6), to protocol numbers. */
export const L4_PROTOCOLS: Readonly<Record<string, number>> = {
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ipencap: 4,
  tcp: 6,
  egp: 8,
  udp: 17,
  ipv6: 41,
  'ipv6-route': 43,
  'ipv6-frag': 44,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  ospf: 89,
  ipip: 94,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  udplite: 136,
  dccp: 33,
};

const EXTRA_ICMP_TYPES: Record<IcmpProtocol, Record<string, number>> = {
  icmp: {
    'info-request': 15,
    'info-reply': 16,
    'address-mask-request': 17,
    'address-mask-reply': 18,
  },
  icmpv6: {
    'mld-listener-done': 132,
    'mld-listener-reduction': 132,
    'router-renumbering': 138,
    'ind-neighbor-solicit': 141,
    'ind-neighbor-advert': 142,
    'mld2-listener-report': 143,
  },
};

const ICMP_CODES: Record<IcmpProtocol, Record<string, number>> = {
  icmp: {
    'net-unreachable': 0,
    'host-unreachable': 1,
    'prot-unreachable': 2,
    'port-unreachable': 3,
    'frag-needed': 4,
    'net-prohibited': 9,
    'host-prohibited': 10,
    'admin-prohibited': 13,
  },
  icmpv6: {
    'no-route': 0,
    'admin-prohibited': 1,
    'addr-unreachable': 3,
    'port-unreachable': 4,
    'policy-fail': 5,
    'reject-route': 6,
  },
};

/** Service names nft may print for ports (nft(8) `inet_service`, from /etc/services). */
const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submissions: 465,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  'dhcpv6-client': 546,
  'dhcpv6-server': 547,
  'ms-sql-s': 1433,
  mysql: 3306,
  postgresql: 5432,
  'http-alt': 8080,
};

const CONNTRACK_STATES = ['new', 'established', 'related', 'invalid', 'untracked'] as const;
export type ConntrackStateText = (typeof CONNTRACK_STATES)[number];

export function isConntrackState(value: string): value is ConntrackStateText {
  return (CONNTRACK_STATES as readonly string[]).includes(value);
}

function lookup(table: Readonly<Record<string, number>>, value: unknown, max: number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= max ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return lookup(table, Number(value), max);
  return Object.hasOwn(table, value) ? table[value] : undefined;
}

/** A protocol value (`tcp`, `ipv6-icmp`, `47`) as its number. */
export function protocolNumber(value: unknown): number | undefined {
  return lookup(L4_PROTOCOLS, value, 255);
}

/** An ICMP or ICMPv6 type value (name or number) as its number. */
export function icmpTypeNumber(protocol: IcmpProtocol, value: unknown): number | undefined {
  return lookup({ ...ICMP_TYPES[protocol], ...EXTRA_ICMP_TYPES[protocol] }, value, 255);
}

/** An ICMP or ICMPv6 code value (name or number) as its number. */
export function icmpCodeNumber(protocol: IcmpProtocol, value: unknown): number | undefined {
  return lookup(ICMP_CODES[protocol], value, 255);
}

/** A port value (number or service name) as its number, 0-65535. */
export function portNumber(value: unknown): number | undefined {
  return lookup(SERVICES, value, 65535);
}
