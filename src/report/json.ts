import type { Diagnostic } from '../diagnostics/diagnostic.js';

export interface JsonFinding {
  code: string;
  /** Which of the lint rule's messages the finding reports (`exposed`, `byLater`, …); `null` outside lint. */
  messageId: string | null;
  severity: Diagnostic['severity'];
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
}

/** Machine output: one array of findings, the positions 1-based, `end` exclusive, `null` where a finding has none. */
export function formatJson(diagnostics: readonly Diagnostic[]): string {
  const findings: JsonFinding[] = diagnostics.map((d) => ({
    code: d.code,
    messageId: d.messageId ?? null,
    severity: d.severity,
    message: d.message,
    file: d.span?.file ?? null,
    line: d.span?.start.line ?? null,
    column: d.span?.start.column ?? null,
    endLine: d.span?.end.line ?? null,
    endColumn: d.span?.end.column ?? null,
  }));
  return `${JSON.stringify(findings, null, 2)}\n`;
}
