import type { Span } from '../diagnostics/diagnostic.js';

/**
 * Up to `context` lines around the span with a caret line under it, as in compilers' error output.
 * A tab is shown as `→` (one column, so the caret stays under it): YAML refuses tabs as indentation,
 * and a frame that showed them as spaces would hide the very character it points at.
 */
export function codeFrame(text: string, span: Span, context = 1): string[] {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, span.start.line - context);
  const last = Math.min(lines.length, span.start.line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const line = (lines[n - 1] ?? '').replace(/\t/g, '→');
    out.push(`${n === span.start.line ? '>' : ' '} ${String(n).padStart(width)} | ${line}`);
    if (n === span.start.line) {
      const length = span.end.line === span.start.line ? Math.max(1, span.end.column - span.start.column) : Math.max(1, line.length - span.start.column + 1);
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(span.start.column - 1)}${'^'.repeat(Math.min(length, 120))}`);
    }
  }
  return out;
}
