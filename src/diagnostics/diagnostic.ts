/**
 * Diagnostics are data: every stage reports them, none throws for a problem in the user's policy.
 * Lines and columns are 1-based; `end` is exclusive.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Position {
  line: number;
  column: number;
  offset: number;
}

export interface Span {
  file: string;
  start: Position;
  end: Position;
}

export interface RelatedInformation {
  message: string;
  span: Span;
}

export interface Diagnostic {
  /** Stable identifier, e.g. `schema-unknown-field`, `reference-cycle`, or a lint rule id. */
  code: string;
  /**
   * Set by lint rules: which of the rule's messages (a key of its `meta.messages`) the finding
   * reports, e.g. `exposed`. Absent for the diagnostics of the other stages.
   */
  messageId?: string;
  severity: Severity;
  message: string;
  /** Absent only for problems with no file (an empty policies directory). */
  span?: Span;
  related?: RelatedInformation[];
}

export function diagnostic(
  code: string,
  severity: Severity,
  message: string,
  span?: Span,
  related?: RelatedInformation[],
): Diagnostic {
  const d: Diagnostic = { code, severity, message };
  if (span) d.span = span;
  if (related && related.length > 0) d.related = related;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** A span covering the whole first line of a file, for file-level problems. */
export function fileSpan(file: string): Span {
  return { file, start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
}

/** Orders diagnostics by file, position, then code: the output order of every reporter. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const fa = a.span?.file ?? '';
  const fb = b.span?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  const la = a.span?.start.offset ?? 0;
  const lb = b.span?.start.offset ?? 0;
  if (la !== lb) return la - lb;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}
