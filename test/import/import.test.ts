import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEquivalence, importRuleset, type ImportResult, mergeRulesets, readRulesetText } from '../../src/import/index.js';
import { parseIptablesSave } from '../../src/import/iptables-save.js';
import { checkPolicyFiles } from '../../src/import/policy-check.js';
import type { ImportedChain, ImportedRule, ImportedRuleset } from '../../src/import/ruleset.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const read = (name: string) => readRulesetText(readFileSync(join(FIXTURES, name), 'utf8'), name);

function importFixture(names: string[], addresses = ['203.0.113.10']): ImportResult {
  return importRuleset(mergeRulesets(...names.map(read)), { host: 'web-01', addresses, equivalence: { packets: 3000, seed: 7 } });
}

/** `service/direction/index` → the source lines its comment names, in policy order. */
function placement(result: ImportResult): string[] {
  const out: string[] = [];
  for (const service of result.services) {
    const text = result.files.get(`services/${service}.yaml`)!;
    let direction = '';
    let index = -1;
    let pending: string[] = [];
    for (const line of text.split('\n')) {
      if (/^(ingress|egress):$/.test(line)) {
        direction = line.slice(0, -1);
        index = -1;
        continue;
      }
      const comment = /^ {2}# (?!via|benteng)([^:]+):(\d+):/.exec(line);
      if (comment) pending.push(comment[2]!);
      const policy = /^ {2}# (.+ policy (?:accept|drop))$/.exec(line);
      if (policy) pending.push(policy[1]!);
      if (/^ {2}- /.test(line)) {
        index++;
        out.push(`${service}/${direction}/${index} <- ${pending.join(',')}`);
        pending = [];
      }
    }
  }
  return out;
}

function entries(result: ImportResult, kind?: string): Array<[number | undefined, string]> {
  return result.report.filter((e) => kind === undefined || e.kind === kind).map((e) => [e.location?.line, e.reason]);
}

function expectCleanPolicy(result: ImportResult): void {
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const again = checkPolicyFiles(result.files, 'policies');
  expect(again.model?.hosts.map((h) => h.name)).toEqual(['web-01']);
  expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
}

describe('import: a plain -A INPUT list with policy DROP', () => {
  const result = importFixture(['plain-drop.rules']);

  it('keeps the first-match order with services named in order', () => {
    expect(result.baseline).toEqual({ established: true, loopback: true, icmp: 'none' });
    expect(placement(result)).toEqual([
      'blocked-peers/ingress/0 <- 9',
      'http-https/ingress/0 <- 11',
      'icmp/ingress/0 <- 14',
      'policy-accept-out/egress/0 <- filter OUTPUT policy accept',
      'postgres/ingress/0 <- 12',
      'postgres/ingress/1 <- 13',
      'ssh-from-the-admin-office/ingress/0 <- 10',
    ]);
    expect(result.files.get('services/postgres.yaml')).toContain('action: reject');
    expect(result.files.get('services/ssh-from-the-admin-office.yaml')).toContain('description: "ssh from the admin office"');
    expect(result.files.get('services/postgres.yaml')).toContain('owners: [TODO]');
  });

  it('reports the rate-limited rule with its line, and notes the logging rule', () => {
    expect(entries(result, 'not-imported')).toEqual([[15, 'benteng cannot express rate limit (`-m limit --limit 10/sec`); the rule is left out']]);
    expect(entries(result, 'note')).toEqual([[16, 'not imported: benteng logs its drops itself (`logDrops` in defaults.yaml)']]);
  });

  it('decides as the source on random packets, and passes lint', () => {
    expect(result.equivalence).toMatchObject({ packets: 3000, unexplained: 0 });
    expectCleanPolicy(result);
  });

  it('keeps an address of a family the source does not filter, and says so', () => {
    const dual = importFixture(['plain-drop.rules'], ['203.0.113.10', '2001:db8:10::10']);
    expect(dual.host.addresses).toEqual(['203.0.113.10', '2001:db8:10::10']);
    expect(dual.report.filter((e) => e.text.startsWith('no ip6tables-save')).map((e) => e.kind)).toEqual(['note']);
  });

  it('guesses the host address from the rules, or writes a placeholder with a TODO', () => {
    const guessed = importRuleset(read('ip6tables.rules'), { equivalence: { packets: 100 } });
    expect(guessed.host).toMatchObject({ name: 'imported-host', addresses: ['2001:db8:10::10'], addressesAreTodo: false });
    const placeholder = importRuleset(read('plain-drop.rules'), { equivalence: { packets: 100 } });
    expect(placeholder.host).toMatchObject({ addresses: ['192.0.2.1'], addressesAreTodo: true });
    expect(placeholder.files.get('hosts.yaml')).toContain("# TODO: the host's real addresses");
    expectCleanPolicy({ ...placeholder, files: new Map([...placeholder.files].map(([p, t]) => [p, t.replace('imported-host', 'web-01').replace(/hosts: \[imported-host\]/g, 'hosts: [web-01]')])) });
  });
});

describe('import: policy ACCEPT ending in a REJECT', () => {
  const result = importFixture(['accept-reject.rules']);

  it('drops the dead policy rule after the REJECT and keeps the OUTPUT policy as an explicit accept', () => {
    expect(placement(result)).toEqual([
      'blocked-peers-out/egress/0 <- 14',
      'in-01-icmp/ingress/0 <- 8',
      'in-02-ssh/ingress/0 <- 9',
      'in-03-http/ingress/0 <- 10',
      'in-04-https/ingress/0 <- 11',
      'in-05-tcp-8000-8100/ingress/0 <- 12',
      'in-06-blocked-peers/ingress/0 <- 13',
      'policy-accept-out/egress/0 <- filter OUTPUT policy accept',
    ]);
  });

  it('suppresses the SSH-from-anywhere lint error with a reason, and says so in the report', () => {
    expect(result.files.get('services/in-02-ssh.yaml')).toMatch(/# benteng-disable-next-line sensitive-port-internet -- imported as the source ruleset decides it/);
    expect(entries(result, 'note').map(([, reason]) => reason)).toContain('lint `sensitive-port-internet` (an error) suppressed with a comment: the source ruleset allows this; decide whether it should');
    expectCleanPolicy(result);
  });

  it('names the OUTPUT drop that the established baseline overrides, and explains those packets', () => {
    expect(entries(result, 'approximated')).toEqual([[14, "benteng's baseline accepts packets of established and related connections (IPv4 output) before any rule; this source rule refused some of them"]]);
    expect(result.equivalence.unexplained).toBe(0);
    expect(result.equivalence.explained).toBeGreaterThan(0);
  });
});

describe('import: ufw', () => {
  const result = importFixture(['ufw.rules']);

  it('inlines ufw chains: jumps, RETURNs of ufw-not-local, skip-to-policy gotos', () => {
    const placed = placement(result);
    expect(placed.slice(0, 6)).toEqual([
      'in-01-icmp/ingress/0 <- 75',
      'in-01-icmp/ingress/1 <- 76',
      'in-01-icmp/ingress/2 <- 77',
      'in-01-icmp/ingress/3 <- 78',
      'in-02-ssh/ingress/0 <- 109',
      'in-03-dapp-nginx-full/ingress/0 <- 103',
    ]);
    expect(placed).toContain('in-05-blocked-peers/ingress/0 <- 105');
    expect(placed).toContain('in-07-ufw-after-input/ingress/0 <- 96');
    expect(placed).toContain('in-07-ufw-after-input/ingress/5 <- 96');
    expect(result.files.get('services/in-02-ssh.yaml')).toContain('# via ufw.rules:102: -A ufw-user-input -p tcp -m tcp --dport 22 -j ufw-user-limit-accept');
    expect(result.files.get('services/in-03-dapp-nginx-full.yaml')).toContain('description: "dapp_Nginx Full"');
  });

  it("reports ufw's rate limit, its forwarding chains, and notes the multicast rules", () => {
    expect(entries(result, 'not-imported')).toEqual([
      [44, 'forwarded traffic (the host routing for others) is not part of a host policy'],
      [79, 'benteng cannot express source ports (`67`); the rule is left out'],
      [101, expect.stringContaining('recent-address tracking (rate limit)')],
    ]);
    expect(entries(result, 'note').map(([line]) => line)).toEqual(expect.arrayContaining([81, 82, 91, 92]));
  });

  it('decides as the source on random packets, and passes lint', () => {
    expect(result.equivalence.unexplained).toBe(0);
    expectCleanPolicy(result);
  });
});

describe("import: Docker's chains and a fail2ban chain alongside", () => {
  const result = importFixture(['docker-fail2ban.rules']);

  it('leaves other software out with a note, and imports the rest', () => {
    expect(result.report.filter((e) => e.kind === 'left-out').map((e) => [e.location?.line, e.text])).toEqual([
      [8, 'Docker: 17 rules in filter DOCKER, filter DOCKER-ISOLATION-STAGE-1, filter DOCKER-ISOLATION-STAGE-2, filter DOCKER-USER, nat DOCKER'],
      [32, 'fail2ban: 3 rules in filter f2b-sshd'],
      [33, '-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd'],
    ]);
    expect(result.services).toEqual(['icmp', 'node-exporter-for-monitoring', 'policy-accept-out', 'public-website', 'ssh']);
    expect(result.baseline.icmp).toBe('essential');
  });

  it('reports NAT, marks, interfaces and ipsets with their lines', () => {
    expect(entries(result, 'not-imported')).toEqual([
      [11, 'NAT (the nat table)'],
      [12, 'NAT (the nat table)'],
      [22, 'packet alteration (the mangle table)'],
      [39, 'benteng cannot express interface `eth1`; the rule is left out'],
      [41, 'benteng cannot express ipset (addresses that change at run time) (`-m set --match-set vpn-clients src`); the rule is left out'],
    ]);
  });

  it("explains the packets fail2ban's bans decide differently, and nothing else differs", () => {
    const check = checkEquivalence(read('docker-fail2ban.rules'), result.files, { packets: 6000, seed: 3 });
    expect(check.unexplained).toBe(0);
    expect(check.explained).toBeGreaterThan(0);
    expectCleanPolicy(result);
  });
});

describe('import: ip6tables-save with a negated source and the host address as destination', () => {
  const result = importFixture(['ip6tables.rules'], ['2001:db8:10::10']);

  it('writes a network with exclude for the negated source and keeps ICMPv6 rules', () => {
    expect(result.files.get('networks.yaml')).toContain('include: ["::/0"]\n    exclude: ["2001:db8:bad::/48"]');
    expect(result.files.get('services/dns.yaml')).toContain('ports: [udp/53]');
    expect(result.files.get('services/icmpv6.yaml')).toContain('icmpv6/nd-neighbor-solicit');
    expect(result.host.addresses).toEqual(['2001:db8:10::10']);
    expect(result.equivalence.unexplained).toBe(0);
    expectCleanPolicy(result);
  });

  it('merges v4 and v6 rules with the same ports and action into one rule from any', () => {
    const both = importFixture(['plain-drop.rules', 'ip6tables.rules'], ['203.0.113.10', '2001:db8:10::10']);
    expect(both.files.get('services/policy-accept-out.yaml')).toMatch(/to: any/);
    expect(both.equivalence.unexplained).toBe(0);
    expectCleanPolicy(both);
  });
});

describe('equivalence check', () => {
  it('finds a difference the report does not explain (a wrong policy)', () => {
    const result = importFixture(['plain-drop.rules']);
    const broken = new Map(result.files);
    broken.set('services/postgres.yaml', broken.get('services/postgres.yaml')!.replace('action: reject', 'action: accept'));
    const check = checkEquivalence(read('plain-drop.rules'), broken, { packets: 3000, seed: 5 });
    expect(check.unexplained).toBeGreaterThan(0);
  });

  it('is deterministic: same input and seed, same files and result', () => {
    const a = importFixture(['ufw.rules']);
    const b = importFixture(['ufw.rules']);
    expect([...a.files]).toEqual([...b.files]);
    expect(a.equivalence).toEqual(b.equivalence);
  });
});

describe('flattening semantics', () => {
  const rule = (chain: string, fields: Partial<ImportedRule>, line: number): ImportedRule => ({ family: 'ipv4', table: 'inet t', chain, location: { file: 'hand', line }, text: `rule ${line}`, unsupported: [], verdict: { kind: 'accept' }, ...fields });
  const base = (name: string, hook: string, priority: number, policy: 'accept' | 'drop', rules: ImportedRule[]): ImportedChain => ({ family: 'ipv4', table: 'inet t', name, hook, priority, policy, chainType: 'filter', location: { file: 'hand', line: 1 }, rules });

  it('nft: an accept in an earlier base chain goes on to the next; a drop there ends the packet', () => {
    const ruleset: ImportedRuleset = {
      format: 'nft-json',
      sources: ['hand'],
      errors: [],
      chains: [
        base('late', 'input', 10, 'accept', [rule('late', { protocol: 'tcp', destinationPorts: { ranges: [[22, 22]], negated: false }, verdict: { kind: 'drop' } }, 3)]),
        base('early', 'input', -10, 'drop', [rule('early', { states: { names: ['established', 'related'], negated: false } }, 4), rule('early', { protocol: 'tcp' }, 5)]),
        base('out', 'output', 0, 'accept', []),
      ],
    };
    const result = importRuleset(ruleset, { host: 'web-01', addresses: ['203.0.113.10'], equivalence: { packets: 2000, seed: 2 } });
    expect(result.files.get('services/in-01-ssh.yaml')).toContain('action: drop');
    expect(placement(result).filter((p) => p.includes('ingress'))).toEqual(['in-01-ssh/ingress/0 <- 3', 'in-02-policy-accept/ingress/0 <- inet t late policy accept']);
    expect(result.files.get('services/in-02-policy-accept.yaml')).toContain('ports: [tcp]');
    expect(result.baseline.established).toBe(true);
    expect(entries(result, 'approximated')).toEqual([[3, expect.stringContaining('accepts packets of established and related connections (IPv4 input)')]]);
    expect(result.equivalence.unexplained).toBe(0);
    expect(result.equivalence.explained).toBeGreaterThan(0);
  });

  it('iptables: a conditional RETURN is subtracted from the rules after it; -g returns to the caller of the caller', () => {
    const text = `*filter
:INPUT DROP [0:0]
:OUTPUT ACCEPT [0:0]
:CHECK - [0:0]
:DENY - [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -j CHECK
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A CHECK -s 198.51.100.0/24 -j RETURN
-A CHECK -p tcp -m tcp --dport 8000:9000 -g DENY
-A CHECK -p tcp -m tcp --dport 80:90 -j DROP
-A DENY -s 203.0.113.0/24 -j REJECT
COMMIT
`;
    const result = importRuleset(parseIptablesSave(text, 'hand.rules'), { host: 'web-01', addresses: ['203.0.113.10'], equivalence: { packets: 4000, seed: 9 } });
    expect(result.report.filter((e) => e.kind !== 'note')).toEqual([]);
    expect(result.equivalence).toMatchObject({ unexplained: 0, explained: 0 });
    expect(result.files.get('networks.yaml')).toContain('exclude: [198.51.100.0/24]');
    expectCleanPolicy(result);
  });
});
