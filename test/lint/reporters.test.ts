import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { escapeData, escapeProperty, formatGithub, MAX_ANNOTATIONS } from '../../src/report/github.js';
import { REPORTERS } from '../../src/report/index.js';
import { formatSarif } from '../../src/report/sarif.js';
import { runCli, tempPolicies } from '../support/policy-dir.js';
import { checkFixture, service } from './support.js';

const cwd = '/repo';
const span = (line: number, column: number) => ({ file: '/repo/policies/services/a.yaml', start: { line, column, offset: 0 }, end: { line, column: column + 4, offset: 4 } });
const findings: Diagnostic[] = [
  { code: 'sensitive-port-internet', messageId: 'exposed', severity: 'error', message: 'PostgreSQL (5432) reachable: 100%, "x", y\nz', span: span(6, 5), related: [{ message: 'see', span: span(9, 5) }] },
  { code: 'unused-network', messageId: 'unused', severity: 'warning', message: 'unused', span: span(2, 3) },
  { code: 'correlated-rules', messageId: 'correlated', severity: 'info', message: 'overlap', span: span(3, 3) },
  { code: 'schema-unknown-field', severity: 'error', message: 'unknown field', span: span(1, 1) },
  { code: 'no-policies', severity: 'error', message: 'no policy files' },
];

function sarifValidator() {
  // The SARIF 2.1.0 (rtm.5) JSON Schema as Microsoft ships it in @microsoft/jest-sarif (a devDependency).
  const schemaPath = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  // The schema is draft-04 (`id`, `$schema`): ajv 8's draft-07 core reads it once those two are adapted.
  const { $schema: _, id, ...rest } = schema;
  const ajv = new Ajv.default({ allErrors: true, strict: false, validateSchema: false, unicodeRegExp: false });
  addFormats.default(ajv);
  return ajv.compile({ $id: id as string, ...rest });
}

describe('sarif reporter', () => {
  it('validates against the SARIF 2.1.0 schema and carries what GitHub code scanning reads', () => {
    const log = JSON.parse(formatSarif(findings, { cwd })) as any;
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'benteng', informationUri: expect.stringMatching(/^https:/) });
    const rule = run.tool.driver.rules.find((r: any) => r.id === 'sensitive-port-internet');
    expect(rule.properties['security-severity']).toBe('9.0');
    expect(rule.shortDescription.text).toBeTruthy();
    expect(rule.fullDescription.text).toBeTruthy();
    expect(rule.help.text).toBeTruthy();
    const [first] = run.results;
    expect(run.tool.driver.rules[first.ruleIndex].id).toBe(first.ruleId);
    expect(first).toMatchObject({
      ruleId: 'sensitive-port-internet',
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'policies/services/a.yaml' }, region: { startLine: 6, startColumn: 5, endLine: 6, endColumn: 9 } } }],
      properties: { messageId: 'exposed' },
    });
    expect(run.results.map((r: any) => r.level)).toEqual(['error', 'warning', 'note', 'error', 'error']);
    expect(run.results.map((r: any) => r.properties?.messageId ?? null)).toEqual(['exposed', 'unused', 'correlated', null, null]);
    expect(run.tool.driver.rules.find((r: any) => r.id === 'schema-unknown-field')).toBeTruthy();
  });

  it('validates for a real lint run', async () => {
    const { result } = await checkFixture({ 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    ports: [tcp/5432]\n') });
    const validate = sarifValidator();
    const log = JSON.parse(formatSarif(result.diagnostics, {})) as any;
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.runs[0].results.map((r: any) => `${r.ruleId} ${r.properties.messageId}`)).toEqual(['sensitive-port-internet exposed']);
  });
});

describe('json reporter', () => {
  it('gives every finding the same keys, the message id of lint findings and null where there is none', () => {
    const json = JSON.parse(REPORTERS.json!(findings, { chalk: new Chalk({ level: 0 }), sources: new Map() })) as Array<Record<string, unknown>>;
    expect(json[0]).toEqual({
      code: 'sensitive-port-internet',
      messageId: 'exposed',
      severity: 'error',
      message: findings[0]!.message,
      file: '/repo/policies/services/a.yaml',
      line: 6,
      column: 5,
      endLine: 6,
      endColumn: 9,
    });
    expect(json.map((f) => f.messageId)).toEqual(['exposed', 'unused', 'correlated', null, null]);
    expect(json[4]).toMatchObject({ code: 'no-policies', file: null, line: null, column: null });
    for (const f of json) expect(Object.keys(f)).toEqual(Object.keys(json[0]!));
  });
});

describe('github reporter', () => {
  it('escapes data and properties as workflow commands require', () => {
    expect(escapeData('100%\r\nx: a, b')).toBe('100%25%0D%0Ax: a, b');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it('prints annotations with positions and a summary', () => {
    const lines = formatGithub(findings, { cwd }).trimEnd().split('\n');
    expect(lines[0]).toBe(
      '::error file=policies/services/a.yaml,line=6,col=5,endLine=6,endColumn=9,title=benteng sensitive-port-internet::PostgreSQL (5432) reachable: 100%25, "x", y%0Az [sensitive-port-internet]%0Apolicies/services/a.yaml:9:5: see',
    );
    expect(lines.filter((l) => l.startsWith('::warning '))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('::notice '))).toHaveLength(1);
    expect(lines).toContain('::error title=benteng no-policies::no policy files [no-policies]');
    expect(lines.at(-1)).toBe('benteng lint: 3 errors, 1 warning, 1 note');
  });

  it('annotates the first findings only', () => {
    const many = Array.from({ length: MAX_ANNOTATIONS + 5 }, (_, i): Diagnostic => ({ code: 'x', severity: 'warning', message: `m${i}`, span: span(i + 1, 1) }));
    const lines = formatGithub(many, { cwd }).trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('::'))).toHaveLength(MAX_ANNOTATIONS);
    expect(lines.at(-1)).toMatch(/first 50 as annotations/);
  });

  it('every format is registered', () => {
    expect(Object.keys(REPORTERS).sort()).toEqual(['github', 'json', 'pretty', 'sarif']);
    expect(REPORTERS.pretty!(findings, { chalk: new Chalk({ level: 0 }), sources: new Map() })).toMatch(/3 errors, 1 warning/);
  });
});

describe('benteng lint CLI', () => {
  it('--max-warnings turns too many warnings into exit 1, and the example fleet lints clean', async () => {
    const policies = tempPolicies({ copyBase: false });
    try {
      policies.write('hosts.yaml', 'hosts:\n  web-01:\n    addresses: [203.0.113.10]\n    backend: nftables\n');
      policies.write('networks.yaml', 'networks:\n  old:\n    include: [192.0.2.0/24]\n');
      policies.write('services/a.yaml', service('a', 'ingress:\n  - from: 198.51.100.0/24\n    ports: [tcp/443]\n'));
      expect((await runCli(['lint', '--policies', policies.dir])).code).toBe(0);
      expect((await runCli(['lint', '--policies', policies.dir, '--max-warnings', '0'])).code).toBe(1);
      expect((await runCli(['lint', '--policies', policies.dir, '--max-warnings', '1'])).code).toBe(0);
      expect((await runCli(['lint', '--policies', policies.dir, '--max-warnings', 'many'])).code).toBe(2);
      const github = await runCli(['lint', '--policies', policies.dir, '--format', 'github']);
      expect(github.stdout).toMatch(/^::warning file=.*networks\.yaml,line=2,col=3,.*\[unused-network\]$/m);
    } finally {
      policies.dispose();
    }
    const example = await runCli(['lint', '--policies', 'policies', '--format', 'github', '--max-warnings', '0']);
    expect(example.stdout).toBe('benteng lint: 0 errors, 0 warnings, 0 notes\n');
    expect(example.code).toBe(0);
  });
});
