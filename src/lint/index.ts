/**
 * The lint stage: runs every enabled rule of the registry (`rules/index.ts`) over the validated policy
 * and the resolved model, applies `benteng.yaml`'s severities and options and the inline
 * `# benteng-disable-next-line` suppressions, and returns diagnostics coded by rule id, each with the
 * `messageId` of the rule message it reports.
 */
import { type Diagnostic, diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { FleetAccess } from '../access/index.js';
import type { FleetModel } from '../model/index.js';
import type { PolicySet } from '../policy/index.js';
import { type AnomalyAnalysis, analyzeFleet } from './anomaly/index.js';
import type { LintConfig } from './config.js';
import { formatMessage, type LintContext, type LintFinding, type LintRule, type RuleLevel } from './rule.js';
import { LINT_RULES } from './rules/index.js';
import { scanSuppressions, type Suppression } from './suppression.js';

export { LINT_RULES } from './rules/index.js';
export { loadLintConfig, type LintConfig } from './config.js';
export { analyzeChain, analyzeFleet } from './anomaly/index.js';

export interface LintInput {
  policy: PolicySet;
  model: FleetModel;
  config?: LintConfig;
  /** Policy file texts by path, scanned for suppression comments. */
  sources: ReadonlyMap<string, string>;
  /** The access model of the fleet, when the caller already has one (built on demand otherwise). */
  access?: FleetAccess;
}

interface Reported {
  rule: LintRule<any, string>;
  severity: Severity;
  finding: LintFinding;
}

function levelOf(rule: LintRule<any, string>, config: LintConfig | undefined): RuleLevel {
  return config?.rules.get(rule.meta.id)?.severity ?? rule.meta.defaultSeverity;
}

/** A finding as a diagnostic coded by the rule id, carrying the id of the rule's message it reports. */
function toDiagnostic({ rule, severity, finding }: Reported): Diagnostic {
  const template = rule.meta.messages[finding.messageId] ?? finding.messageId;
  const d = diagnostic(rule.meta.id, severity, formatMessage(template, finding.data), finding.span, finding.related);
  d.messageId = finding.messageId;
  return d;
}

/** Runs the lint rules; a rule that throws is a bug in benteng and is not caught here. */
export function lintPolicy(input: LintInput): Diagnostic[] {
  const { policy, model, config } = input;
  const access = input.access ?? new FleetAccess(model);
  let analysis: AnomalyAnalysis | undefined;
  const reported: Reported[] = [];
  const seen = new Set<string>();
  for (const rule of LINT_RULES) {
    const level = levelOf(rule, config);
    if (level === 'off') continue;
    const options = { ...(rule.meta.defaultOptions ?? {}), ...(config?.rules.get(rule.meta.id)?.options ?? {}) };
    const context: LintContext<any, string> = {
      policy,
      model,
      options,
      anomalies: () => (analysis ??= analyzeFleet(model, {}, access)),
      access,
      report: (finding) => {
        const key = `${rule.meta.id}\n${finding.messageId}\n${finding.span.file}:${finding.span.start.offset}\n${JSON.stringify(finding.data ?? {})}`;
        if (seen.has(key)) return;
        seen.add(key);
        reported.push({ rule, severity: level, finding });
      },
    };
    rule.check(context);
  }
  return applySuppressions(reported, input.sources, config);
}

function engineRule(id: string): LintRule<any, string> {
  return LINT_RULES.find((r) => r.meta.id === id)!;
}

/** Drops suppressed findings and reports suppressions without a reason or that suppress nothing. */
function applySuppressions(reported: Reported[], sources: ReadonlyMap<string, string>, config: LintConfig | undefined): Diagnostic[] {
  const suppressions: Suppression[] = [...sources].flatMap(([file, text]) => scanSuppressions(file, text));
  const byTarget = new Map<string, Suppression[]>();
  for (const s of suppressions) byTarget.set(`${s.file}:${s.targetLine}`, [...(byTarget.get(`${s.file}:${s.targetLine}`) ?? []), s]);
  const used = new Set<string>();
  const out: Diagnostic[] = [];
  for (const r of reported) {
    const lines = new Set([r.finding.span.start.line, r.finding.subject?.start.line].filter((l): l is number => l !== undefined));
    const match = [...lines]
      .flatMap((line) => byTarget.get(`${r.finding.span.file}:${line}`) ?? [])
      .find((s) => s.ruleIds.includes(r.rule.meta.id));
    if (match) {
      used.add(`${match.file}:${match.span.start.line}:${r.rule.meta.id}`);
      continue;
    }
    out.push(toDiagnostic(r));
  }

  const emit = (id: string, messageId: string, data: Record<string, string>, s: Suppression) => {
    const rule = engineRule(id);
    const level = levelOf(rule, config);
    if (level !== 'off') out.push(toDiagnostic({ rule, severity: level, finding: { messageId, data, span: s.span } }));
  };
  const known = new Set(LINT_RULES.map((r) => r.meta.id));
  for (const s of suppressions) {
    if (s.ruleIds.length === 0) {
      emit('unused-suppression', 'noRule', {}, s);
      continue;
    }
    if (s.reason === undefined) emit('suppression-missing-reason', 'missingReason', { rules: s.ruleIds.map((id) => `\`${id}\``).join(', ') }, s);
    for (const id of s.ruleIds) {
      if (!known.has(id)) {
        emit('unused-suppression', 'unknownRule', { rule: id, hint: didYouMean(id, known) }, s);
      } else if (!used.has(`${s.file}:${s.span.start.line}:${id}`) && levelOf(engineRule(id), config) !== 'off') {
        emit('unused-suppression', 'unused', { rule: id }, s);
      }
    }
  }
  return out;
}
