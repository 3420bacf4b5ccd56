/**
 * Deterministic generator of synthetic fleets for the benchmark (issue 6): a city's inventory, named
 * networks and port sets, fleet defaults and many services, written as real policy files that the
 * loader, validator and resolver read like any other policies directory.
 *
 * The shape follows the example fleet in `policies/`: services on one host, on a few named hosts or on a
 * tagged pool; clients from overlapping office and partner networks (v4 and v6 for each), nested groups
 * with exclusions, literal CIDR pairs, `service:` dependencies declared on both sides, port ranges,
 * ICMP, a few logged, dropping and expiring rules. Only documentation addresses are used (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). Same spec, same bytes: the only randomness is a
 * seeded PRNG.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { flow, type NetworkSpec, networksYaml, pad, quoteIfNeeded } from './policy-yaml.js';

export type FleetSizeName = '1k' | '10k' | '100k';

export interface FleetSpec {
  name: string;
  /** About this many resolved rules: the sum over hosts of their input and output rules. */
  targetRules: number;
  hosts: number;
  /** Office and partner networks (before the fixed ones and the nested groups). */
  clientNetworks: number;
  seed: number;
}

export const FLEET_SIZES: Record<FleetSizeName, FleetSpec> = {
  '1k': { name: '1k', targetRules: 1_000, hosts: 8, clientNetworks: 24, seed: 0x6e1 },
  '10k': { name: '10k', targetRules: 10_000, hosts: 24, clientNetworks: 96, seed: 0x6e10 },
  '100k': { name: '100k', targetRules: 100_000, hosts: 60, clientNetworks: 320, seed: 0x6e100 },
};

export interface GeneratedFleet {
  spec: FleetSpec;
  /** Policy files by path relative to the policies directory. */
  files: Map<string, string>;
  hostCount: number;
  serviceCount: number;
  networkCount: number;
  portSetCount: number;
  /** Resolved rules the generator expects (the resolver's model is the authority). */
  expectedRules: number;
  /** How many of the services' rules (as written, before placement on hosts) use each feature. */
  features: FleetFeatures;
}

export interface FleetFeatures {
  rules: number;
  namedNetworkPeer: number;
  literalPeer: number;
  servicePeer: number;
  hostPeer: number;
  anyPeer: number;
  multiplePeers: number;
  namedPortSet: number;
  portRange: number;
  udp: number;
  icmp: number;
  expiring: number;
  logged: number;
  dropOrReject: number;
}

/** sfc32, seeded through splitmix32: small, fast and the same on every platform. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.float();
  }

  /** Uniform in [0, 1). */
  float(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Skewed towards the front of the list (popular items first), like real client networks. */
  pickSkewed<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.float() * this.float() * items.length)]!;
  }

  /** `count` distinct items. */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = [...items];
    const out: T[] = [];
    while (out.length < count && copy.length > 0) out.push(copy.splice(Math.floor(this.float() * copy.length), 1)[0]!);
    return out;
  }
}

/** Ports the lint rules treat as sensitive or administrative; generated services never open them. */
const AVOIDED_PORTS = new Set([21, 22, 23, 25, 53, 80, 123, 139, 161, 443, 445, 1433, 1521, 2375, 2376, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 9100, 9200, 10000, 11211, 27017]);
const PORT_BLOCK = 32;
/** Port blocks of the generated services, none holding a sensitive port; each service has its own. */
const PORT_BLOCKS: readonly number[] = Array.from({ length: Math.floor((65000 - 1024) / PORT_BLOCK) }, (_, i) => 1024 + i * PORT_BLOCK).filter(
  (base) => ![...AVOIDED_PORTS].some((port) => port >= base && port < base + PORT_BLOCK),
);

const AGENCIES = [
  'Communication and Informatics Office (Diskominfo)',
  'One-Stop Integrated Permit Service (DPMPTSP)',
  'Civil Registration Office (Disdukcapil)',
  'Finance and Asset Agency (BPKAD)',
  'Regional Revenue Agency (Bapenda)',
  'Health Office (Dinkes)',
  'Education Office (Disdik)',
  'Transport Office (Dishub)',
  'Social Affairs Office (Dinsos)',
  'Regional Planning Agency (Bappeda)',
];
const PEOPLE = ['Dewi Lestari', 'Bambang Hartono', 'Rina Wulandari', 'Agus Santoso', 'Yusuf Hidayat', 'Fajar Nugroho', 'Siti Rahma', 'Hendra Gunawan', 'Putri Maharani', 'Joko Susilo', 'Wulan Sari', 'Andi Pratama'];
const SERVICE_WORDS = ['permit', 'tax', 'registry', 'payroll', 'health', 'school', 'transit', 'parking', 'grant', 'archive', 'library', 'water', 'waste', 'housing', 'licence', 'census', 'budget', 'procure', 'complaint', 'events'];
const KIND_WORDS: Record<ServiceKind, string[]> = { web: ['portal', 'site', 'gateway'], app: ['api', 'app', 'worker', 'queue'], db: ['db', 'cache', 'store'] };

type ServiceKind = 'web' | 'app' | 'db';

interface PlannedService {
  name: string;
  kind: ServiceKind;
  agency: string;
  hosts: string[];
  /** What the service's `hosts` field says: host names or one `tag:`. */
  hostsField: string[];
  portBlock: number;
  /** Port set clients use to reach it (`<name>-api`). */
  apiPorts: string[];
  /** Services this one calls (egress `to: service:<dep>`). */
  dependencies: PlannedService[];
  /** Services that call this one. */
  dependents: PlannedService[];
}

interface PlannedHost {
  name: string;
  v4: string;
  v6: string;
  backend: 'nftables' | 'iptables';
  tags: string[];
}


function v4Cidr(rng: Prng, base: number, span: number, minPrefix: number, maxPrefix: number): string {
  const prefix = rng.int(minPrefix, maxPrefix);
  const size = 2 ** (32 - prefix);
  const offset = Math.floor(rng.int(0, span - 1) / size) * size;
  const value = base + offset;
  const text = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  return prefix === 32 ? text : `${text}/${prefix}`;
}

function v6Cidr(rng: Prng, group3: string, minPrefix: number, maxPrefix: number): string {
  const prefix = rng.int(minPrefix, maxPrefix);
  const hostBits = 64 - prefix;
  const group4 = hostBits >= 16 ? 0 : (rng.int(0, 0xffff) >>> hostBits) << hostBits;
  return `2001:db8:${group3}:${group4.toString(16)}::/${prefix}`;
}

const V4_OFFICE_BASE = (198 << 24) | (51 << 16) | (100 << 8);
const V4_PARTNER_BASE = ((203 << 24) | (0 << 16) | (113 << 8) | 128) >>> 0;

/** Hands out each item once before repeating any, so every defined name is used somewhere. */
class UseAll<T> {
  private unused: T[];
  constructor(
    private readonly rng: Prng,
    private readonly items: readonly T[],
  ) {
    this.unused = [...items];
  }

  next(): T {
    if (this.unused.length > 0) return this.unused.splice(this.rng.int(0, this.unused.length - 1), 1)[0]!;
    return this.rng.pickSkewed(this.items);
  }
}

/** Generates one fleet; pure and deterministic in `spec`. */
export function generateFleet(spec: FleetSpec): GeneratedFleet {
  const rng = new Prng(spec.seed);
  const files = new Map<string, string>();

  // Inventory: hosts on the server LAN (192.0.2.0/25) and in the DMZ (203.0.113.0/26), plus the
  // infrastructure hosts every fleet has.
  const hosts: PlannedHost[] = [];
  const addHost = (name: string, lan: 'server' | 'dmz', index: number, backend: PlannedHost['backend'], tags: string[]): PlannedHost => {
    const host: PlannedHost =
      lan === 'server'
        ? { name, v4: `192.0.2.${10 + index}`, v6: `2001:db8:20::${(0x10 + index).toString(16)}`, backend, tags }
        : { name, v4: `203.0.113.${2 + index}`, v6: `2001:db8:203::${(0x10 + index).toString(16)}`, backend, tags };
    hosts.push(host);
    return host;
  };
  addHost('bastion-01', 'server', 0, 'nftables', ['bastion']);
  addHost('dns-01', 'server', 1, 'nftables', ['resolvers']);
  addHost('dns-02', 'server', 2, 'iptables', ['resolvers']);
  addHost('mon-01', 'server', 3, 'nftables', ['monitoring']);
  const appHosts: PlannedHost[] = [];
  const pools = new Map<string, PlannedHost[]>();
  const appHostCount = spec.hosts - hosts.length;
  for (let i = 0; i < appHostCount; i++) {
    const dmz = i % 3 === 2;
    const role = dmz ? 'web' : i % 3 === 0 ? 'app' : 'db';
    const pool = `${role}-pool-${pad(Math.floor(i / 6) + 1, 2)}`;
    const host = addHost(`${role}-${pad(i + 1, 3)}`, dmz ? 'dmz' : 'server', dmz ? Math.floor(i / 3) : 4 + i - Math.floor(i / 3), rng.chance(0.6) ? 'nftables' : 'iptables', dmz ? [pool, 'dmz'] : [pool]);
    appHosts.push(host);
    pools.set(pool, [...(pools.get(pool) ?? []), host]);
  }
  if (appHosts.length > 100) throw new Error('the address plan has room for about 100 application hosts');

  // Networks: the fixed city networks, office and partner networks that overlap each other, and nested
  // groups of them (some with exclusions).
  const networks: NetworkSpec[] = [
    { name: 'admin', description: 'CSIRT and server-admin workstations, plus the bastion host', tags: ['admin'], include: ['198.51.100.0/28', '2001:db8:ad::/64', 'csirt-vpn', 'host:bastion-01'] },
    { name: 'csirt-vpn', description: "The CSIRT's on-call laptops over the provincial VPN", include: ['203.0.113.240/29', '2001:db8:ad:f0::/60'] },
    { name: 'server-lan', description: "The city data centre's server network", include: ['192.0.2.0/25', '2001:db8:20::/64'] },
    { name: 'dmz', description: 'Public-facing servers', include: ['203.0.113.0/26', '2001:db8:203::/64'] },
    { name: 'staff', description: 'City hall office networks (all agencies)', include: ['198.51.100.64/26', '2001:db8:5a::/48'] },
    { name: 'guest-wifi', description: 'Visitor Wi-Fi in the city hall lobby; never trusted', include: ['198.51.100.112/28', '2001:db8:5a:ff::/64'] },
    { name: 'internal', description: 'Every trusted city network', include: ['admin', 'staff', 'server-lan', 'dmz'], exclude: ['guest-wifi'] },
    { name: 'package-mirror', description: 'Debian package mirror of the provincial network', include: ['203.0.113.80', '2001:db8:80::80'] },
    { name: 'upstream-ntp', description: 'Time servers of the provincial network', include: ['203.0.113.123', '2001:db8:80::123'] },
  ];
  const clientNames: string[] = [];
  for (let i = 0; i < spec.clientNetworks; i++) {
    const partner = i % 4 === 3;
    const name = partner ? `partner-${pad(i + 1, 3)}` : `office-${pad(i + 1, 3)}`;
    const include = partner
      ? [v4Cidr(rng, V4_PARTNER_BASE, 112, 27, 32), v6Cidr(rng, `e${(i % 4096).toString(16)}`, 48, 56)]
      : [v4Cidr(rng, V4_OFFICE_BASE, 256, 25, 30), v6Cidr(rng, '5a', 52, 64)];
    if (rng.chance(0.2)) include.push(partner ? v4Cidr(rng, V4_PARTNER_BASE, 112, 29, 32) : v4Cidr(rng, V4_OFFICE_BASE, 256, 28, 32));
    networks.push({ name, description: partner ? `Partner agency network ${i + 1}` : `Agency office network ${i + 1}`, include });
    clientNames.push(name);
  }
  const groupCount = Math.max(2, Math.floor(spec.clientNetworks / 8));
  for (let g = 0; g < groupCount; g++) {
    const members = rng.sample(clientNames, rng.int(3, 6));
    const group: (typeof networks)[number] = { name: `region-${pad(g + 1, 3)}`, description: `Offices of region ${g + 1}`, include: members };
    if (rng.chance(0.3)) group.exclude = [rng.chance(0.5) ? 'guest-wifi' : v4Cidr(rng, V4_OFFICE_BASE, 256, 29, 32)];
    networks.push(group);
    clientNames.push(group.name);
  }
  const clientPicker = new UseAll(rng, clientNames);

  // Port sets: the well-known ones, plus one `-api` set per service and one per partner.
  const portSets = new Map<string, string[]>([
    ['ssh', ['tcp/22']],
    ['http', ['tcp/80']],
    ['https', ['tcp/443']],
    ['web', ['http', 'https']],
    ['dns', ['udp/53', 'tcp/53']],
    ['ntp', ['udp/123']],
    ['node-exporter', ['tcp/9100']],
    ['ping', ['icmp/echo-request', 'icmpv6/echo-request']],
  ]);

  // Services: plan names, placement and dependencies first, then write their rules.
  const fixedRulesPerHost = 6;
  let expectedRules = hosts.length * fixedRulesPerHost;
  const services: PlannedService[] = [];
  const dbs: PlannedService[] = [];
  const apps: PlannedService[] = [];
  const serviceFiles: Array<() => string> = [];
  const poolNames = [...pools.keys()];

  const features: FleetFeatures = { rules: 0, namedNetworkPeer: 0, literalPeer: 0, servicePeer: 0, hostPeer: 0, anyPeer: 0, multiplePeers: 0, namedPortSet: 0, portRange: 0, udp: 0, icmp: 0, expiring: 0, logged: 0, dropOrReject: 0 };
  const tally = (rule: { peers: string[]; ports?: string[]; action?: string; log?: boolean; expires?: string }): void => {
    features.rules++;
    const has = (test: (text: string) => boolean, list: readonly string[] = rule.peers) => (list.some(test) ? 1 : 0);
    features.namedNetworkPeer += has((p) => /^[a-z][a-z0-9-]*$/.test(p) && p !== 'any');
    features.literalPeer += has((p) => /^[0-9]/.test(p) || (p.includes(':') && !/^(service|host|network):/.test(p)));
    features.servicePeer += has((p) => p.startsWith('service:'));
    features.hostPeer += has((p) => p.startsWith('host:'));
    features.anyPeer += has((p) => p === 'any');
    features.multiplePeers += rule.peers.length > 1 ? 1 : 0;
    const ports = rule.ports ?? [];
    features.namedPortSet += has((p) => !p.includes('/'), ports);
    features.portRange += has((p) => /\/\d+-\d+$/.test(p), ports);
    features.udp += has((p) => p.startsWith('udp'), ports);
    features.icmp += has((p) => p.startsWith('icmp'), ports);
    features.expiring += rule.expires ? 1 : 0;
    features.logged += rule.log ? 1 : 0;
    features.dropOrReject += rule.action === 'drop' || rule.action === 'reject' ? 1 : 0;
  };
  const ruleYaml = (rule: { description: string; peerKey: 'from' | 'to'; peers: string[]; ports?: string[]; action?: string; log?: boolean; expires?: string }): string => {
    tally(rule);
    const lines = [`  - description: ${rule.description}`, `    ${rule.peerKey}: ${rule.peers.length === 1 ? quoteIfNeeded(rule.peers[0]!) : flow(rule.peers)}`];
    if (rule.ports) lines.push(`    ports: ${flow(rule.ports)}`);
    if (rule.action) lines.push(`    action: ${rule.action}`);
    if (rule.log) lines.push('    log: true');
    if (rule.expires) lines.push(`    expires: ${rule.expires}`);
    return lines.join('\n');
  };

  // Each service listens on its own block of ports on every host it runs on, so services sharing a
  // host never open the same port (which would make one's rules redundant with the other's).
  const blocksInUse = new Map<string, Set<number>>(hosts.map((h) => [h.name, new Set()]));
  let blockCursor = 0;
  const freeBlock = (on: readonly PlannedHost[]): number => {
    for (let tried = 0; tried < PORT_BLOCKS.length; tried++, blockCursor = (blockCursor + 1) % PORT_BLOCKS.length) {
      if (on.some((h) => blocksInUse.get(h.name)!.has(blockCursor))) continue;
      for (const h of on) blocksInUse.get(h.name)!.add(blockCursor);
      return PORT_BLOCKS[blockCursor]!;
    }
    throw new Error('no free port block: too many services on one host');
  };

  for (let i = 0; expectedRules < spec.targetRules; i++) {
    const kind: ServiceKind = rng.chance(0.2) ? 'web' : rng.chance(0.35) ? 'db' : 'app';
    const name = `${rng.pick(SERVICE_WORDS)}-${rng.pick(KIND_WORDS[kind])}-${pad(i + 1, 4)}`;
    const candidates = appHosts.filter((h) => h.name.startsWith(kind));
    let placed: PlannedHost[];
    let hostsField: string[];
    if (rng.chance(0.35)) {
      const pool = rng.pick(poolNames.filter((p) => p.startsWith(kind)));
      placed = pools.get(pool)!;
      hostsField = [`tag:${pool}`];
    } else {
      placed = rng.sample(candidates, rng.int(1, Math.min(3, candidates.length)));
      hostsField = placed.map((h) => h.name).sort();
    }
    const service: PlannedService = {
      name,
      kind,
      agency: rng.pick(AGENCIES),
      hosts: placed.map((h) => h.name),
      hostsField,
      portBlock: freeBlock(placed),
      apiPorts: [],
      dependencies: [],
      dependents: [],
    };
    const ports = { tcp: portAllocator(service.portBlock), udp: portAllocator(service.portBlock) };
    const apiSet = `${name}-api`;
    const apiPorts = [`tcp/${ports.tcp.next()}`];
    if (rng.chance(0.3)) apiPorts.push(`tcp/${ports.tcp.range(rng.int(2, 4))}`);
    portSets.set(apiSet, apiPorts);
    service.apiPorts = [apiSet];
    if (kind !== 'db') {
      for (const dep of rng.sample(dbs.slice(-40), rng.int(0, 2))) {
        service.dependencies.push(dep);
        dep.dependents.push(service);
      }
      if (kind === 'web' && apps.length > 0 && rng.chance(0.6)) {
        const dep = rng.pick(apps.slice(-40));
        service.dependencies.push(dep);
        dep.dependents.push(service);
      }
    }
    services.push(service);
    if (kind === 'db') dbs.push(service);
    if (kind === 'app') apps.push(service);

    // The rules are written after every service is planned (dependents are known then); their count is
    // fixed now so the loop knows when the fleet is big enough.
    const ingressCount = kind === 'web' ? rng.int(4, 10) : kind === 'app' ? rng.int(6, 18) : rng.int(3, 8);
    const egressCount = service.dependencies.length + rng.int(0, 2);
    const extras = { ingressCount, egressCount, ports };
    expectedRules += placed.length * (ingressCount + egressCount);
    serviceFiles.push(() => serviceYaml(service, extras));
  }

  function serviceYaml(service: PlannedService, plan: { ingressCount: number; egressCount: number; ports: Record<'tcp' | 'udp', PortAllocator> }): string {
    const ingress: string[] = [];
    const egress: string[] = [];
    const dependents = service.dependents.filter((d) => d !== service);
    let planned = plan.ingressCount;
    // Exceptions first: a drop written after a broader accept would never match.
    if (planned > 2 && rng.chance(0.15)) {
      ingress.push(ruleYaml({ description: 'Never from the lobby Wi-Fi', peerKey: 'from', peers: ['guest-wifi'], ports: service.apiPorts, action: rng.chance(0.7) ? 'drop' : 'reject', log: rng.chance(0.3) }));
      planned--;
    }
    // Callers declared on both sides: `service:<dependent>` here, `to: service:<this>` there.
    if (dependents.length > 0 && planned > 0) {
      ingress.push(ruleYaml({ description: 'Application servers that use this service', peerKey: 'from', peers: dependents.map((d) => `service:${d.name}`), ports: service.apiPorts }));
      planned--;
    }
    if (service.kind === 'web' && planned > 0) {
      ingress.push(ruleYaml({ description: 'Citizens reach the public site', peerKey: 'from', peers: ['any'], ports: service.apiPorts }));
      planned--;
    }
    if (ingress.length === 0 && planned > 0) {
      ingress.push(ruleYaml({ description: 'Agency staff use the service', peerKey: 'from', peers: [clientPicker.next()], ports: service.apiPorts }));
      planned--;
    }
    for (let k = 0; k < planned; k++) {
      const roll = rng.float();
      let peers: string[];
      if (roll < 0.5) peers = [clientPicker.next()];
      else if (roll < 0.68) peers = [...new Set([clientPicker.next(), clientPicker.next(), ...(rng.chance(0.4) ? [clientPicker.next()] : [])])];
      else if (roll < 0.9) peers = [rng.chance(0.5) ? v4Cidr(rng, V4_OFFICE_BASE, 256, 26, 32) : v4Cidr(rng, V4_PARTNER_BASE, 112, 28, 32), v6Cidr(rng, rng.chance(0.5) ? '5a' : 'e1', 56, 64)];
      else if (roll < 0.95) peers = ['staff'];
      else peers = [`host:${rng.pick(hosts).name}`];
      let ports: string[];
      const shape = rng.float();
      const { tcp, udp } = plan.ports;
      if (shape < 0.45) ports = [`tcp/${tcp.next()}`];
      else if (shape < 0.6) ports = [`tcp/${tcp.range(rng.int(2, 6))}`];
      else if (shape < 0.72) ports = [`udp/${udp.next()}`];
      else if (shape < 0.87) {
        const setName = `${service.name}-p${k + 1}`;
        portSets.set(setName, [`tcp/${tcp.next()}`, rng.chance(0.5) ? `udp/${udp.next()}` : `tcp/${tcp.range(rng.int(2, 4))}`]);
        ports = [setName];
      } else if (shape < 0.95) ports = [`tcp/${tcp.next()}`, `tcp/${tcp.next()}`, `udp/${udp.next()}`];
      else ports = rng.chance(0.5) ? ['icmp/timestamp-request', 'icmpv6/echo-request'] : ['icmp/echo-request', 'icmpv6/echo-request'];
      ingress.push(
        ruleYaml({
          description: `Clients ${k + 1} of the service`,
          peerKey: 'from',
          peers,
          ports,
          log: rng.chance(0.02),
          expires: rng.chance(0.05) ? `${rng.int(2031, 2035)}-${pad(rng.int(1, 12), 2)}-${pad(rng.int(1, 28), 2)}` : undefined,
        }),
      );
    }
    let egressPlanned = plan.egressCount;
    for (const dep of service.dependencies) {
      if (egressPlanned === 0) break;
      egress.push(ruleYaml({ description: `Calls ${dep.name}`, peerKey: 'to', peers: [`service:${dep.name}`], ports: dep.apiPorts }));
      egressPlanned--;
    }
    for (let k = 0; k < egressPlanned; k++) {
      const partner = `partner-${pad(rng.int(0, Math.floor(spec.clientNetworks / 4) - 1) * 4 + 4, 3)}`;
      const setName = `${partner}-api`;
      if (!portSets.has(setName)) portSets.set(setName, [`tcp/${8000 + (Number(partner.slice(-3)) % 400)}`]);
      egress.push(ruleYaml({ description: `Data exchange with ${partner}`, peerKey: 'to', peers: [partner], ports: [setName] }));
    }
    const owners = rng.sample(PEOPLE, 2).map((p) => `${p} <${p.toLowerCase().replace(/ (\w).*$/, '.$1')}@city.example>`);
    const lines = [
      '# yaml-language-server: $schema=../../schemas/service.schema.json',
      `service: ${service.name}`,
      `description: Generated ${service.kind} service ${service.name}`,
      `agency: ${quoteIfNeeded(service.agency)}`,
      `owners: ${flow(owners)}`,
      `hosts: ${flow(service.hostsField)}`,
    ];
    if (ingress.length > 0) lines.push('ingress:', ...ingress);
    if (egress.length > 0) lines.push('egress:', ...egress);
    return `${lines.join('\n')}\n`;
  }

  const fixedServices: Array<[string, string]> = [
    [
      'dns-resolvers',
      `service: dns-resolvers
description: Recursive DNS for every city network
agency: Communication and Informatics Office (Diskominfo)
owners: [Agus Santoso <agus.s@city.example>, Fajar Nugroho <fajar.n@city.example>]
hosts: [tag:resolvers]
ingress:
  - description: Queries from trusted city networks
    from: internal
    ports: [dns]
egress:
  - description: Recursion to authoritative servers on the internet
    to: any
    ports: [dns]
`,
    ],
    [
      'monitoring',
      `service: monitoring
description: Prometheus and Grafana for every server
agency: Communication and Informatics Office (Diskominfo)
owners: [Fajar Nugroho <fajar.n@city.example>, Agus Santoso <agus.s@city.example>]
hosts: [mon-01]
ingress:
  - description: Dashboards for the admins
    from: admin
    ports: [https]
egress:
  - description: Scrape node exporters across the fleet
    to: [server-lan, dmz]
    ports: [node-exporter]
`,
    ],
    [
      'bastion',
      `service: bastion
description: SSH jump host; the only way into the servers from outside the admin network
agency: City CSIRT
owners: [Yusuf Hidayat <yusuf.h@city.example>, Agus Santoso <agus.s@city.example>]
hosts: [bastion-01]
egress:
  - description: Onward SSH to every server
    to: [server-lan, dmz]
    ports: [ssh]
`,
    ],
  ];
  // Fixed services' rules: dns-resolvers 2 on two hosts, monitoring 2, bastion 1.
  expectedRules += 2 * 2 + 2 + 1;

  files.set(
    'hosts.yaml',
    [
      '# yaml-language-server: $schema=../schemas/hosts.schema.json',
      `# Generated benchmark fleet ${spec.name} (seed ${spec.seed}).`,
      'hosts:',
      ...hosts.flatMap((h) => [
        `  ${h.name}:`,
        `    addresses: ${flow([h.v4, h.v6])}`,
        `    ssh: { hostKey: "SHA256:${hostKey(rng)}" }`,
        `    backend: ${h.backend}`,
        `    tags: ${flow(h.tags)}`,
      ]),
      '',
    ].join('\n'),
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
    - description: Administrators reach every host over SSH
      from: admin
      ports: [ssh]
    - description: Monitoring scrapes the node exporter on every host
      from: service:monitoring
      ports: [node-exporter]
    - description: Ping from trusted networks
      from: internal
      ports: [ping]
  egress:
    - description: Name resolution through the city's resolvers
      to: service:dns-resolvers
      ports: [dns]
    - description: Time synchronisation
      to: upstream-ntp
      ports: [ntp]
    - description: Security updates from the package mirror
      to: package-mirror
      ports: [web]
`,
  );
  for (const [name, text] of fixedServices) files.set(`services/${name}.yaml`, `# yaml-language-server: $schema=../../schemas/service.schema.json\n${text}`);
  services.forEach((service, i) => files.set(`services/${service.name}.yaml`, serviceFiles[i]!()));
  files.set('networks.yaml', networksYaml(networks));
  files.set('ports.yaml', ['# yaml-language-server: $schema=../schemas/ports.schema.json', 'ports:', ...[...portSets].map(([name, specs]) => `  ${name}: ${flow(specs)}`), ''].join('\n'));

  return {
    spec,
    files,
    hostCount: hosts.length,
    serviceCount: services.length + fixedServices.length,
    networkCount: networks.length,
    portSetCount: portSets.size,
    expectedRules,
    features,
  };
}

interface PortAllocator {
  next(): number;
  /** A range of `length` ports, as `from-to`. */
  range(length: number): string;
}

/** Hands out the ports of one service's block in order; wraps to the block start when it runs out. */
function portAllocator(base: number): PortAllocator {
  let offset = 0;
  const take = (): number => base + (offset++ % PORT_BLOCK);
  return {
    next: take,
    range(length) {
      if (offset % PORT_BLOCK > PORT_BLOCK - length) offset += PORT_BLOCK - (offset % PORT_BLOCK);
      const from = take();
      offset += length - 1;
      return `${from}-${from + length - 1}`;
    },
  };
}

function hostKey(rng: Prng): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let key = '';
  for (let i = 0; i < 43; i++) key += alphabet[rng.int(0, 63)];
  return key;
}

/** Writes the fleet as a policies directory, replacing whatever was there. */
export async function writeFleet(fleet: GeneratedFleet, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const [path, text] of fleet.files) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}
