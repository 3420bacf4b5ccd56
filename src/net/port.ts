/**
 * The port grammar of the policy language (schemas/common.schema.json `PortSpec`):
 * `tcp/443`, `udp/53`, `tcp/8000-8100`, `tcp`, `udp`, `icmp`, `icmp/<type>`, `icmpv6`, `icmpv6/<type>`,
 * or the name of a port set.
 */
export type Transport = 'tcp' | 'udp';
export type IcmpProtocol = 'icmp' | 'icmpv6';

export type PortSpec =
  | { kind: 'transport'; protocol: Transport; from: number; to: number }
  | { kind: 'icmp'; protocol: IcmpProtocol; type?: number }
  | { kind: 'name'; name: string };

export type PortParse = { ok: true; value: PortSpec } | { ok: false; reason: string };

/** ICMP type names as nft(8) spells them (`icmp type`, `icmpv6 type`). */
export const ICMP_TYPES: Record<IcmpProtocol, Record<string, number>> = {
  icmp: {
    'echo-reply': 0,
    'destination-unreachable': 3,
    'source-quench': 4,
    redirect: 5,
    'echo-request': 8,
    'router-advertisement': 9,
    'router-solicitation': 10,
    'time-exceeded': 11,
    'parameter-problem': 12,
    'timestamp-request': 13,
    'timestamp-reply': 14,
  },
  icmpv6: {
    'destination-unreachable': 1,
    'packet-too-big': 2,
    'time-exceeded': 3,
    'parameter-problem': 4,
    'echo-request': 128,
    'echo-reply': 129,
    'mld-listener-query': 130,
    'mld-listener-report': 131,
    'nd-router-solicit': 133,
    'nd-router-advert': 134,
    'nd-neighbor-solicit': 135,
    'nd-neighbor-advert': 136,
    'nd-redirect': 137,
  },
};

export function icmpTypeName(protocol: IcmpProtocol, type: number): string | undefined {
  return Object.entries(ICMP_TYPES[protocol]).find(([, v]) => v === type)?.[0];
}

const NAME = /^[a-z][a-z0-9-]{0,47}$/;

function parsePort(text: string, whole: string): number | string {
  if (!/^\d{1,6}$/.test(text)) return `\`${text}\` in \`${whole}\` is not a port number`;
  const n = Number(text);
  if (n < 1 || n > 65535) return `port ${n} is out of range 1-65535`;
  return n;
}

export function parsePortSpec(text: string): PortParse {
  const slash = text.indexOf('/');
  const head = slash === -1 ? text : text.slice(0, slash);
  const tail = slash === -1 ? undefined : text.slice(slash + 1);
  if (head === 'tcp' || head === 'udp') {
    if (tail === undefined) return { ok: true, value: { kind: 'transport', protocol: head, from: 1, to: 65535 } };
    const dash = tail.indexOf('-');
    const from = parsePort(dash === -1 ? tail : tail.slice(0, dash), text);
    if (typeof from === 'string') return { ok: false, reason: from };
    const to = dash === -1 ? from : parsePort(tail.slice(dash + 1), text);
    if (typeof to === 'string') return { ok: false, reason: to };
    if (to < from) return { ok: false, reason: `port range ${from}-${to} is reversed (write ${to}-${from})` };
    return { ok: true, value: { kind: 'transport', protocol: head, from, to } };
  }
  if (head === 'icmp' || head === 'icmpv6') {
    if (tail === undefined) return { ok: true, value: { kind: 'icmp', protocol: head } };
    const type = ICMP_TYPES[head][tail];
    if (type === undefined) {
      const known = Object.keys(ICMP_TYPES[head]).join(', ');
      return { ok: false, reason: `unknown ${head} type \`${tail}\` (known: ${known})` };
    }
    return { ok: true, value: { kind: 'icmp', protocol: head, type } };
  }
  if (slash === -1 && NAME.test(text)) return { ok: true, value: { kind: 'name', name: text } };
  return {
    ok: false,
    reason: `\`${text}\` is not a port: write tcp/443, udp/53, tcp/8000-8100, icmp, icmpv6/echo-request or a port set name`,
  };
}

/** Sorts inclusive port ranges and merges overlapping or adjacent ones. */
export function mergePortRanges<T extends { from: number; to: number }>(ranges: readonly T[]): Array<{ from: number; to: number }> {
  const sorted = [...ranges].sort((a, b) => a.from - b.from || a.to - b.to);
  const out: Array<{ from: number; to: number }> = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}
