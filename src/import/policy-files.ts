/**
 * Writing the imported policy: draft rules → a policies directory as YAML text (path → text).
 *
 * - Services: one per group of rules with the same key (the source comment, else the destination
 *   ports' well-known name, else what the rule does), per direction. benteng orders services by name,
 *   so groups keep their plain names when name order keeps every pair of overlapping rules with
 *   different actions in source order; otherwise they are numbered (`in-01-ssh`) in a topological
 *   order of those constraints, split into runs of the source order when the constraints cycle.
 * - Networks: peer lists used by more than one rule, or longer than three blocks; a peer that is
 *   "everything but X" becomes a network with `exclude`.
 * - Port sets: port lists of more than one entry used by more than one rule.
 * - Hosts: one host; defaults: the chosen baseline.
 * Output is deterministic: the same ruleset and options give the same bytes.
 */
import type { AddressRange, Family } from '../net/address.js';
import { rangeToCidrs } from '../net/address.js';
import { subtractRanges, fullRange } from '../net/address-set.js';
import type { ImportBaseline } from './baseline.js';
import type { ImportFamily, ImportedRule } from './ruleset.js';
import { type DraftRule, draftsOverlap } from './translate.js';

export interface HostOptions {
  name: string;
  addresses: string[];
  /** True when the addresses are placeholders the user must replace. */
  addressesAreTodo: boolean;
  backend: 'nftables' | 'iptables';
  ssh?: { address: string; port: number; user: string; hostKey?: string };
}

/** Where a service's rule came from, for comments and the report. */
export interface PlacedRule {
  service: string;
  direction: 'ingress' | 'egress';
  index: number;
  draft: DraftRule;
}

const WELL_KNOWN: Record<string, string> = {
  'tcp/20': 'ftp-data',
  'tcp/21': 'ftp',
  'tcp/22': 'ssh',
  'tcp/23': 'telnet',
  'tcp/25': 'smtp',
  'tcp/53': 'dns',
  'udp/53': 'dns',
  'udp/67': 'dhcp',
  'udp/68': 'dhcp',
  'tcp/80': 'http',
  'tcp/110': 'pop3',
  'udp/123': 'ntp',
  'tcp/139': 'netbios',
  'tcp/143': 'imap',
  'udp/161': 'snmp',
  'tcp/389': 'ldap',
  'tcp/443': 'https',
  'udp/443': 'https',
  'tcp/445': 'smb',
  'tcp/465': 'smtps',
  'udp/500': 'ipsec',
  'udp/514': 'syslog',
  'tcp/587': 'submission',
  'tcp/636': 'ldaps',
  'tcp/993': 'imaps',
  'tcp/995': 'pop3s',
  'udp/1194': 'openvpn',
  'tcp/1433': 'mssql',
  'tcp/2049': 'nfs',
  'tcp/3306': 'mysql',
  'tcp/3389': 'rdp',
  'tcp/5432': 'postgres',
  'tcp/5672': 'amqp',
  'tcp/6379': 'redis',
  'tcp/8080': 'http-alt',
  'tcp/8443': 'https-alt',
  'tcp/9090': 'prometheus',
  'tcp/9100': 'node-exporter',
  'tcp/9200': 'elasticsearch',
  'tcp/11211': 'memcached',
  'tcp/27017': 'mongodb',
  'udp/51820': 'wireguard',
};

/** A policy name (`^[a-z][a-z0-9-]{0,47}$`) from free text. */
export function slug(text: string, max = 40): string {
  let s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  if (!/^[a-z]/.test(s)) s = `r-${s}`.replace(/-+$/, '');
  return s === 'r' || s === '' ? 'rule' : s;
}

function portName(spec: string): string {
  const known = WELL_KNOWN[spec];
  if (known) return known;
  if (spec.startsWith('icmp')) return spec.startsWith('icmpv6') ? 'icmpv6' : 'icmp';
  return spec.replace('/', '-');
}

/** A source comment as people read it: ufw's quotes and %-escapes removed. */
export function commentText(comment: string): string {
  const unquoted = comment.replace(/^'(.*)'$/s, '$1');
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return unquoted;
  }
}

/** The first comment of the rule's source rules or of the jumps that led to them. */
function ruleComment(rule: DraftRule): string | undefined {
  const comment = rule.origins.find((o) => o.comment)?.comment ?? rule.origins.flatMap((o) => rule.via.get(o) ?? []).find((o) => o.comment)?.comment;
  return comment === undefined ? undefined : commentText(comment);
}

/** What a rule is about, for grouping it with others into a service. */
function groupKey(rule: DraftRule): string {
  const comment = ruleComment(rule);
  if (comment) {
    const key = slug(comment, 36);
    return key === 'defaults' ? 'defaults-rules' : key;
  }
  if (rule.policyOf) return rule.direction === 'ingress' ? 'policy-accept' : 'policy-accept';
  if (rule.ports && rule.ports.length > 0) {
    const names = [...new Set(rule.ports.map(portName))];
    return slug(names.slice(0, 3).join('-'), 36);
  }
  if (rule.action === 'accept') return 'trusted-peers';
  return 'blocked-peers';
}

function yamlScalar(text: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(text) && !/^[0-9.]+$/.test(text) ? text : JSON.stringify(text);
}

function flow(items: readonly string[]): string {
  return `[${items.map(yamlScalar).join(', ')}]`;
}

function cidrsOf(family: Family, ranges: AddressRange[]): string[] {
  return ranges.flatMap((r) => rangeToCidrs(family, r));
}

function isFullFamily(family: Family, ranges: AddressRange[]): boolean {
  return ranges.length === 1 && ranges[0]!.start === 0n && ranges[0]!.end === fullRange(family).end;
}

interface PeerPlan {
  /** What the rule writes in `from`/`to`. */
  peers: string[];
}

/** Names networks for recurring or long peer lists; returns how each rule writes its peers. */
class NetworkNamer {
  readonly networks = new Map<string, { include: string[]; exclude?: string[]; description: string }>();
  private readonly byKey = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  count(rule: DraftRule): void {
    if ((['ipv4', 'ipv6'] as const).some((f) => rule.peers[f] && isFullFamily(f, rule.peers[f]!))) return;
    const key = this.key(rule);
    if (key) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private key(rule: DraftRule): string | undefined {
    const parts = (['ipv4', 'ipv6'] as const).filter((f) => rule.peers[f]).map((f) => `${f}:${cidrsOf(f, rule.peers[f]!).join(',')}`);
    return parts.length > 0 ? parts.join(' ') : undefined;
  }

  plan(rule: DraftRule): PeerPlan {
    const families = (['ipv4', 'ipv6'] as const).filter((f) => rule.peers[f]);
    const full = families.map((f) => rule.peers[f]!.length === 1 && rule.peers[f]![0]!.start === 0n && rule.peers[f]![0]!.end === fullRange(f).end);
    if (families.length === 2 && full.every(Boolean)) return { peers: ['any'] };
    if (families.length === 1 && full[0]) return { peers: [families[0] === 'ipv4' ? '0.0.0.0/0' : '::/0'] };
    const include: string[] = [];
    const exclude: string[] = [];
    let negated = false;
    for (const family of families) {
      const ranges = rule.peers[family]!;
      const direct = cidrsOf(family, ranges);
      const complement = cidrsOf(family, subtractRanges([fullRange(family)], ranges));
      if (complement.length > 0 && complement.length < direct.length && complement.length <= 4) {
        negated = true;
        include.push(family === 'ipv4' ? '0.0.0.0/0' : '::/0');
        exclude.push(...complement);
      } else include.push(...direct);
    }
    const key = this.key(rule)!;
    const recurring = (this.counts.get(key) ?? 0) > 1;
    if (!negated && !recurring && include.length <= 3) return { peers: include };
    let name = this.byKey.get(key);
    if (!name) {
      const comment = ruleComment(rule);
      const plain = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 36);
      const base = negated ? `not-${plain(exclude[0]!)}` : comment && !recurring ? slug(`${comment}-peers`, 40) : `net-${plain(include[0]!)}`;
      name = base;
      for (let n = 2; [...this.networks.keys()].includes(name); n++) name = `${base}-${n}`;
      const description = negated ? `Every address except ${exclude.join(', ')} (from a negated match in the source)` : `Addresses that ${recurring ? `${this.counts.get(key)} imported rules use` : 'an imported rule uses'}`;
      this.networks.set(name, negated ? { include, exclude, description } : { include, description });
      this.byKey.set(key, name);
    }
    return { peers: [name] };
  }
}

class PortNamer {
  readonly sets = new Map<string, string[]>();
  private readonly byKey = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  count(rule: DraftRule): void {
    if (rule.ports && rule.ports.length > 1) this.counts.set(rule.ports.join(','), (this.counts.get(rule.ports.join(',')) ?? 0) + 1);
  }

  plan(ports: string[] | undefined): string[] | undefined {
    if (!ports || ports.length < 2) return ports;
    const key = ports.join(',');
    if ((this.counts.get(key) ?? 0) < 2) return ports;
    let name = this.byKey.get(key);
    if (!name) {
      const base = slug([...new Set(ports.map(portName))].slice(0, 3).join('-'), 36);
      name = base;
      for (let n = 2; this.sets.has(name); n++) name = `${base}-${n}`;
      this.sets.set(name, ports);
      this.byKey.set(key, name);
    }
    return [name];
  }
}

interface Group {
  key: string;
  direction: 'ingress' | 'egress';
  rules: DraftRule[];
  first: number;
}

/** Groups one direction's rules into services whose name order keeps the source's decisions. */
function groupDirection(rules: DraftRule[], direction: 'ingress' | 'egress'): Array<{ name: string; rules: DraftRule[] }> {
  if (rules.length === 0) return [];
  const suffix = direction === 'egress' ? '-out' : '';
  const build = (keyOf: (rule: DraftRule, i: number) => string): Group[] => {
    const groups = new Map<string, Group>();
    rules.forEach((rule, i) => {
      const key = keyOf(rule, i);
      let group = groups.get(key);
      if (!group) {
        group = { key, direction, rules: [], first: i };
        groups.set(key, group);
      }
      group.rules.push(rule);
    });
    return [...groups.values()];
  };
  // Cheap bounds first (protocols present, peer span per family), so the exact test runs on few pairs.
  const bounds = rules.map((rule) => {
    let protocols = 0;
    const span: Partial<Record<ImportFamily, [bigint, bigint]>> = {};
    for (const box of rule.boxes) {
      protocols |= (box.protocols.tcp.length > 0 ? 1 : 0) | (box.protocols.udp.length > 0 ? 2 : 0) | (box.protocols.icmp.length > 0 ? 4 : 0) | (box.protocols.other ? 8 : 0);
      const [first, last] = [box.peer[0], box.peer[box.peer.length - 1]];
      if (!first || !last) continue;
      const known = span[box.family];
      span[box.family] = known ? [known[0] < first.start ? known[0] : first.start, known[1] > last.end ? known[1] : last.end] : [first.start, last.end];
    }
    return { protocols, span };
  });
  const mayOverlap = (i: number, j: number): boolean => {
    const a = bounds[i]!;
    const b = bounds[j]!;
    if ((a.protocols & b.protocols) === 0) return false;
    return (['ipv4', 'ipv6'] as const).some((f) => a.span[f] && b.span[f] && a.span[f]![0] <= b.span[f]![1] && b.span[f]![0] <= a.span[f]![1]);
  };
  const constraints = (groupOf: Map<DraftRule, Group>): Array<[Group, Group]> => {
    const out: Array<[Group, Group]> = [];
    const seen = new Set<string>();
    for (let i = 0; i < rules.length; i++) {
      for (let j = i + 1; j < rules.length; j++) {
        const a = rules[i]!;
        const b = rules[j]!;
        const ga = groupOf.get(a)!;
        const gb = groupOf.get(b)!;
        if (a.action === b.action || ga === gb) continue;
        const key = `${ga.first}\0${gb.first}`;
        if (seen.has(key) || !mayOverlap(i, j)) continue;
        if (draftsOverlap(a, b)) {
          seen.add(key);
          out.push([ga, gb]);
        }
      }
    }
    return out;
  };
  const index = (groups: Group[]) => new Map(groups.flatMap((g) => g.rules.map((r) => [r, g] as [DraftRule, Group])));

  let groups = build((rule) => groupKey(rule));
  let edges = constraints(index(groups));
  const plainName = (g: Group) => `${g.key}${suffix}`;
  if (edges.every(([a, b]) => plainName(a) < plainName(b))) {
    return groups.sort((a, b) => (plainName(a) < plainName(b) ? -1 : 1)).map((g) => ({ name: plainName(g), rules: g.rules }));
  }
  let order = topologicalOrder(groups, edges);
  if (!order) {
    let run = 0;
    let previous = '';
    groups = build((rule) => {
      const key = groupKey(rule);
      if (key !== previous) run++;
      previous = key;
      return `${run}\0${key}`;
    });
    for (const g of groups) g.key = g.key.split('\0')[1]!;
    edges = constraints(index(groups));
    order = topologicalOrder(groups, edges) ?? groups;
  }
  order = mergeDispatched(order);
  const width = String(order.length).length < 2 ? 2 : String(order.length).length;
  const prefix = direction === 'ingress' ? 'in' : 'out';
  return order.map((g, i) => ({ name: `${prefix}-${String(i + 1).padStart(width, '0')}-${g.key}`.slice(0, 48).replace(/-+$/, ''), rules: g.rules }));
}

/**
 * The chain whose rules sent the packet to an unconditional verdict rule (ufw's `ufw-after-input` rules
 * jumping to `ufw-skip-to-policy-input`, whose only rule is `-j DROP`), when the draft came from one.
 */
function dispatchingChain(rule: DraftRule): string | undefined {
  if (rule.origins.length === 0) return undefined;
  const chains = rule.origins.map((origin) => {
    const path = rule.via.get(origin) ?? [];
    const bare = !origin.source && !origin.destination && origin.protocol === undefined && !origin.destinationPorts && !origin.states && !origin.inInterface && !origin.outInterface;
    return bare && path.length > 0 ? path[path.length - 1]!.chain : undefined;
  });
  return chains.every((c) => c !== undefined && c === chains[0]) ? chains[0] : undefined;
}

/**
 * Joins neighbours in service order whose rules all come from the same dispatching chain with the same
 * action (one service for ufw's "skip to policy" drops rather than one per port). Joining two
 * neighbours of a valid order keeps it valid: whatever had to precede or follow either still does.
 */
function mergeDispatched(order: Group[]): Group[] {
  const out: Group[] = [];
  const signature = (g: Group): string | undefined => {
    const chains = g.rules.map(dispatchingChain);
    const actions = new Set(g.rules.map((r) => r.action));
    return chains.every((c) => c !== undefined && c === chains[0]) && actions.size === 1 && !g.rules.some((r) => r.origins.some((o) => o.comment)) ? `${chains[0]}\0${[...actions][0]}` : undefined;
  };
  for (const group of order) {
    const last = out[out.length - 1];
    const mine = signature(group);
    if (last && mine !== undefined && signature(last) === mine) {
      out[out.length - 1] = { ...last, key: slug(mine.split('\0')[0]!, 36), rules: [...last.rules, ...group.rules] };
      continue;
    }
    out.push(group);
  }
  return out;
}

function topologicalOrder(groups: Group[], edges: Array<[Group, Group]>): Group[] | undefined {
  const incoming = new Map(groups.map((g) => [g, 0]));
  const outgoing = new Map(groups.map((g) => [g, [] as Group[]]));
  for (const [a, b] of edges) {
    incoming.set(b, incoming.get(b)! + 1);
    outgoing.get(a)!.push(b);
  }
  const ready = groups.filter((g) => incoming.get(g) === 0);
  const out: Group[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a.first - b.first);
    const g = ready.shift()!;
    out.push(g);
    for (const next of outgoing.get(g)!) {
      incoming.set(next, incoming.get(next)! - 1);
      if (incoming.get(next) === 0) ready.push(next);
    }
  }
  return out.length === groups.length ? out : undefined;
}

function originText(origin: ImportedRule): string {
  const where = `${origin.location.file}:${origin.location.line}`;
  return `${where}: ${origin.text}`.replace(/[\r\n]/g, ' ').slice(0, 300);
}

function describeRule(rule: DraftRule): string | undefined {
  const comment = ruleComment(rule);
  if (comment) return comment.slice(0, 500);
  if (rule.policyOf) return rule.policyOf.startsWith('no ') ? `The source has ${rule.policyOf}` : `The source's ${rule.policyOf}: everything not decided above is accepted`;
  return undefined;
}

export interface PolicyFiles {
  files: Map<string, string>;
  placed: PlacedRule[];
  services: string[];
}

/** Renders the whole policies directory. `sourceNames` name the inputs in headers. */
export function writePolicyFiles(drafts: { ingress: DraftRule[]; egress: DraftRule[] }, baseline: ImportBaseline, host: HostOptions, sourceNames: string[]): PolicyFiles {
  const files = new Map<string, string>();
  const networks = new NetworkNamer();
  const ports = new PortNamer();
  for (const rule of [...drafts.ingress, ...drafts.egress]) {
    networks.count(rule);
    ports.count(rule);
  }
  const header = `# Imported by \`benteng import\` from ${sourceNames.join(', ')}. Review every TODO.\n`;

  const hostLines = [header.trimEnd(), 'hosts:', `  ${host.name}:`, `    description: ${JSON.stringify(`Imported from ${sourceNames.join(', ')}`.slice(0, 500))}`];
  if (host.addressesAreTodo) hostLines.push("    # TODO: the host's real addresses (these are placeholders from the documentation ranges)");
  hostLines.push(`    addresses: ${flow(host.addresses)}`);
  if (host.ssh) hostLines.push(`    ssh: { address: ${yamlScalar(host.ssh.address)}, port: ${host.ssh.port}, user: ${yamlScalar(host.ssh.user)}${host.ssh.hostKey ? `, hostKey: ${JSON.stringify(host.ssh.hostKey)}` : ''} }`);
  else hostLines.push('    # TODO: ssh: { address: …, port: 22, user: …, hostKey: "SHA256:…" }');
  hostLines.push(`    backend: ${host.backend}`);
  files.set('hosts.yaml', `${hostLines.join('\n')}\n`);

  files.set(
    'defaults.yaml',
    [
      header.trimEnd(),
      '# The baseline was chosen to decide as the source did (see IMPORT-REPORT.md).',
      'defaults:',
      `  established: ${baseline.established}`,
      `  loopback: ${baseline.loopback}`,
      `  icmp: ${baseline.icmp}`,
      '',
    ].join('\n'),
  );

  const placed: PlacedRule[] = [];
  const services = new Map<string, { ingress: DraftRule[]; egress: DraftRule[] }>();
  for (const direction of ['ingress', 'egress'] as const) {
    for (const group of groupDirection(drafts[direction], direction)) {
      let name = group.name;
      for (let n = 2; services.has(name); n++) name = `${group.name}-${n}`.slice(0, 48);
      services.set(name, { ingress: direction === 'ingress' ? group.rules : [], egress: direction === 'egress' ? group.rules : [] });
    }
  }
  const serviceNames = [...services.keys()].sort();
  const ruleLines = (rule: DraftRule, direction: 'ingress' | 'egress'): string[] => {
    const lines: string[] = [];
    for (const origin of rule.origins) {
      for (const via of rule.via.get(origin) ?? []) lines.push(`  # via ${originText(via)}`);
      lines.push(`  # ${originText(origin)}`);
    }
    if (rule.policyOf) lines.push(`  # ${rule.policyOf}`);
    const description = describeRule(rule);
    lines.push(`  - ${description ? `description: ${JSON.stringify(description)}` : ''}`);
    const peerKey = direction === 'ingress' ? 'from' : 'to';
    const peers = networks.plan(rule).peers;
    const first = description ? '    ' : '';
    const fields = [`${peerKey}: ${peers.length === 1 ? yamlScalar(peers[0]!) : flow(peers)}`];
    const portList = ports.plan(rule.ports);
    if (portList) fields.push(`ports: ${flow(portList)}`);
    if (rule.action !== 'accept') fields.push(`action: ${rule.action}`);
    if (description) lines.push(...fields.map((f) => `${first}${f}`));
    else {
      lines[lines.length - 1] = `  - ${fields[0]}`;
      lines.push(...fields.slice(1).map((f) => `    ${f}`));
    }
    return lines;
  };
  for (const name of serviceNames) {
    const service = services.get(name)!;
    const lines = [header.trimEnd(), `service: ${name}`];
    const all = [...service.ingress, ...service.egress];
    const comment = all.map(ruleComment).find((c) => c !== undefined);
    const lineList = [...new Set(all.flatMap((r) => r.origins.map((o) => `${o.location.file}:${o.location.line}`)))];
    const policies = [...new Set(all.map((r) => r.policyOf).filter((p): p is string => p !== undefined))];
    const summary = comment ? comment : lineList.length > 0 ? `Imported rules (${lineList.slice(0, 6).join(', ')}${lineList.length > 6 ? ', …' : ''})` : `Imported: ${policies.join(', ')}`;
    lines.push(`description: ${JSON.stringify(summary.slice(0, 500))}`);
    lines.push('# TODO: the people to call about this service (at least two)', 'owners: [TODO]', `hosts: [${host.name}]`);
    for (const direction of ['ingress', 'egress'] as const) {
      if (service[direction].length === 0) continue;
      lines.push(`${direction}:`);
      service[direction].forEach((rule, index) => {
        lines.push(...ruleLines(rule, direction));
        placed.push({ service: name, direction, index, draft: rule });
      });
    }
    files.set(`services/${name}.yaml`, `${lines.join('\n')}\n`);
  }

  if (networks.networks.size > 0) {
    const lines = [header.trimEnd(), 'networks:'];
    for (const [name, network] of [...networks.networks].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`  ${name}:`, `    description: ${JSON.stringify(network.description)}`, `    include: ${flow(network.include)}`);
      if (network.exclude) lines.push(`    exclude: ${flow(network.exclude)}`);
    }
    files.set('networks.yaml', `${lines.join('\n')}\n`);
  }
  if (ports.sets.size > 0) {
    const lines = [header.trimEnd(), 'ports:'];
    for (const [name, list] of [...ports.sets].sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`  ${name}: ${flow(list)}`);
    files.set('ports.yaml', `${lines.join('\n')}\n`);
  }
  return { files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))), placed, services: serviceNames };
}

export type { ImportFamily };
