import type { ChalkInstance } from 'chalk';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { codeFrame } from './code-frame.js';
import type { ReportContext } from './index.js';

function severityLabel(d: Diagnostic, chalk: ChalkInstance): string {
  switch (d.severity) {
    case 'error':
      return chalk.red.bold('error');
    case 'warning':
      return chalk.yellow.bold('warning');
    case 'info':
      return chalk.blue.bold('info');
  }
}

/** Human output: grouped by file, each finding with its position, code and a code frame. */
export function formatPretty(diagnostics: readonly Diagnostic[], context: ReportContext): string {
  const { chalk } = context;
  const out: string[] = [];
  let currentFile: string | undefined;
  for (const d of diagnostics) {
    const file = d.span?.file ?? '';
    if (file !== currentFile) {
      if (currentFile !== undefined) out.push('');
      out.push(chalk.underline(file || '(policies)'));
      currentFile = file;
    }
    const where = d.span ? `${d.span.start.line}:${d.span.start.column}` : '';
    out.push(`  ${chalk.dim(where.padEnd(7))} ${severityLabel(d, chalk)} ${d.message} ${chalk.dim(`[${d.code}]`)}`);
    const text = d.span ? context.sources.get(d.span.file) : undefined;
    if (d.span && text !== undefined) out.push(...codeFrame(text, d.span).map((l) => `    ${chalk.dim(l)}`));
    for (const r of d.related ?? []) {
      out.push(`    ${chalk.dim(`${r.span.file}:${r.span.start.line}:${r.span.start.column}`)} ${r.message}`);
    }
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  if (diagnostics.length > 0) out.push('');
  const summary = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  out.push(errors > 0 ? chalk.red(summary) : warnings > 0 ? chalk.yellow(summary) : chalk.green(`no problems (${summary})`));
  return `${out.join('\n')}\n`;
}
