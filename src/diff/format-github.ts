import type { Span } from '../diagnostics/diagnostic.js';
import { escapeData, escapeProperty, MAX_ANNOTATIONS } from '../report/github.js';
import { repositoryUri } from '../report/sarif.js';
import { changeTitle, type DiffLabels, decisionText, plural, sensitiveLines, sensitiveText, sideLocation, summaryText } from './describe.js';
import type { AccessDiff, RuleRef } from './index.js';

export interface GithubContext extends DiffLabels {
  /** Directory that file locations are made relative to; defaults to `process.cwd()`. */
  cwd?: string;
}

interface Annotation {
  level: 'error' | 'warning' | 'notice';
  span?: Span;
  title: string;
  lines: string[];
}

function command(a: Annotation, cwd: string): string {
  const properties: string[] = [];
  if (a.span) properties.push(`file=${escapeProperty(repositoryUri(a.span.file, cwd))}`, `line=${a.span.start.line}`, `col=${a.span.start.column}`);
  properties.push(`title=${escapeProperty(a.title)}`);
  return `::${a.level} ${properties.join(',')}::${escapeData(a.lines.join('\n'))}`;
}

/**
 * GitHub Actions workflow commands: an `::error` at the rule that newly opens a sensitive port to the
 * whole internet, a `::warning` on each rule of the new tree responsible for changed traffic (its
 * changes listed in one message), a `::notice` without a location for traffic no rule of the new tree
 * decides (a deleted or narrowed rule: the default drop) and for removed hosts, then a summary line.
 */
export function formatDiffGithub(diff: AccessDiff, context: GithubContext): string {
  const cwd = context.cwd ?? process.cwd();
  const annotations: Annotation[] = [];
  const sensitive = sensitiveLines(diff.sensitive);
  for (const s of sensitive) {
    const [first] = s.rules;
    annotations.push({
      level: 'error',
      ...(first ? { span: first.span } : {}),
      title: 'benteng diff: sensitive port opened to the internet',
      lines: [`Newly opens ${sensitiveText(s)}${s.rules.length > 0 ? ` (${s.rules.map((r) => r.id).join(', ')})` : ''}`],
    });
  }
  const byRule = new Map<RuleRef, Annotation>();
  const unruled: Annotation[] = [];
  for (const host of diff.hosts) {
    if (host.status === 'removed') {
      unruled.push({ level: 'notice', title: 'benteng diff: host removed', lines: [`${host.host}: host removed`] });
      continue;
    }
    for (const chain of host.chains) {
      for (const change of chain.changes) {
        const oldWhere = sideLocation(change.old, 'old', context);
        const before = change.old.reason === 'no-host' ? 'new host' : `before: ${decisionText(change.old)}${oldWhere ? ` [${oldWhere}]` : ''}`;
        const line = `${host.host} ${chain.direction}: ${changeTitle(change, chain.direction)}: ${change.old.verdict} → ${change.new.verdict}; ${before}`;
        const rule = change.new.rule;
        if (!rule) {
          unruled.push({ level: 'notice', title: 'benteng diff: access changed', lines: [`${line}; now: ${decisionText(change.new)}`] });
          continue;
        }
        let annotation = byRule.get(rule);
        if (!annotation) byRule.set(rule, (annotation = { level: 'warning', span: rule.span, title: `benteng diff: ${rule.id} changes access`, lines: [] }));
        annotation.lines.push(line);
      }
    }
  }
  annotations.push(...byRule.values(), ...unruled);
  const out = annotations.map((a, i) => (i < MAX_ANNOTATIONS ? command(a, cwd) : `${a.span ? `${repositoryUri(a.span.file, cwd)}:${a.span.start.line}:${a.span.start.column}: ` : ''}${a.lines.join('; ')}`));
  const opened = sensitive.length > 0 ? `; newly opens ${plural(sensitive.length, 'sensitive port')} to the whole internet` : '';
  out.push(`benteng diff: ${context.policies} compared with ${context.base}: ${summaryText(diff)}${opened}`);
  return `${out.join('\n')}\n`;
}
