/**
 * `nft -j` rulesets of four styles through the whole import: the evaluator check (the source's own
 * chains against benteng's evaluator on the imported policy, seeded random packets) finds no
 * unexplained difference; the report names what was left out and why, at the source rule; and
 * `benteng query` on the imported policy answers as the original ruleset decides (expectations read
 * from the `.nft` sources by hand, not computed by the importer).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FleetAccess } from '../../src/access/index.js';
import { importRuleset, mergeRulesets, type ImportResult } from '../../src/import/index.js';
import { parseIptablesSave } from '../../src/import/iptables-save.js';
import { parseNftJson } from '../../src/import/nft-json.js';
import { checkPolicyFiles } from '../../src/import/policy-check.js';
import type { ImportedRuleset } from '../../src/import/ruleset.js';
import { parseQuestion, queryAccess } from '../../src/query/index.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const HOST = 'web-01';
const H = `host:${HOST}`;
const ADDRESSES = ['203.0.113.254', '2001:db8:ffff::1'];
const PACKETS = 3000;

function parse(name: string): ImportedRuleset {
  return parseNftJson(read(`${name}.json`), `${name}.json`, { listing: { text: read(`${name}.listing`), file: `${name}.listing` } });
}

function run(ruleset: ImportedRuleset): ImportResult {
  return importRuleset(ruleset, { host: HOST, addresses: ADDRESSES, backend: 'nftables', equivalence: { packets: PACKETS, seed: 7 } });
}

/** `open` or `closed` for each question, asked of the imported policy as `benteng query` asks it. */
function answers(result: ImportResult, questions: Array<[string, string, string]>): string[] {
  const checked = checkPolicyFiles(result.files, 'policies', { lint: false });
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const fleet = { model: checked.model!, access: new FleetAccess(checked.model!) };
  return questions.map(([from, to, protocol]) => {
    const question = parseQuestion(from, to, protocol);
    if (!question.ok) throw new Error(question.reasons.join('; '));
    const answer = queryAccess(fleet, question.value);
    if (!answer.value) throw new Error(answer.diagnostics.map((d) => d.message).join('; '));
    return answer.value.open ? 'open' : 'closed';
  });
}

function reported(result: ImportResult, kind: string): string[] {
  return result.report.filter((e) => e.kind === kind).map((e) => `${e.location?.file}:${e.location?.line} ${e.text} :: ${e.reason}`);
}

type Question = [string, string, string, 'open' | 'closed'];

describe('hand-written nftables.conf', () => {
  const result = run(parse('nft-hand'));

  it('is equivalent on random packets, except where the report says why', () => {
    expect(result.equivalence).toMatchObject({ packets: PACKETS, unexplained: 0 });
    expect(reported(result, 'not-imported')).toEqual([expect.stringMatching(/^nft-hand\.listing:31 tcp dport 8080 limit rate 20\/second accept .*:: .*rate limit/)]);
    expect(read('nft-hand.listing').split('\n')[30]).toContain('tcp dport 8080 limit rate 20/second accept');
  });

  it.each<Question>([
    ['198.51.100.5', H, 'tcp/22', 'open'],
    ['203.0.113.70', H, 'tcp/22', 'open'],
    ['203.0.113.9', H, 'tcp/22', 'closed'],
    ['2001:db8:a::9', H, 'tcp/22', 'open'],
    ['198.51.100.200', H, 'tcp/5432', 'open'],
    ['198.51.100.5', H, 'tcp/5432', 'closed'],
    ['203.0.113.9', H, 'tcp/443', 'open'],
    ['198.51.100.7', H, 'udp/53', 'open'],
    ['203.0.113.9', H, 'udp/53', 'closed'],
    ['203.0.113.9', H, 'tcp/3306', 'closed'],
    [H, '203.0.113.9', 'tcp/25', 'closed'],
    [H, '198.51.100.9', 'tcp/25', 'open'],
  ])('query %s -> %s %s is %s', (from, to, protocol, expected) => {
    expect(answers(result, [[from, to, protocol]])).toEqual([expected]);
  });
});

describe('firewalld 1.x', () => {
  const result = run(parse('nft-firewalld'));

  it('is equivalent on random packets, and reports the interface zone and `ct status dnat`', () => {
    expect(result.equivalence).toMatchObject({ packets: PACKETS, unexplained: 0 });
    const notImported = reported(result, 'not-imported');
    expect(notImported).toContainEqual(expect.stringMatching(/ct status dnat accept :: .*conntrack status/));
    expect(notImported).toContainEqual(expect.stringMatching(/iifname "eth1" goto filter_IN_internal :: .*interface `eth1`/));
    expect(notImported).toContainEqual(expect.stringMatching(/fib saddr .* drop :: .*prerouting/));
  });

  it.each<Question>([
    ['203.0.113.9', H, 'tcp/3306', 'open'],
    ['198.51.100.9', H, 'tcp/3306', 'closed'],
    ['198.51.100.66', H, 'tcp/22', 'closed'],
    ['198.51.100.9', H, 'tcp/22', 'open'],
    ['2001:db8:5a::7', H, 'tcp/22', 'open'],
    ['198.51.100.9', H, 'tcp/5432', 'open'],
    ['198.51.100.200', H, 'tcp/5432', 'closed'],
    ['203.0.113.9', H, 'tcp/9090', 'open'],
    ['198.51.100.9', H, 'tcp/8080', 'closed'],
  ])('query %s -> %s %s is %s', (from, to, protocol, expected) => {
    expect(answers(result, [[from, to, protocol]])).toEqual([expected]);
  });
});

describe('Docker (iptables-nft) beside the admin’s inet filter', () => {
  const json = parse('nft-docker');

  it('from `nft -j` alone: imports inet filter and names the iptables-nft tables it cannot read', () => {
    const result = run(json);
    expect(result.equivalence).toMatchObject({ packets: PACKETS, unexplained: 0 });
    expect(reported(result, 'not-imported')).toEqual([
      expect.stringMatching(/^nft-docker\.json:\d+ table ip nat :: .*iptables-save/),
      expect.stringMatching(/^nft-docker\.json:\d+ table ip filter :: .*iptables-save/),
    ]);
    expect(answers(result, [['198.51.100.9', H, 'tcp/22'], ['203.0.113.5', H, 'tcp/9100'], ['203.0.113.6', H, 'tcp/9100'], ['203.0.113.6', H, 'tcp/443']])).toEqual(['open', 'open', 'closed', 'open']);
  });

  it('with iptables-save of Docker’s tables merged in (as `import` over SSH reads it): Docker left out on purpose', () => {
    const merged = mergeRulesets(json, parseIptablesSave(read('nft-docker.v4.rules'), 'nft-docker.v4.rules', 'ipv4'));
    const result = run(merged);
    expect(result.equivalence).toMatchObject({ packets: PACKETS, unexplained: 0 });
    expect(reported(result, 'left-out')).toContainEqual(expect.stringMatching(/Docker/));
    expect(answers(result, [['198.51.100.9', H, 'tcp/22'], ['198.51.100.9', H, 'tcp/8080']])).toEqual(['open', 'closed']);
  });
});

describe('fail2ban’s nftables action beside the host’s own table', () => {
  const result = run(parse('nft-fail2ban'));

  it('leaves the f2b chain out with a note and is otherwise equivalent', () => {
    expect(result.equivalence).toMatchObject({ packets: PACKETS, unexplained: 0 });
    expect(reported(result, 'left-out')).toEqual([expect.stringMatching(/^nft-fail2ban\.listing:\d+ fail2ban: 2 rules in inet f2b-table f2b-chain :: managed by fail2ban/)]);
    expect(reported(result, 'not-imported')).toEqual([]);
  });

  it.each<Question>([
    ['198.51.100.9', H, 'tcp/22', 'open'],
    // Banned in the source by fail2ban, whose rules stay fail2ban's: the import answers open, and says so.
    ['203.0.113.99', H, 'tcp/22', 'open'],
    ['203.0.113.9', H, 'tcp/80', 'open'],
    ['203.0.113.9', H, 'tcp/8080', 'closed'],
    ['2001:db8:5a::7', H, 'udp/53', 'closed'],
  ])('query %s -> %s %s is %s', (from, to, protocol, expected) => {
    expect(answers(result, [[from, to, protocol]])).toEqual([expected]);
  });
});
