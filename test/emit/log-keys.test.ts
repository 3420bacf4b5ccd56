/**
 * Drop logs are attributable: every log prefix is `bt <i|o> <key>: ` (at most 29 characters, the same
 * on both backends), and `CompiledHost.logKeys` (read from the IR) says what each key stands for.
 * Tables assert the keys, the rule ids they attribute to, and where the log sits in the emitted text.
 */
import { describe, expect, it } from 'vitest';
import { type LogKey, LOG_PREFIX_MAX } from '../../src/build/compiled-host.js';
import { buildFleet } from '../../src/build/index.js';
import { emitHost, emittedLogKeys } from '../../src/emit/index.js';
import { logChainName } from '../../src/emit/nftables.js';
import type { FleetModel } from '../../src/model/index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { type PolicySpec, removePolicyDir, writePolicyDir } from '../support/emit-policies.js';

const SPEC: PolicySpec = {
  defaults: { logDrops: { enabled: true, ratePerMinute: 600 } },
  hosts: { 'web-01': { addresses: ['203.0.113.10', '2001:db8:203::10'], backend: 'nftables' } },
  services: [
    {
      service: 'portal',
      hosts: ['web-01'],
      ingress: [
        { from: '198.51.100.0/24', ports: ['tcp/22'] },
        { from: '203.0.113.128/25', action: 'drop' },
        { from: '198.51.100.128/25', ports: ['tcp/80'], action: 'reject' },
        { from: 'any', ports: ['tcp/443'], log: true },
      ],
      egress: [{ to: '2001:db8:ee::/48', action: 'reject' }],
    },
    { service: 'mail', hosts: ['web-01'], egress: [{ to: '192.0.2.0/24', ports: ['tcp/25'], action: 'drop' }] },
  ],
};

async function resolved(spec: PolicySpec): Promise<FleetModel> {
  const dir = await writePolicyDir(spec);
  try {
    const checked = await checkPolicies(dir, { lint: false });
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return checked.model!;
  } finally {
    await removePolicyDir(dir);
  }
}

const row = (k: LogKey) => `${k.prefix}| ${k.kind} ${k.ruleId ?? '-'} ${k.action}`;

/** Every log prefix printed in a ruleset text. */
function printedPrefixes(text: string): Set<string> {
  return new Set([...text.matchAll(/(?:log prefix|--log-prefix) "([^"]*)"/g)].map((m) => m[1]!));
}

describe('log keys', () => {
  it('number the logging rules per host, input chain first; accepts log only with `log: true`', async () => {
    const model = await resolved(SPEC);
    const emitted = emitHost(model.hosts[0]!, model.baseline, ['nftables', 'iptables']);
    const expected = [
      'bt i default: | default - drop',
      'bt i r1: | rule portal/ingress/1 drop',
      'bt i r2: | rule portal/ingress/2 reject',
      'bt i r3: | rule portal/ingress/3 accept',
      'bt o default: | default - drop',
      'bt o r4: | rule mail/egress/0 drop',
      'bt o r5: | rule portal/egress/0 reject',
    ];
    expect(emitted.logKeys.nftables!.map(row)).toEqual(expected);
    expect(emitted.logKeys.iptables!.map(row)).toEqual(expected);
    expect(emittedLogKeys(emitted).map(row)).toEqual(expected);
    for (const key of emittedLogKeys(emitted)) expect(key.prefix.length).toBeLessThanOrEqual(LOG_PREFIX_MAX);
  });

  it('with `logDrops.enabled: false`, only `log: true` rules log, and the default drop does not', async () => {
    const model = await resolved({ ...SPEC, defaults: { logDrops: { enabled: false, ratePerMinute: 600 } } });
    const emitted = emitHost(model.hosts[0]!, model.baseline, ['nftables', 'iptables']);
    expect(emitted.logKeys.nftables!.map(row)).toEqual(['bt i r1: | rule portal/ingress/3 accept']);
    expect(emitted.logKeys.iptables!.map(row)).toEqual(['bt i r1: | rule portal/ingress/3 accept']);
    expect(emitted.ruleset.nft).not.toContain('defaults: log drops');
  });

  it('iptables: each logging rule\'s LOG (rate-limited) comes right before its verdict, with the same matches', async () => {
    const model = await resolved(SPEC);
    const { rulesV4, rulesV6 } = emitHost(model.hosts[0]!, model.baseline, ['iptables']).ruleset;
    const logged = (text: string) => {
      const lines = text.split('\n');
      return lines.flatMap((line, i) => {
        const m = / -m limit --limit 10\/sec --limit-burst 20 (.*) -j LOG --log-prefix "(bt [io] r\d+: )"$/.exec(line);
        if (!m) return [];
        const head = line.slice(0, line.indexOf(' -m limit'));
        return [`${m[2]}-> ${lines[i + 1]!.replace(`${head} `, '').replace(`${m[1]} `, '')}`];
      });
    };
    expect(logged(rulesV4!)).toEqual(['bt i r1: -> -j DROP', 'bt i r2: -> -j REJECT --reject-with tcp-reset', 'bt i r3: -> -j ACCEPT', 'bt o r4: -> -j DROP']);
    // A reject of every protocol is two lines (TCP reset, then ICMPv6), logged once before both.
    expect(logged(rulesV6!)).toEqual(['bt i r3: -> -j ACCEPT', 'bt o r5: -> -p tcp -j REJECT --reject-with tcp-reset']);
    expect(rulesV6).toMatch(/"bt o r5: "\n.* -p tcp .*-j REJECT --reject-with tcp-reset\n.*"portal\/egress\/0" -j REJECT --reject-with icmp6-adm-prohibited\n/);
    expect(rulesV4).toContain('-A BENTENG-INPUT -m limit --limit 10/sec --limit-burst 20 -m comment --comment "defaults: log drops" -j LOG --log-prefix "bt i default: "');
  });

  it('nftables: the maps send a logging rule\'s packets to its chain, which logs, counts and decides', async () => {
    const model = await resolved(SPEC);
    const host = model.hosts[0]!;
    const { nft } = emitHost(host, model.baseline, ['nftables']).ruleset;
    const chains = [...host.input, ...host.output].map((rule) => {
      const name = logChainName(rule);
      const body = nft!.split(`\tchain ${name} {\n`)[1]?.split('\n\t}')[0];
      if (body === undefined) return `${rule.id}: no chain`;
      const lines = body.split('\n').map((l) => l.trim()).filter((l) => !l.startsWith('comment '));
      const goto = nft!.includes(`: goto ${name},`) ? 'mapped' : 'unmapped';
      return `${rule.id}: ${goto} | ${lines.join(' | ')}`;
    });
    expect(chains).toEqual([
      'portal/ingress/0: no chain',
      'portal/ingress/1: mapped | limit rate 10/second burst 20 packets log prefix "bt i r1: " | counter drop comment "portal/ingress/1"',
      'portal/ingress/2: mapped | limit rate 10/second burst 20 packets log prefix "bt i r2: " | counter goto reject_packet comment "portal/ingress/2"',
      'portal/ingress/3: mapped | limit rate 10/second burst 20 packets log prefix "bt i r3: " | counter accept comment "portal/ingress/3"',
      'mail/egress/0: mapped | limit rate 10/second burst 20 packets log prefix "bt o r4: " | counter drop comment "mail/egress/0"',
      'portal/egress/0: mapped | limit rate 10/second burst 20 packets log prefix "bt o r5: " | counter goto reject_packet comment "portal/egress/0"',
    ]);
  });

  it('every example host: CompiledHost.logKeys are exactly the prefixes its ruleset text logs with', async () => {
    const built = await buildFleet('policies');
    expect(built.hosts).toHaveLength(10);
    for (const host of built.hosts) {
      const text = [host.ruleset.nft, host.ruleset.rulesV4, host.ruleset.rulesV6].filter((t) => t !== undefined).join('\n');
      expect({ host: host.host, prefixes: [...printedPrefixes(text)].sort() }).toEqual({ host: host.host, prefixes: host.logKeys!.map((k) => k.prefix).sort() });
    }
    const mail = built.hosts.find((h) => h.host === 'mail-01')!;
    expect(mail.logKeys!.map(row)).toEqual(['bt i default: | default - drop', 'bt i r1: | rule mail-relay/ingress/1 drop', 'bt o default: | default - drop']);
  });

  it('both backends of every example host log with the same keys', async () => {
    const built = await buildFleet('policies', { allBackends: true });
    for (const host of built.hosts) {
      const nft = printedPrefixes(host.ruleset.nft!);
      const ipt = printedPrefixes(`${host.ruleset.rulesV4}\n${host.ruleset.rulesV6}`);
      expect({ host: host.host, nft: [...nft].sort() }).toEqual({ host: host.host, nft: [...ipt].sort() });
      expect([...nft].sort()).toEqual(host.logKeys!.map((k) => k.prefix).sort());
    }
  });
});
