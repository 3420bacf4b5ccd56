import type { RelatedInformation, Severity, Span } from '../diagnostics/diagnostic.js';
import type { FleetModel } from '../model/index.js';
import type { PolicySet } from '../policy/index.js';
import type { FleetAccess } from '../access/index.js';
import type { AnomalyAnalysis } from './anomaly/index.js';

/** What a rule's severity can be configured to in `benteng.yaml`. */
export type RuleLevel = Severity | 'off';

export interface LintRuleMeta<MessageId extends string = string> {
  /** Kebab-case id; the rule's file is `src/lint/rules/<id>.ts`. */
  id: string;
  defaultSeverity: Severity;
  /** One line, for `docs/lint-rules.md`, SARIF `shortDescription` and `--help`. */
  description: string;
  /** Message templates by id; `{{name}}` is replaced by `data.name`. */
  messages: Record<MessageId, string>;
  /** JSON Schema (2020-12) of the rule's `options` in `benteng.yaml`. */
  optionsSchema?: object;
  /** Options used when `benteng.yaml` gives none (merged under the configured ones). */
  defaultOptions?: Record<string, unknown>;
  /** A policy fragment that the rule reports, for the docs. */
  example: string;
  /** GitHub code scanning's `security-severity` (0.0-10.0); absent for hygiene rules. */
  securitySeverity?: number;
  tags: string[];
}

export interface LintFinding<MessageId extends string = string> {
  messageId: MessageId;
  data?: Record<string, string | number>;
  span: Span;
  /**
   * The policy element the finding is about (a rule's list item, a service document), when it differs
   * from `span`: a suppression comment above the element's first line applies to the finding.
   */
  subject?: Span;
  related?: RelatedInformation[];
}

export interface LintContext<Options = Record<string, unknown>, MessageId extends string = string> {
  policy: PolicySet;
  model: FleetModel;
  /** The rule's options: its `defaultOptions` overlaid with the configured ones. */
  options: Options;
  /** The anomaly analysis of every host's chains, computed once and shared by the anomaly rules. */
  anomalies(): AnomalyAnalysis;
  /** What every host's chains decide (src/access), built once per host and shared by every rule. */
  access: FleetAccess;
  report(finding: LintFinding<MessageId>): void;
}

/**
 * One lint rule: metadata and a `check` that reports findings through the context. A rule never
 * throws for a problem in the policy; it reports.
 */
export interface LintRule<Options = Record<string, unknown>, MessageId extends string = string> {
  meta: LintRuleMeta<MessageId>;
  check(context: LintContext<Options, MessageId>): void;
}

/** Declares a rule with its message ids and options typed from the metadata. */
export function defineRule<Options = Record<string, unknown>, MessageId extends string = string>(
  rule: LintRule<Options, MessageId>,
): LintRule<Options, MessageId> {
  return rule;
}

/** Fills `{{name}}` placeholders of a message template. */
export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (name in data ? String(data[name]) : whole));
}
