import { describe, expect, it } from 'vitest';
import { decide } from '../../src/access/index.js';
import { evaluate } from '../../src/evaluate/index.js';
import { parseAddress } from '../../src/net/address.js';
import { checkFixture } from './support.js';

/**
 * `ssh.allowFrom` in hosts.yaml narrows SSH on one host below the fleet defaults (a drop of every
 * other source, first on the host's input chain), and `ssh-lockout` stays right about it: the
 * deployer's own path (the admin addresses the host still allows, or its `ssh.proxyJump` host) must
 * keep SSH. The defaults' rule that the narrowing overrides on purpose is not reported as an anomaly.
 */
const HOSTS = (web: string, db = '') => `hosts:
  bastion-01:
    addresses: [203.0.113.5]
    backend: nftables
  web-01:
    addresses: [203.0.113.10, "2001:db8:203::10"]
    backend: nftables
${web}
  db-01:
    addresses: [192.0.2.20, "2001:db8:20::20"]
    backend: iptables
${db}
`;

const LINES = (host: string, line: string): string => `${host}: ${line}`;

async function check(files: Record<string, string>) {
  const { result } = await checkFixture(files);
  const shown = result.diagnostics
    .filter((d) => d.severity !== 'info')
    .map((d) => `${d.code} ${d.span!.file.split('/').pop()}:${d.span!.start.line}:${d.span!.start.column} ${d.message}`);
  return { result, shown };
}

describe('ssh.allowFrom narrows SSH on one host', () => {
  it('puts one drop rule first on the host, with its id, peers and span; other hosts keep the defaults', async () => {
    const { result, shown } = await check({ 'hosts.yaml': HOSTS('    ssh:\n      allowFrom: [198.51.100.0/30, "2001:db8:ad::/64"]') });
    expect(shown).toEqual([]);
    const web = result.model!.hosts.find((h) => h.name === 'web-01')!;
    const db = result.model!.hosts.find((h) => h.name === 'db-01')!;
    const first = web.input[0]!;
    expect([first.id, first.service, first.action, first.description]).toEqual(['hosts/ingress/2', 'hosts', 'drop', 'SSH to web-01 only from 198.51.100.0/30, 2001:db8:ad::/64']);
    expect(first.protocols).toEqual([{ protocol: 'tcp', ports: [{ from: 22, to: 22 }] }]);
    expect(`${first.span.start.line}:${first.span.start.column}`).toBe('9:18');
    expect(web.input[1]!.id).toBe('defaults/ingress/0');
    expect(db.input.map((r) => r.id)).toEqual(['defaults/ingress/0']);
  });

  it('drops SSH from the admin addresses it leaves out, accepts the rest; other ports are unchanged', async () => {
    const { result } = await check({ 'hosts.yaml': HOSTS('    ssh:\n      allowFrom: [198.51.100.0/30, "2001:db8:ad::/64"]') });
    const web = result.model!.hosts.find((h) => h.name === 'web-01')!;
    const chain = result.access!.chain(web, 'ingress');
    const packet = (source: string, port: number) =>
      evaluate(web, result.model!.baseline, { direction: 'ingress', family: source.includes(':') ? 'ipv6' : 'ipv4', source, destination: source.includes(':') ? '2001:db8:203::10' : '203.0.113.10', protocol: 'tcp', port, state: 'new' });
    const cases: Array<[string, number, string]> = [
      ['198.51.100.2', 22, 'accept defaults/ingress/0'],
      ['198.51.100.9', 22, 'drop hosts/ingress/2'],
      ['2001:db8:ad::7', 22, 'accept defaults/ingress/0'],
      ['198.51.100.70', 443, 'accept portal/ingress/0'],
      ['198.51.100.9', 443, 'drop (default drop)'],
    ];
    for (const [source, port, expected] of cases) {
      const e = packet(source, port);
      expect(`${e.verdict} ${e.rule?.id ?? '(default drop)'}`, `${source} tcp/${port}`).toBe(expected);
      const address = parseAddress(source);
      if (!address.ok) throw new Error(source);
      const decided = decide(chain, address.value.family, 'tcp', address.value.value, port);
      expect(`${decided.verdict} ${'rule' in decided ? decided.rule.id : '(default drop)'}`, `access model: ${source} tcp/${port}`).toBe(expected);
    }
  });

  it('narrows the host own SSH port', async () => {
    const { result } = await check({ 'hosts.yaml': HOSTS('    ssh:\n      port: 2222\n      allowFrom: admin'), 'defaults.yaml': 'defaults:\n  ingress:\n    - from: admin\n      ports: [tcp/22, tcp/2222]\n' });
    const web = result.model!.hosts.find((h) => h.name === 'web-01')!;
    expect(web.input[0]!.protocols).toEqual([{ protocol: 'tcp', ports: [{ from: 2222, to: 2222 }] }]);
  });

  it('reports an unknown peer name at its place in allowFrom', async () => {
    const { shown } = await check({ 'hosts.yaml': HOSTS('    ssh:\n      allowFrom: [admin, bastoin-01]') });
    expect(shown.filter((s) => s.startsWith('unknown-reference'))).toEqual([expect.stringMatching(/^unknown-reference hosts\.yaml:9:26 .*bastoin-01.*did you mean `bastion-01`\?/)]);
  });

  it('refuses a service named `hosts`', async () => {
    const { shown } = await check({ 'services/hosts.yaml': 'service: hosts\ndescription: x\nowners: [A <a@city.example>, B <b@city.example>]\nhosts: [web-01]\n' });
    expect(shown).toContain('reserved-name hosts.yaml:1:10 `hosts` is reserved for the rules of `ssh.allowFrom` in hosts.yaml; rename the service');
  });
});

describe('ssh-lockout with ssh.allowFrom and ssh.proxyJump', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['narrowed to part of the admin network: the deployer comes from what is left', { 'hosts.yaml': HOSTS('    ssh:\n      allowFrom: [198.51.100.0/30, "2001:db8:ad::/64"]') }, []],
    [
      'narrowed to the bastion without a proxyJump: the admins lose SSH',
      { 'hosts.yaml': HOSTS('    ssh:\n      allowFrom: bastion-01') },
      [
        LINES(
          'ssh-lockout hosts.yaml:5:3',
          '`web-01` would not accept SSH (tcp/22) from any admin network: all of `admin` (198.51.100.0/28, 2001:db8:ad::/64) would lose SSH; refused by `hosts/ingress/2`; a deploy would lock you out',
        ),
      ],
    ],
    [
      'narrowed to the bastion and reached through it, the defaults accepting it',
      {
        'hosts.yaml': HOSTS('    ssh:\n      allowFrom: bastion-01\n      proxyJump: bastion-01'),
        'defaults.yaml': 'defaults:\n  ingress:\n    - from: [admin, bastion-01]\n      ports: [ssh]\n',
      },
      [],
    ],
    [
      'reached through a bastion that no rule accepts SSH from',
      { 'hosts.yaml': HOSTS('    ssh:\n      allowFrom: bastion-01\n      proxyJump: bastion-01') },
      [
        LINES(
          'ssh-lockout hosts.yaml:5:3',
          '`web-01` would not accept SSH (tcp/22) from its jump host `bastion-01` (203.0.113.5/32) (`ssh.proxyJump`); no rule accepts it, so the default drop decides; a deploy would lock you out',
        ),
      ],
    ],
    [
      'reached through a bastion the narrowing leaves out',
      {
        'hosts.yaml': HOSTS('    ssh:\n      allowFrom: admin\n      proxyJump: bastion-01'),
        'defaults.yaml': 'defaults:\n  ingress:\n    - from: [admin, bastion-01]\n      ports: [ssh]\n',
      },
      [
        LINES(
          'ssh-lockout hosts.yaml:5:3',
          '`web-01` would not accept SSH (tcp/22) from its jump host `bastion-01` (203.0.113.5/32) (`ssh.proxyJump`); refused by `hosts/ingress/2`; a deploy would lock you out',
        ),
      ],
    ],
  ];

  it.each(cases)('%s', async (_title, files, expected) => {
    const { shown } = await check(files);
    // The bastion is outside the admin network here, so accepting SSH from it is rightly a warning of its own.
    const found = shown.filter((s) => !s.startsWith('admin-port-outside-admin ')).map((s) => s.replace(/^(\S+ \S+) /, '$1: '));
    expect(found).toEqual(expected);
  });
});
