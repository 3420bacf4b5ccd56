import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, Span } from '../diagnostics/diagnostic.js';
import { LINT_RULES } from '../lint/rules/index.js';
import type { ReportContext } from './index.js';

/** Where people read about benteng's rules; SARIF viewers link the tool name to it. */
export const BENTENG_INFORMATION_URI = 'https://github.com/benteng-policy/benteng';
const PACKAGE_JSON = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');

function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

interface SarifRule {
  id: string;
  name?: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[]; 'security-severity'?: string; precision?: string };
}

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Diagnostic['severity'], SarifLevel> = { error: 'error', warning: 'warning', info: 'note' };

/** A path as SARIF wants it: relative to the working directory (the repository root in CI), `/`-separated. */
export function repositoryUri(file: string, cwd: string): string {
  const path = isAbsolute(file) ? relative(cwd, file) : file;
  return path.split(sep).join('/').replace(/^\.\//, '');
}

function region(span: Span): Record<string, number> {
  const r: Record<string, number> = { startLine: span.start.line, startColumn: span.start.column };
  const after = span.end.line > span.start.line || (span.end.line === span.start.line && span.end.column > span.start.column);
  if (after) Object.assign(r, { endLine: span.end.line, endColumn: span.end.column });
  return r;
}

function location(span: Span, cwd: string): object {
  return { physicalLocation: { artifactLocation: { uri: repositoryUri(span.file, cwd) }, region: region(span) } };
}

function lintRuleDescriptor(id: string): SarifRule | undefined {
  const rule = LINT_RULES.find((r) => r.meta.id === id);
  if (!rule) return undefined;
  const { meta } = rule;
  const tags = [...meta.tags];
  const properties: SarifRule['properties'] = { tags, precision: 'very-high' };
  if (meta.securitySeverity !== undefined) {
    if (!tags.includes('security')) tags.push('security');
    properties['security-severity'] = meta.securitySeverity.toFixed(1);
  }
  return {
    id,
    name: id.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase()),
    shortDescription: { text: meta.description },
    fullDescription: { text: `${meta.description} Default severity: ${meta.defaultSeverity}.` },
    help: {
      text: `${meta.description}\n\nExample that is reported:\n${meta.example}`,
      markdown: `${meta.description}\n\nExample that is reported:\n\n\`\`\`yaml\n${meta.example}\n\`\`\``,
    },
    defaultConfiguration: { level: LEVEL[meta.defaultSeverity] },
    properties,
  };
}

function stageDescriptor(id: string, severity: Diagnostic['severity']): SarifRule {
  const text = `benteng ${id.replace(/-/g, ' ')} (a problem found while loading, validating or resolving the policy)`;
  return {
    id,
    shortDescription: { text },
    fullDescription: { text },
    help: { text, markdown: text },
    defaultConfiguration: { level: LEVEL[severity] },
    properties: { tags: ['policy'] },
  };
}

/**
 * SARIF 2.1.0 for GitHub code scanning: one run, every lint rule as a `reportingDescriptor` (with
 * `security-severity` for the security rules), and one result per diagnostic with a repository-relative
 * location (and a lint finding's `messageId` in its `properties`). Codes of the earlier stages
 * (schema, references) get descriptors of their own.
 */
export function formatSarif(diagnostics: readonly Diagnostic[], context: Pick<ReportContext, 'cwd'>): string {
  const cwd = context.cwd ?? process.cwd();
  const rules: SarifRule[] = LINT_RULES.map((r) => lintRuleDescriptor(r.meta.id)!);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  for (const d of diagnostics) {
    if (index.has(d.code)) continue;
    index.set(d.code, rules.length);
    rules.push(stageDescriptor(d.code, d.severity));
  }
  const results = diagnostics.map((d) => {
    const result: Record<string, unknown> = {
      ruleId: d.code,
      ruleIndex: index.get(d.code)!,
      level: LEVEL[d.severity],
      message: { text: d.message },
    };
    if (d.span) result.locations = [location(d.span, cwd)];
    // In the property bag, which viewers ignore (`message.id` would need `messageStrings` in the rule table).
    if (d.messageId !== undefined) result.properties = { messageId: d.messageId };
    if (d.related) {
      result.relatedLocations = d.related.map((r, id) => ({ id, ...location(r.span, cwd), message: { text: r.message } }));
    }
    return result;
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'benteng', version: toolVersion(), informationUri: BENTENG_INFORMATION_URI, rules } },
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
