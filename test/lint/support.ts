import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { LINT_RULES } from '../../src/lint/index.js';
import { checkPolicies, type CheckResult } from '../../src/pipeline.js';

const LINT_IDS = new Set(LINT_RULES.map((r) => r.meta.id));

/** A small clean fleet: two dual-stack hosts, an admin network, SSH from it in the defaults. */
export const BASE_FILES: Record<string, string> = {
  'hosts.yaml': `hosts:
  web-01:
    addresses: [203.0.113.10, "2001:db8:203::10"]
    backend: nftables
    tags: [web]
  db-01:
    addresses: [192.0.2.20, "2001:db8:20::20"]
    backend: iptables
`,
  'networks.yaml': `networks:
  admin:
    tags: [admin]
    include: [198.51.100.0/28, "2001:db8:ad::/64"]
  office:
    include: [198.51.100.64/26, "2001:db8:5a::/56"]
`,
  'ports.yaml': `ports:
  ssh: [tcp/22]
  https: [tcp/443]
`,
  'defaults.yaml': `defaults:
  ingress:
    - from: admin
      ports: [ssh]
`,
  'services/portal.yaml': `service: portal
description: The web portal
owners: [A <a@city.example>, B <b@city.example>]
hosts: [web-01]
ingress:
  - from: office
    ports: [https]
`,
};

export const TODAY = '2026-11-22';

/**
 * Writes the base fleet overlaid with `files` (a `null` text removes a base file) to a temporary
 * policies directory and runs the whole front of the pipeline on it.
 */
export async function checkFixture(files: Record<string, string | null>, today = TODAY): Promise<{ result: CheckResult; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'benteng-lint-'));
  try {
    for (const [path, text] of Object.entries({ ...BASE_FILES, ...files })) {
      if (text === null) continue;
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const result = await checkPolicies(dir, { today });
    return { result, dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function where(d: Diagnostic, dir: string): string {
  return d.span ? `${relative(dir, d.span.file).split('\\').join('/')}:${d.span.start.line}:${d.span.start.column}` : '(no file)';
}

/** `services/a.yaml:6:5` for each diagnostic with the code, paths relative to the policies directory. */
export function positions(diagnostics: readonly Diagnostic[], dir: string, code: string): string[] {
  return diagnostics.filter((d) => d.code === code).map((d) => where(d, dir));
}

/**
 * `services/a.yaml:6:5 exposed` for each diagnostic with the code: its position (as `positions`) and
 * the id of the lint rule message it reports.
 */
export function findings(diagnostics: readonly Diagnostic[], dir: string, code: string): string[] {
  return diagnostics.filter((d) => d.code === code).map((d) => `${where(d, dir)} ${d.messageId ?? '(no messageId)'}`);
}

export interface RuleCase {
  name: string;
  files: Record<string, string | null>;
  /** The rule's findings in output order, each `file:line:col messageId` (as `findings`); empty for a valid case. */
  expected: string[];
  today?: string;
}

/** A table of valid and invalid cases for one rule, asserting its id, and the position and message id of each finding. */
export function ruleCases(ruleId: string, cases: { valid: RuleCase[]; invalid: RuleCase[] }): void {
  describe(ruleId, () => {
    const rule = LINT_RULES.find((r) => r.meta.id === ruleId);
    it.each(cases.valid.map((c) => [c.name, c] as const))('valid: %s', async (_, c) => {
      expect(rule, `no lint rule \`${ruleId}\``).toBeDefined();
      const { result, dir } = await checkFixture(c.files, c.today);
      expect(result.diagnostics.filter((d) => d.severity === 'error' && !LINT_IDS.has(d.code))).toEqual([]);
      expect(findings(result.diagnostics, dir, ruleId)).toEqual([]);
    });
    it.each(cases.invalid.map((c) => [c.name, c] as const))('invalid: %s', async (_, c) => {
      expect(rule, `no lint rule \`${ruleId}\``).toBeDefined();
      // As typescript-eslint's RuleTester: an invalid case without findings, or with a message id the
      // rule does not declare, is a mistake in the table.
      expect(c.expected.length, 'an invalid case expects at least one finding').toBeGreaterThan(0);
      const declared = Object.keys(rule!.meta.messages);
      const undeclared = c.expected.filter((e) => !declared.includes(e.split(' ')[1] ?? ''));
      expect(undeclared, `entries are \`file:line:col messageId\`; the message ids of \`${ruleId}\` are ${declared.join(', ')}`).toEqual([]);
      const { result, dir } = await checkFixture(c.files, c.today);
      expect(result.diagnostics.filter((d) => d.severity === 'error' && !LINT_IDS.has(d.code))).toEqual([]);
      expect(findings(result.diagnostics, dir, ruleId)).toEqual(c.expected);
    });
  });
}

/** A service file with the given rules block (YAML text after `hosts:`). */
export function service(name: string, body: string, hosts = '[web-01]'): string {
  return `service: ${name}\ndescription: ${name}\nowners: [A <a@city.example>, B <b@city.example>]\nhosts: ${hosts}\n${body}`;
}
