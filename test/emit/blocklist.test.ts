/**
 * `blocklist.yaml` through resolve, the evaluator and both emitters: which entries are in force, the
 * static nftables sets and the rules right after the dynamic blocklist's, and the iptables block
 * chains (the dynamic ipset first, the policy's CIDRs in file order, RETURN), in both directions.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitHost } from '../../src/emit/index.js';
import { evaluate, type Packet } from '../../src/evaluate/index.js';
import type { FleetModel } from '../../src/model/index.js';
import { checkPolicies } from '../../src/pipeline.js';
import { type PolicySpec, removePolicyDir, writePolicyDir } from '../support/emit-policies.js';

const TODAY = '2026-11-22';

const SPEC: PolicySpec = {
  hosts: { 'web-01': { addresses: ['203.0.113.10', '2001:db8:203::10'], backend: 'nftables' } },
  services: [{ service: 'portal', hosts: ['web-01'], ingress: [{ from: 'any', ports: ['tcp/443'] }], egress: [{ to: 'any', ports: ['tcp/443'] }] }],
};

const BLOCKLIST = `blocklist:
  - addresses: [198.51.100.66, "2001:db8:bad::/48"]
    reason: 'defacement of the city portal, "ticket" CSIRT-2026-114'
    added: 2026-11-20
    by: alice
  - addresses: [198.51.100.64/30, 192.0.2.128/25]
    reason: scan of the permit portal
    added: 2026-11-21
    by: budi
  - addresses: [198.51.100.200]
    reason: an entry that has run out
    added: 2026-01-01
    by: alice
    expires: 2026-06-30
`;

async function resolved(blocklist: string | undefined): Promise<FleetModel> {
  const dir = await writePolicyDir(SPEC);
  try {
    if (blocklist !== undefined) await writeFile(path.join(dir, 'blocklist.yaml'), blocklist);
    const checked = await checkPolicies(dir, { lint: false, today: TODAY });
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return checked.model!;
  } finally {
    await removePolicyDir(dir);
  }
}

function emitted(model: FleetModel) {
  const host = model.hosts[0]!;
  return emitHost(host, model.baseline, ['nftables', 'iptables']).ruleset;
}

/** The lines of an nft block (`set NAME`, `chain NAME`) without their tabs. */
function nftBlock(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`\t${header} {`);
  if (start < 0) return [];
  const end = lines.indexOf('\t}', start);
  return lines.slice(start + 1, end).map((l) => l.trim());
}

const iptChain = (text: string, chain: string) => text.split('\n').filter((l) => l.startsWith(`-A ${chain} `));

const REASON_0 = 'blocklist: defacement of the city portal, ticket CSIRT-2026-114';
const REASON_1 = 'blocklist: scan of the permit portal';

describe('blocklist.yaml in the model and the evaluator', () => {
  it('keeps the entries in force in file order, on every host, and leaves the expired one out', async () => {
    const model = await resolved(BLOCKLIST);
    expect(model.blocklist.map((e) => [e.id, e.reason, e.by])).toEqual([
      ['blocklist/0', 'defacement of the city portal, "ticket" CSIRT-2026-114', 'alice'],
      ['blocklist/1', 'scan of the permit portal', 'budi'],
    ]);
    expect(model.hosts[0]!.blocklist).toEqual(model.blocklist);
  });

  it.each([
    ['the first entry holding the peer decides', 'ingress', '198.51.100.66', 'drop', 'blocklist', 'blocklist/0'],
    ['the second entry', 'ingress', '198.51.100.65', 'drop', 'blocklist', 'blocklist/1'],
    ['IPv6', 'ingress', '2001:db8:bad:1::9', 'drop', 'blocklist', 'blocklist/0'],
    ['egress by destination', 'egress', '192.0.2.200', 'drop', 'blocklist', 'blocklist/1'],
    ['an expired entry blocks nothing', 'ingress', '198.51.100.200', 'accept', 'rule', undefined],
    ['the neighbour of a block', 'ingress', '198.51.100.68', 'accept', 'rule', undefined],
  ] as const)('%s', async (_name, direction, peer, verdict, reason, block) => {
    const model = await resolved(BLOCKLIST);
    const own = peer.includes(':') ? '2001:db8:203::10' : '203.0.113.10';
    const packet: Packet = {
      direction,
      family: peer.includes(':') ? 'ipv6' : 'ipv4',
      source: direction === 'ingress' ? peer : own,
      destination: direction === 'ingress' ? own : peer,
      protocol: 'tcp',
      port: 443,
      state: 'new',
    };
    const result = evaluate(model.hosts[0]!, model.baseline, packet);
    expect({ verdict: result.verdict, reason: result.reason, block: result.block?.id }).toEqual({ verdict, reason, block });
  });
});

describe('blocklist.yaml in the nftables ruleset', () => {
  it('static interval sets: overlapping entries merged, each element commented with its first entry\'s reason', async () => {
    const { nft } = emitted(await resolved(BLOCKLIST));
    expect(nftBlock(nft!, 'set blocklist_policy_v4')).toEqual([
      'type ipv4_addr',
      'flags interval',
      'comment "benteng blocklist.yaml: permanent entries"',
      'elements = {',
      `192.0.2.128/25 comment "${REASON_1}",`,
      `198.51.100.64/30 comment "${REASON_0}",`,
      '}',
    ]);
    expect(nftBlock(nft!, 'set blocklist_policy_v6')).toContain(`2001:db8:bad::/48 comment "${REASON_0}",`);
  });

  it('drops right after the dynamic blocklist, by source on input and by destination on output', async () => {
    const { nft } = emitted(await resolved(BLOCKLIST));
    expect(nftBlock(nft!, 'chain input').slice(1, 5)).toEqual([
      'ip saddr @blocklist_v4 counter drop comment "blocklist"',
      'ip6 saddr @blocklist_v6 counter drop comment "blocklist"',
      'ip saddr @blocklist_policy_v4 counter drop comment "blocklist (policy)"',
      'ip6 saddr @blocklist_policy_v6 counter drop comment "blocklist (policy)"',
    ]);
    expect(nftBlock(nft!, 'chain output').slice(1, 5)).toEqual([
      'ip daddr @blocklist_v4 counter drop comment "blocklist"',
      'ip6 daddr @blocklist_v6 counter drop comment "blocklist"',
      'ip daddr @blocklist_policy_v4 counter drop comment "blocklist (policy)"',
      'ip6 daddr @blocklist_policy_v6 counter drop comment "blocklist (policy)"',
    ]);
  });

  it('keeps the dynamic sets as they were (the deployer carries their elements over)', async () => {
    const { nft } = emitted(await resolved(BLOCKLIST));
    expect(nftBlock(nft!, 'set blocklist_v4')).toEqual(['type ipv4_addr', 'flags interval, timeout', 'comment "benteng block: dynamic entries"']);
    expect(nftBlock(nft!, 'set blocklist_v6')).toEqual(['type ipv6_addr', 'flags interval, timeout', 'comment "benteng block: dynamic entries"']);
  });

  it('has no policy set or rule for a family without entries, nor without blocklist.yaml', async () => {
    const v4only = emitted(await resolved(BLOCKLIST.replace(', "2001:db8:bad::/48"', ''))).nft!;
    expect(v4only).toContain('set blocklist_policy_v4 {');
    expect(v4only).not.toContain('blocklist_policy_v6');
    const none = emitted(await resolved(undefined)).nft!;
    expect(none).not.toContain('blocklist_policy');
    expect(none).not.toContain('blocklist (policy)');
  });
});

describe('blocklist.yaml in the iptables rulesets', () => {
  it('BENTENG-BLOCK (input): the dynamic ipset by source, then each entry\'s CIDRs in file order, then RETURN', async () => {
    const { rulesV4, rulesV6 } = emitted(await resolved(BLOCKLIST));
    expect(iptChain(rulesV4!, 'BENTENG-BLOCK')).toEqual([
      '-A BENTENG-BLOCK -m set --match-set benteng-block-v4 src -j DROP',
      `-A BENTENG-BLOCK -s 198.51.100.66/32 -m comment --comment "${REASON_0}" -j DROP`,
      `-A BENTENG-BLOCK -s 192.0.2.128/25 -m comment --comment "${REASON_1}" -j DROP`,
      `-A BENTENG-BLOCK -s 198.51.100.64/30 -m comment --comment "${REASON_1}" -j DROP`,
      '-A BENTENG-BLOCK -j RETURN',
    ]);
    expect(iptChain(rulesV6!, 'BENTENG-BLOCK')).toEqual([
      '-A BENTENG-BLOCK -m set --match-set benteng-block-v6 src -j DROP',
      `-A BENTENG-BLOCK -s 2001:db8:bad::/48 -m comment --comment "${REASON_0}" -j DROP`,
      '-A BENTENG-BLOCK -j RETURN',
    ]);
  });

  it('BENTENG-BLOCK-OUT (output): the same by destination', async () => {
    const { rulesV4 } = emitted(await resolved(BLOCKLIST));
    expect(iptChain(rulesV4!, 'BENTENG-BLOCK-OUT')).toEqual([
      '-A BENTENG-BLOCK-OUT -m set --match-set benteng-block-v4 dst -j DROP',
      `-A BENTENG-BLOCK-OUT -d 198.51.100.66/32 -m comment --comment "${REASON_0}" -j DROP`,
      `-A BENTENG-BLOCK-OUT -d 192.0.2.128/25 -m comment --comment "${REASON_1}" -j DROP`,
      `-A BENTENG-BLOCK-OUT -d 198.51.100.64/30 -m comment --comment "${REASON_1}" -j DROP`,
      '-A BENTENG-BLOCK-OUT -j RETURN',
    ]);
  });

  it('each direction enters its block chain first', async () => {
    const { rulesV4 } = emitted(await resolved(BLOCKLIST));
    expect(iptChain(rulesV4!, 'BENTENG-INPUT')[0]).toBe('-A BENTENG-INPUT -m comment --comment "blocklist" -j BENTENG-BLOCK');
    expect(iptChain(rulesV4!, 'BENTENG-OUTPUT')[0]).toBe('-A BENTENG-OUTPUT -m comment --comment "blocklist" -j BENTENG-BLOCK-OUT');
  });

  it('without blocklist.yaml the block chains hold the dynamic ipset and RETURN only', async () => {
    const { rulesV4 } = emitted(await resolved(undefined));
    expect(iptChain(rulesV4!, 'BENTENG-BLOCK')).toEqual(['-A BENTENG-BLOCK -m set --match-set benteng-block-v4 src -j DROP', '-A BENTENG-BLOCK -j RETURN']);
    expect(iptChain(rulesV4!, 'BENTENG-BLOCK-OUT')).toEqual(['-A BENTENG-BLOCK-OUT -m set --match-set benteng-block-v4 dst -j DROP', '-A BENTENG-BLOCK-OUT -j RETURN']);
  });
});
