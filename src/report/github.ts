import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ReportContext } from './index.js';
import { repositoryUri } from './sarif.js';

/** GitHub shows ten annotations of each kind per step; more are kept in the log, up to this many. */
export const MAX_ANNOTATIONS = 50;

/** Escapes a workflow command's message (`%`, CR, LF), as @actions/core does. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command's property value: the message escapes plus `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const COMMAND: Record<Diagnostic['severity'], string> = { error: 'error', warning: 'warning', info: 'notice' };

function annotation(d: Diagnostic, cwd: string): string {
  const properties: string[] = [];
  if (d.span) {
    properties.push(`file=${escapeProperty(repositoryUri(d.span.file, cwd))}`, `line=${d.span.start.line}`, `col=${d.span.start.column}`);
    if (d.span.end.line > d.span.start.line || d.span.end.column > d.span.start.column) {
      properties.push(`endLine=${d.span.end.line}`, `endColumn=${d.span.end.column}`);
    }
  }
  properties.push(`title=${escapeProperty(`benteng ${d.code}`)}`);
  const related = (d.related ?? []).map((r) => `\n${repositoryUri(r.span.file, cwd)}:${r.span.start.line}:${r.span.start.column}: ${r.message}`);
  return `::${COMMAND[d.severity]} ${properties.join(',')}::${escapeData(`${d.message} [${d.code}]${related.join('')}`)}`;
}

/**
 * GitHub Actions workflow commands: an annotation per finding (errors first) for the first
 * `MAX_ANNOTATIONS`, a plain log line for the rest, and a summary line.
 */
export function formatGithub(diagnostics: readonly Diagnostic[], context: Pick<ReportContext, 'cwd'>): string {
  const cwd = context.cwd ?? process.cwd();
  const rank: Record<Diagnostic['severity'], number> = { error: 0, warning: 1, info: 2 };
  const ordered = [...diagnostics].sort((a, b) => rank[a.severity] - rank[b.severity]);
  const out: string[] = [];
  ordered.forEach((d, i) => {
    if (i < MAX_ANNOTATIONS) {
      out.push(annotation(d, cwd));
    } else {
      const where = d.span ? `${repositoryUri(d.span.file, cwd)}:${d.span.start.line}:${d.span.start.column}: ` : '';
      out.push(`${where}${d.severity} ${d.message} [${d.code}]`);
    }
  });
  const count = (s: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === s).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const shown = diagnostics.length > MAX_ANNOTATIONS ? ` (first ${MAX_ANNOTATIONS} as annotations)` : '';
  out.push(`benteng lint: ${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${plural(count('info'), 'note')}${shown}`);
  return `${out.join('\n')}\n`;
}
