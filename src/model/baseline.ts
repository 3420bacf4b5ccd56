/**
 * The baseline's fixed decisions that every target and the access model share: which ICMP and ICMPv6
 * types are accepted before any rule (RFC 4890 for ICMPv6).
 */
import { ICMP_TYPES } from '../net/port.js';
import type { BaselineSettings } from './index.js';

/** ICMP types the baseline accepts when `icmp: essential`, by protocol (see emit/nftables.ts). */
export const ESSENTIAL_ICMP_TYPES: Record<'icmp' | 'icmpv6', ReadonlySet<number>> = {
  icmp: new Set(['echo-reply', 'destination-unreachable', 'echo-request', 'time-exceeded', 'parameter-problem'].map((n) => ICMP_TYPES.icmp[n]!)),
  icmpv6: new Set(
    [
      'destination-unreachable',
      'packet-too-big',
      'time-exceeded',
      'parameter-problem',
      'echo-request',
      'echo-reply',
      'nd-router-solicit',
      'nd-router-advert',
      'nd-neighbor-solicit',
      'nd-neighbor-advert',
    ].map((n) => ICMP_TYPES.icmpv6[n]!),
  ),
};

/** ICMPv6 neighbour and router discovery: without them IPv6 does not work at all, so even `icmp: none` keeps them. */
const NEIGHBOUR_DISCOVERY = new Set(['nd-router-solicit', 'nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert'].map((n) => ICMP_TYPES.icmpv6[n]!));

/** The ICMP types the baseline accepts for the `icmp` setting, by protocol; shared by the emitters. */
export function baselineIcmpTypes(setting: BaselineSettings['icmp']): Record<'icmp' | 'icmpv6', ReadonlySet<number>> {
  switch (setting) {
    case 'essential':
      return ESSENTIAL_ICMP_TYPES;
    case 'none':
      return { icmp: new Set(), icmpv6: NEIGHBOUR_DISCOVERY };
  }
}

