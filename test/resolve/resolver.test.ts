import { describe, expect, it } from 'vitest';
import { checkPolicies } from '../../src/pipeline.js';
import type { FleetModel, HostModel, ResolvedRule } from '../../src/model/index.js';
import { rangeToCidrs } from '../../src/net/address.js';
import type { AddressSet } from '../../src/net/address-set.js';
import { tempPolicies } from '../support/policy-dir.js';

const HOSTS = `hosts:
  web-01:
    addresses: [203.0.113.10, "2001:db8:203::10"]
    backend: nftables
    tags: [web]
  web-02:
    addresses: [203.0.113.11]
    backend: nftables
    tags: [web]
  db-01:
    addresses: ["2001:db8:20::20", 192.0.2.20]
    backend: iptables
`;

async function resolveFleet(files: Record<string, string>, today = '2026-11-22'): Promise<FleetModel> {
  const policies = tempPolicies({ copyBase: false });
  try {
    policies.write('hosts.yaml', HOSTS);
    for (const [path, text] of Object.entries(files)) policies.write(path, text);
    const result = await checkPolicies(policies.dir, { today, lint: false });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([]);
    return result.model!;
  } finally {
    policies.dispose();
  }
}

function cidrs(set: AddressSet): string[] {
  return [...set.ipv4.flatMap((r) => rangeToCidrs('ipv4', r)), ...set.ipv6.flatMap((r) => rangeToCidrs('ipv6', r))];
}

const host = (model: FleetModel, name: string): HostModel => model.hosts.find((h) => h.name === name)!;
const ruleIds = (rules: ResolvedRule[]) => rules.map((r) => r.id);

describe('resolver: networks', () => {
  it('flattens nested groups and keeps IPv4 and IPv6 apart', async () => {
    const model = await resolveFleet({
      'networks.yaml': `networks:
  a:
    include: [198.51.100.0/26, "2001:db8:a::/48"]
  b:
    include: [203.0.113.0/28]
  ab:
    include: [a, b]
  outer:
    include: [ab, 192.0.2.1]
`,
    });
    const outer = model.networks.get('outer')!;
    expect(cidrs(outer.addresses)).toEqual(['192.0.2.1/32', '198.51.100.0/26', '203.0.113.0/28', '2001:db8:a::/48']);
    expect(outer.addresses.ipv4).toHaveLength(3);
    expect(outer.addresses.ipv6).toHaveLength(1);
  });

  it('subtracts exclusions, including nested excluded groups and hosts', async () => {
    const model = await resolveFleet({
      'networks.yaml': `networks:
  office:
    include: [198.51.100.0/24, "2001:db8:5a::/48"]
    exclude: [guest, host:db-01]
  guest:
    include: [198.51.100.128/25, "2001:db8:5a:ff::/64"]
`,
    });
    const office = model.networks.get('office')!.addresses;
    expect(cidrs(office)).toEqual(['198.51.100.0/25', '2001:db8:5a::/57', '2001:db8:5a:80::/58', '2001:db8:5a:c0::/59', '2001:db8:5a:e0::/60', '2001:db8:5a:f0::/61', '2001:db8:5a:f8::/62', '2001:db8:5a:fc::/63', '2001:db8:5a:fe::/64', '2001:db8:5a:100::/56', '2001:db8:5a:200::/55', '2001:db8:5a:400::/54', '2001:db8:5a:800::/53', '2001:db8:5a:1000::/52', '2001:db8:5a:2000::/51', '2001:db8:5a:4000::/50', '2001:db8:5a:8000::/49']);
  });

  it('an exclusion of another family leaves the other family whole', async () => {
    const model = await resolveFleet({
      'networks.yaml': `networks:
  mixed:
    include: [192.0.2.0/24, "2001:db8::/64"]
    exclude: ["2001:db8::/64"]
`,
    });
    expect(cidrs(model.networks.get('mixed')!.addresses)).toEqual(['192.0.2.0/24']);
  });
});

describe('resolver: rules per host', () => {
  it('orders defaults first, then services by name, rules in file order; places by name and tag', async () => {
    const model = await resolveFleet({
      'defaults.yaml': 'defaults:\n  ingress:\n    - from: 198.51.100.0/28\n      ports: [tcp/22]\n',
      'services/zeta.yaml': 'service: zeta\nhosts: [web-01]\ningress:\n  - from: any\n    ports: [tcp/80]\n',
      'services/alpha.yaml':
        'service: alpha\nhosts: [tag:web]\ningress:\n  - from: any\n    ports: [tcp/443]\n  - from: 192.0.2.0/24\n    ports: [udp/53, tcp/53, tcp/54]\n',
    });
    expect(ruleIds(host(model, 'web-01').input)).toEqual(['defaults/ingress/0', 'alpha/ingress/0', 'alpha/ingress/1', 'zeta/ingress/0']);
    expect(ruleIds(host(model, 'web-02').input)).toEqual(['defaults/ingress/0', 'alpha/ingress/0', 'alpha/ingress/1']);
    expect(ruleIds(host(model, 'db-01').input)).toEqual(['defaults/ingress/0']);
    expect(host(model, 'web-01').services).toEqual(['alpha', 'zeta']);
    const dns = host(model, 'web-01').input[2]!;
    expect(dns.protocols).toEqual([
      { protocol: 'tcp', ports: [{ from: 53, to: 54 }] },
      { protocol: 'udp', ports: [{ from: 53, to: 53 }] },
    ]);
    expect(dns.span.start.line).toBe(6);
  });

  it('resolves service:<name> to the addresses of the hosts that run it, per family', async () => {
    const model = await resolveFleet({
      'services/app.yaml': 'service: app\nhosts: [tag:web]\negress:\n  - to: service:db\n    ports: [tcp/5432]\n',
      'services/db.yaml': 'service: db\nhosts: [db-01]\ningress:\n  - from: service:app\n    ports: [tcp/5432]\n',
    });
    expect(cidrs(host(model, 'db-01').input[0]!.peers)).toEqual(['203.0.113.10/31', '2001:db8:203::10/128']);
    expect(cidrs(host(model, 'web-02').output[0]!.peers)).toEqual(['192.0.2.20/32', '2001:db8:20::20/128']);
  });

  it('drops expired rules with a diagnostic and keeps rules that expire today', async () => {
    const policies = tempPolicies({ copyBase: false });
    try {
      policies.write('hosts.yaml', HOSTS);
      policies.write(
        'services/tmp.yaml',
        'service: tmp\nhosts: [web-01]\ningress:\n  - from: any\n    ports: [tcp/8080]\n    expires: 2026-11-21\n  - from: any\n    ports: [tcp/8081]\n    expires: 2026-11-22\n',
      );
      const result = await checkPolicies(policies.dir, { today: '2026-11-22', lint: false });
      expect(ruleIds(host(result.model!, 'web-01').input)).toEqual(['tmp/ingress/1']);
      expect(result.diagnostics.map((d) => `${d.code} ${d.span?.start.line}:${d.span?.start.column}`)).toContain('rule-expired 6:14');
    } finally {
      policies.dispose();
    }
  });

  it('omitted ports match every protocol; icmp types are merged and sorted', async () => {
    const model = await resolveFleet({
      'ports.yaml': 'ports:\n  ping: [icmp/echo-request, icmpv6/echo-request]\n  diag: [ping, icmp/time-exceeded]\n',
      'services/a.yaml': 'service: a\nhosts: [web-01]\ningress:\n  - from: any\n  - from: any\n    ports: [diag]\n',
    });
    const [all, diag] = host(model, 'web-01').input;
    expect(all!.protocols).toEqual([{ protocol: 'any' }]);
    expect(diag!.protocols).toEqual([
      { protocol: 'icmp', types: [8, 11] },
      { protocol: 'icmpv6', types: [128] },
    ]);
  });
});

describe('peer words newcomers write for every address', () => {
  it.each(['all', 'anywhere', 'internet'])('`from: %s` is an unknown reference that suggests `any`', async (word) => {
    const policies = tempPolicies({ copyBase: false });
    try {
      policies.write('hosts.yaml', HOSTS);
      policies.write('services/web.yaml', `service: web\ndescription: Web\nowners: [a <a@x.example>]\nhosts: [web-01]\ningress:\n  - description: Everyone\n    from: ${word}\n    ports: [tcp/443]\n`);
      const result = await checkPolicies(policies.dir, { today: '2026-11-22', lint: false });
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.span?.start.line}:${d.span?.start.column} ${d.message}`);
      expect(errors).toEqual([`unknown-reference 7:11 unknown network or host \`${word}\`; did you mean \`any\` (every address)?`]);
    } finally {
      policies.dispose();
    }
  });
});
