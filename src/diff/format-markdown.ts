import { BASELINE_MEANING, type DiffLabels, decisionText, FAMILY_NAME, peersText, sensitiveLines, sensitiveText, sideLocation, summaryText, trafficText, verdictNote } from './describe.js';
import type { AccessDiff, SideDecision } from './index.js';

/** Text safe inside a table cell: pipes escaped, no line breaks. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function sideCell(side: SideDecision, which: 'old' | 'new', labels: DiffLabels): string {
  const where = sideLocation(side, which, labels);
  const text = side.rule ? `**${side.verdict}** by ${code(side.rule.id)}` : decisionText(side).replace(/^(accept|drop|reject)\b/, '**$1**');
  return cell(where ? `${text} (${where})` : text);
}

/** A pull-request comment: a heading, the summary, newly opened sensitive ports first, then a table per host (with the drop/reject note under it when it applies). */
export function formatDiffMarkdown(diff: AccessDiff, labels: DiffLabels): string {
  const out: string[] = ['## benteng diff: access changes', '', `${code(labels.policies)} compared with ${code(labels.base)}: ${summaryText(diff)}.`];
  const sensitive = sensitiveLines(diff.sensitive);
  if (sensitive.length > 0) {
    out.push('', '> [!CAUTION]', `> This change newly opens ${sensitive.length === 1 ? 'a sensitive port' : 'sensitive ports'} to the whole internet:`);
    for (const s of sensitive) {
      const rules = s.rules.map((r) => `${code(r.id)} (${r.span.file}:${r.span.start.line}:${r.span.start.column})`).join(', ');
      out.push(`> - ${sensitiveText(s)}${rules ? `, by ${rules}` : ''}`);
    }
  }
  if (diff.baseline.length > 0) {
    out.push('', '### Fleet baseline', '');
    for (const b of diff.baseline) out.push(`- ${code(b.setting)}: ${b.old} → ${b.new} (${BASELINE_MEANING[b.setting]})`);
  }
  for (const host of diff.hosts) {
    const status = host.status === 'added' ? ' (host added: everything it accepts is new)' : host.status === 'removed' ? ' (host removed)' : '';
    out.push('', `### ${code(host.host)}${status}`);
    if (host.chains.length === 0) continue;
    out.push('', '| direction | traffic | peers | before | after |', '|---|---|---|---|---|');
    let note: string | undefined;
    for (const chain of host.chains) {
      for (const change of chain.changes) {
        note ??= verdictNote(change.old.verdict, change.new.verdict);
        const traffic = `${FAMILY_NAME[change.family]} ${trafficText(change.family, change.protocol, change.values)}`;
        const peers = `${chain.direction === 'ingress' ? 'from' : 'to'} ${peersText(change.family, change.peers)}`;
        out.push(`| ${chain.direction} | ${cell(traffic)} | ${cell(peers)} | ${sideCell(change.old, 'old', labels)} | ${sideCell(change.new, 'new', labels)} |`);
      }
    }
    if (note) out.push('', `Note: ${note}.`);
  }
  return `${out.join('\n')}\n`;
}
