/**
 * Deterministic generator of single-host benchmark policies (issue 9): ONE dual-stack host running N
 * services of exactly 10 rules each (8 ingress, 2 egress), written as a real policies directory.
 *
 * The shape is meant to be hard for a first-match compiler. Client networks overlap one another heavily
 * (random prefixes inside the same private and documentation blocks, the IPv6 side mirroring the IPv4
 * layout so both families overlap alike), zones nest earlier zones and some subtract CIDRs, `campus`
 * excludes `guest-wifi`. Each service starts with a `drop` from some peer, then four specific tcp rules
 * and a udp rule (ports from the common ones and from the whole 1..65535 spread), a wide
 * `tcp/1024-65535` + `udp/1024-65535` rule among them, an ICMP echo rule, and two egress rules. Only
 * private and documentation space is used (10/8, 172.16/12, 192.0.2/24, 198.51.100/24, 203.0.113/24,
 * 2001:db8::/32, fd00::/8). Same spec, same bytes; the backend changes one line of hosts.yaml.
 *
 *   npx tsx bench/single-host-generator.ts --services 200 --out /tmp/single [--backend iptables]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Prng } from './fleet-generator.js';
import { flow, type NetworkSpec, networksYaml, pad, quoteIfNeeded } from './policy-yaml.js';

export type Backend = 'nftables' | 'iptables';

export interface SingleHostSpec {
  services: number;
  backend: Backend;
  seed?: number;
}

/** Named sizes: total service rules (services × 10). */
export const SINGLE_HOST_SIZES = { '2k': 200, '10k': 1_000, '20k': 2_000, '100k': 10_000 } as const;

export const RULES_PER_SERVICE = 10;
export const HOST_NAME = 'fw-01';

export interface SingleHostPolicy {
  /** Policy files by path relative to the policies directory. */
  files: Map<string, string>;
  services: number;
  /** Rules as written: the services' and the defaults'. On one host each resolves to one rule. */
  serviceRules: number;
  defaultRules: number;
  networks: { total: number; zones: number; withExclude: number };
  /** How many of the services' rules name a network, a literal CIDR (v4 + v6 pair), several peers. */
  features: { namedPeer: number; literalPeer: number; multiplePeers: number };
}

// ---------------------------------------------------------------------------------------------------
// Address spaces: each IPv4 block has an IPv6 twin; a v4 CIDR maps to the v6 CIDR with the same bits.

interface Space {
  v4: number;
  v4Len: number;
  v6: bigint;
  v6Len: number;
}

const v4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const SPACES = {
  campus: { v4: v4(10, 0, 0, 0), v4Len: 8, v6: 0xfd00n << 112n, v6Len: 16 },
  vpn: { v4: v4(172, 16, 0, 0), v4Len: 12, v6: 0xfd10n << 112n, v6Len: 16 },
  partner: { v4: v4(203, 0, 113, 0), v4Len: 24, v6: ((0x2001n << 112n) | (0xdb8n << 96n) | (0xcb00n << 80n)), v6Len: 40 },
  office: { v4: v4(198, 51, 100, 0), v4Len: 24, v6: ((0x2001n << 112n) | (0xdb8n << 96n) | (0xc600n << 80n)), v6Len: 40 },
  servers: { v4: v4(192, 0, 2, 0), v4Len: 24, v6: ((0x2001n << 112n) | (0xdb8n << 96n) | (0x20n << 80n)), v6Len: 48 },
} satisfies Record<string, Space>;

function formatV4(value: number, prefix: number): string {
  const text = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  return prefix === 32 ? text : `${text}/${prefix}`;
}

function formatV6(value: bigint, prefix: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let zeros = 0;
  while (zeros < 8 && groups[7 - zeros] === 0) zeros++;
  const text = zeros >= 2 ? `${groups.slice(0, 8 - zeros).map((g) => g.toString(16)).join(':')}::` : groups.map((g) => g.toString(16)).join(':');
  return prefix === 128 ? text : `${text}/${prefix}`;
}

/** A random CIDR of `space` with a prefix in [minPrefix, maxPrefix] (IPv4 lengths), and its IPv6 twin. */
function cidrPair(rng: Prng, space: Space, minPrefix: number, maxPrefix: number): [string, string] {
  const prefix = rng.int(Math.max(minPrefix, space.v4Len), Math.min(maxPrefix, 32));
  const bits = prefix - space.v4Len;
  const offset = bits === 0 ? 0 : rng.int(0, 2 ** bits - 1);
  const hostBits = 32 - prefix;
  const v4Value = (space.v4 + offset * 2 ** hostBits) >>> 0;
  const v6Prefix = space.v6Len + bits;
  const v6Value = space.v6 | (BigInt(offset) << BigInt(128 - v6Prefix));
  return [formatV4(v4Value, prefix), formatV6(v6Value, v6Prefix)];
}

// ---------------------------------------------------------------------------------------------------
// YAML helpers


interface Rule {
  description: string;
  peers: string[];
  ports: string[];
  action?: 'drop';
}

function ruleYaml(key: 'from' | 'to', rule: Rule): string {
  const peers = rule.peers.length === 1 ? quoteIfNeeded(rule.peers[0]!) : flow(rule.peers);
  return [`  - description: ${quoteIfNeeded(rule.description)}`, `    ${key}: ${peers}`, `    ports: ${flow(rule.ports)}`, ...(rule.action ? [`    action: ${rule.action}`] : [])].join('\n');
}

/** Hands out each item once before repeating any, so every defined network is used somewhere. */
function useAll<T>(rng: Prng, items: readonly T[]): () => T {
  let unused = [...items];
  return () => {
    if (unused.length === 0) unused = [...items];
    return unused.splice(rng.int(0, unused.length - 1), 1)[0]!;
  };
}

const COMMON_PORTS = [80, 443, 8080, 8443, 22, 25, 53, 389, 636, 1433, 3306, 5432, 5672, 6379, 9090, 9200, 11211, 27017];
const OWNERS = ['Dewi Lestari <dewi.l@city.example>', 'Agus Santoso <agus.s@city.example>', 'Rina Wulandari <rina.w@city.example>', 'Yusuf Hidayat <yusuf.h@city.example>', 'Siti Rahma <siti.r@city.example>'];
const WORDS = ['permit', 'tax', 'registry', 'payroll', 'health', 'school', 'transit', 'parking', 'grant', 'archive', 'water', 'census'];

// ---------------------------------------------------------------------------------------------------

/** Generates the policy; pure and deterministic in `spec`. */
export function generateSingleHost(spec: SingleHostSpec): SingleHostPolicy {
  const rng = new Prng(spec.seed ?? 0x5e9 + spec.services);
  const files = new Map<string, string>();

  // Networks: fixed ones, overlapping base networks, then zones that nest earlier zones.
  const networks: NetworkSpec[] = [
    { name: 'admin', description: 'CSIRT and server-admin workstations', tags: ['admin'], include: ['198.51.100.0/28', '2001:db8:ad::/64'] },
    { name: 'resolvers', description: 'Recursive DNS resolvers', include: ['192.0.2.53', '2001:db8:20::53'] },
    { name: 'time-servers', description: 'NTP servers', include: ['192.0.2.123', '2001:db8:20::123'] },
    { name: 'guest-wifi', description: 'Visitor Wi-Fi; never trusted', include: ['10.200.0.0/16', 'fd00:c800::/24'] },
    { name: 'campus', description: 'Every campus network but the guest Wi-Fi', include: ['10.0.0.0/8', 'fd00::/16'], exclude: ['guest-wifi'] },
  ];
  const kinds: Array<[string, Space, number, number]> = [
    ['lan', SPACES.campus, 11, 24],
    ['vpn', SPACES.vpn, 13, 26],
    ['partner', SPACES.partner, 25, 30],
    ['office', SPACES.office, 25, 30],
  ];
  const baseCount = Math.min(512, Math.max(24, Math.round(spec.services / 8)));
  const clients: string[] = ['campus'];
  for (let i = 0; i < baseCount; i++) {
    const [kind, space, min, max] = kinds[i % kinds.length]!;
    const name = `${kind}-${pad(i + 1, 3)}`;
    const include = Array.from({ length: rng.int(1, 2) }, () => cidrPair(rng, space, min, max)).flat();
    networks.push({ name, description: `Client network ${i + 1} (${kind})`, include });
    clients.push(name);
  }
  const zoneCount = Math.max(4, Math.round(baseCount / 6));
  let withExclude = 1;
  for (let z = 0; z < zoneCount; z++) {
    const members = rng.sample(clients.slice(1), rng.int(2, 5));
    const zones = clients.filter((c) => c.startsWith('zone-'));
    if (zones.length > 0 && rng.chance(0.5)) members.push(rng.pick(zones));
    const zone: (typeof networks)[number] = { name: `zone-${pad(z + 1, 3)}`, description: `Zone ${z + 1}`, include: [...new Set(members)] };
    if (rng.chance(0.3)) {
      zone.exclude = rng.chance(0.3) ? ['guest-wifi'] : cidrPair(rng, SPACES.campus, 16, 28);
      withExclude++;
    }
    networks.push(zone);
    clients.push(zone.name);
  }
  const client = useAll(rng, clients);

  const features = { namedPeer: 0, literalPeer: 0, multiplePeers: 0 };
  const tally = (rules: readonly Rule[]): void => {
    for (const rule of rules) {
      const literals = rule.peers.filter((p) => /^[0-9]|:/.test(p)).length / 2;
      const names = rule.peers.length - 2 * literals;
      features.namedPeer += names > 0 ? 1 : 0;
      features.literalPeer += literals > 0 ? 1 : 0;
      features.multiplePeers += names + literals > 1 ? 1 : 0;
    }
  };
  const literal = (): string[] => {
    const space = rng.pick([SPACES.campus, SPACES.campus, SPACES.vpn, SPACES.partner, SPACES.office]);
    return cidrPair(rng, space, space.v4Len + 4, 32);
  };
  const peers = (): string[] => {
    const roll = rng.float();
    if (roll < 0.55) return [client()];
    if (roll < 0.8) return literal();
    const list = [client(), ...(rng.chance(0.5) ? literal() : [client()])];
    return [...new Set(list)];
  };
  const port = (): number => (rng.chance(0.4) ? rng.pick(COMMON_PORTS) : rng.int(1, 65535));
  const tcpPorts = (): string[] =>
    Array.from({ length: rng.int(1, 3) }, () => {
      if (rng.chance(0.15)) {
        const from = rng.int(1, 65500);
        return `tcp/${from}-${from + rng.int(1, 32)}`;
      }
      return `tcp/${port()}`;
    });

  for (let s = 0; s < spec.services; s++) {
    const name = `${rng.pick(WORDS)}-svc-${pad(s + 1, 5)}`;
    const middle: Rule[] = [];
    const accepted: string[] = [];
    for (let k = 0; k < 4; k++) {
      const ports = tcpPorts();
      accepted.push(...ports);
      middle.push({ description: `Clients ${k + 1}`, peers: peers(), ports });
    }
    middle.push({ description: 'Datagram clients', peers: peers(), ports: [`udp/${port()}`] });
    middle.splice(rng.int(0, middle.length), 0, { description: 'High ports from a client network', peers: [client()], ports: ['tcp/1024-65535', 'udp/1024-65535'] });
    const dropPorts = [...new Set(rng.sample(accepted, rng.int(1, 3)))];
    if (rng.chance(0.4)) dropPorts.push('tcp/1024-65535');
    const drop: Rule = { description: 'Never from this network', peers: rng.chance(0.3) ? ['guest-wifi'] : peers(), ports: dropPorts, action: 'drop' };
    const ingress = [drop, ...middle, { description: 'Ping', peers: [client()], ports: ['ping'] }];
    const egress: Rule[] = [
      { description: 'Backend calls', peers: rng.chance(0.5) ? cidrPair(rng, SPACES.servers, 26, 32) : literal(), ports: [`tcp/${port()}`] },
      { description: 'Partner exchange', peers: rng.chance(0.5) ? [client()] : literal(), ports: [rng.chance(0.5) ? `udp/${port()}` : `tcp/${port()}`] },
    ];
    tally([...ingress, ...egress]);
    const owners = rng.sample(OWNERS, 2);
    files.set(
      `services/${name}.yaml`,
      [
        '# yaml-language-server: $schema=../../schemas/service.schema.json',
        `service: ${name}`,
        `description: Generated single-host service ${s + 1}`,
        `owners: ${flow(owners)}`,
        `hosts: [${HOST_NAME}]`,
        'ingress:',
        ...ingress.map((r) => ruleYaml('from', r)),
        'egress:',
        ...egress.map((r) => ruleYaml('to', r)),
        '',
      ].join('\n'),
    );
  }

  files.set(
    'hosts.yaml',
    [
      '# yaml-language-server: $schema=../schemas/hosts.schema.json',
      `# Generated single-host benchmark policy: ${spec.services} services × ${RULES_PER_SERVICE} rules.`,
      'hosts:',
      `  ${HOST_NAME}:`,
      '    description: The one host of the single-host benchmark',
      '    addresses: [192.0.2.10, "2001:db8:20::10"]',
      '    ssh: { hostKey: "SHA256:c2luZ2xlLWhvc3QtYmVuY2htYXJrLWtleS0wMDAwMDA" }',
      `    backend: ${spec.backend}`,
      '',
    ].join('\n'),
  );
  files.set('networks.yaml', networksYaml(networks));
  files.set(
    'ports.yaml',
    ['# yaml-language-server: $schema=../schemas/ports.schema.json', 'ports:', '  ssh: [tcp/22]', '  dns: [udp/53, tcp/53]', '  ntp: [udp/123]', '  ping: [icmp/echo-request, icmpv6/echo-request]', ''].join('\n'),
  );
  files.set(
    'defaults.yaml',
    `# yaml-language-server: $schema=../schemas/defaults.schema.json
defaults:
  established: true
  loopback: true
  icmp: essential
  logDrops: { enabled: true, ratePerMinute: 10 }
  ingress:
    - description: Administrators reach the host over SSH
      from: admin
      ports: [ssh]
  egress:
    - description: Name resolution
      to: resolvers
      ports: [dns]
    - description: Time synchronisation
      to: time-servers
      ports: [ntp]
`,
  );

  return {
    files,
    services: spec.services,
    serviceRules: spec.services * RULES_PER_SERVICE,
    defaultRules: 3,
    networks: { total: networks.length, zones: zoneCount, withExclude },
    features,
  };
}

/** Writes the policy as a policies directory, replacing whatever was there. */
export async function writePolicy(policy: SingleHostPolicy, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const [path, text] of policy.files) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const out = arg('--out');
  if (!out) throw new Error('usage: single-host-generator.ts --services N --out DIR [--backend nftables|iptables]');
  const policy = generateSingleHost({ services: Number(arg('--services') ?? 200), backend: arg('--backend') === 'iptables' ? 'iptables' : 'nftables' });
  await writePolicy(policy, out);
  process.stdout.write(`wrote ${policy.files.size} files, ${policy.serviceRules} service rules, ${policy.networks.total} networks to ${out}\n`);
}
