import { describe, expect, it } from 'vitest';
import { checkFixture, findings, service } from './support.js';

const exposed = (comment: string) => service('a', `ingress:\n${comment}  - from: any\n    ports: [tcp/5432]\n`);

describe('inline suppression', () => {
  it('suppresses the named rule on the next line when a reason is given', async () => {
    const { result } = await checkFixture({ 'services/a.yaml': exposed('  # benteng-disable-next-line sensitive-port-internet -- read-only replica for the open-data portal\n') });
    expect(result.diagnostics.map((d) => d.code)).toEqual([]);
  });

  it('reports a suppression without a reason (and still suppresses)', async () => {
    const { result, dir } = await checkFixture({ 'services/a.yaml': exposed('  # benteng-disable-next-line sensitive-port-internet\n') });
    expect(findings(result.diagnostics, dir, 'suppression-missing-reason')).toEqual(['services/a.yaml:6:3 missingReason']);
    expect(findings(result.diagnostics, dir, 'sensitive-port-internet')).toEqual([]);
  });

  it('reports a suppression that suppresses nothing, and an unknown rule id', async () => {
    const { result, dir } = await checkFixture({
      'services/a.yaml': service('a', 'ingress:\n  # benteng-disable-next-line sensitive-port-internet, no-such-rule -- x\n  - from: office\n    ports: [tcp/8443]\n'),
    });
    expect(findings(result.diagnostics, dir, 'unused-suppression')).toEqual(['services/a.yaml:6:3 unused', 'services/a.yaml:6:3 unknownRule']);
    expect(result.diagnostics.map((d) => d.message).join('\n')).toMatch(/unknown lint rule `no-such-rule`/);
  });

  it('applies to findings inside the element below (an expiry under the rule line)', async () => {
    const { result } = await checkFixture({
      'services/a.yaml': service('a', 'ingress:\n  # benteng-disable-next-line rule-expired -- removal scheduled with the vendor\n  - from: 198.51.100.200\n    ports: [tcp/8443]\n    expires: 2020-01-01\n'),
    });
    expect(result.diagnostics.map((d) => d.code)).toEqual([]);
  });
});

describe('benteng.yaml', () => {
  it('turns rules off and changes severities', async () => {
    const { result } = await checkFixture({ 'benteng.yaml': 'rules:\n  sensitive-port-internet: warning\n  family-parity: off\n', 'services/a.yaml': exposed('') });
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity}`)).toEqual(['sensitive-port-internet warning']);
  });

  it.each([
    ['an unknown rule id', 'rules:\n  sensitive-port-internt: off\n', 'lint-config-unknown-rule', '2:3', /did you mean `sensitive-port-internet`/],
    ['a bad severity', 'rules:\n  family-parity: loud\n', 'schema', '2:18', /./],
    ['a bad option', 'rules:\n  wide-port-range: { options: { maxPorts: 0 } }\n', 'schema', '2:43', /./],
    ['options for a rule without options', 'rules:\n  family-parity: { options: { a: 1 } }\n', 'lint-config-options', '2:20', /takes no options/],
    ['an unknown top-level key', 'rule:\n  family-parity: off\n', 'schema', '1:1', /./],
  ])('reports %s at its position', async (_, text, code, where, message) => {
    const { result } = await checkFixture({ 'benteng.yaml': text });
    const found = result.diagnostics.filter((d) => d.span?.file.endsWith('benteng.yaml'));
    expect(found).toHaveLength(1);
    expect(found[0]!.code.startsWith(code)).toBe(true);
    expect(`${found[0]!.span!.start.line}:${found[0]!.span!.start.column}`).toBe(where);
    expect(found[0]!.message).toMatch(message);
    expect(found[0]!.severity).toBe('error');
  });
});

describe('pipeline', () => {
  it('reports an expired rule once, from lint, not also from the resolver', async () => {
    const { result } = await checkFixture({ 'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.200\n    ports: [tcp/8443]\n    expires: 2020-01-01\n') });
    expect(result.diagnostics.map((d) => `${d.code} ${d.severity}`)).toEqual(['rule-expired error']);
  });
});
