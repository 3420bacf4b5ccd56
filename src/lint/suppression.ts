import type { Span } from '../diagnostics/diagnostic.js';

/** `# benteng-disable-next-line <rule-id>[, <rule-id>…] [-- <reason>]` on a line of its own. */
const DIRECTIVE = /^(\s*)#\s*benteng-disable-next-line\b(.*)$/;

export interface Suppression {
  /** The comment's span (from `#` to the end of the line). */
  span: Span;
  ruleIds: string[];
  reason?: string;
  /** The 1-based line the suppression applies to: the next line that is neither blank nor a comment. */
  targetLine: number;
  file: string;
}

/** Finds the suppression comments of one YAML file's text. */
export function scanSuppressions(file: string, text: string): Suppression[] {
  const lines = text.split('\n');
  const out: Suppression[] = [];
  let offset = 0;
  const starts = lines.map((line) => {
    const start = offset;
    offset += line.length + 1;
    return start;
  });
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const match = DIRECTIVE.exec(line);
    if (!match) return;
    const indent = match[1]!.length;
    const [idsText, ...reasonParts] = match[2]!.split('--');
    const reason = reasonParts.join('--').trim();
    let target = i + 1;
    while (target < lines.length && /^\s*(#.*)?\r?$/.test(lines[target]!)) target++;
    const start = { line: i + 1, column: indent + 1, offset: starts[i]! + indent };
    const end = { line: i + 1, column: line.length + 1, offset: starts[i]! + line.length };
    const suppression: Suppression = {
      span: { file, start, end },
      ruleIds: (idsText ?? '').split(/[\s,]+/).filter((s) => s !== ''),
      targetLine: target + 1,
      file,
    };
    if (reasonParts.length > 0 && reason !== '') suppression.reason = reason;
    out.push(suppression);
  });
  return out;
}
