import type { ChalkInstance } from 'chalk';
import type { Verdict } from '../model/index.js';
import { BASELINE_MEANING, changeTitle, type DiffLabels, decisionText, sensitiveLines, sensitiveText, sideLocation, summaryText, verdictNote } from './describe.js';
import type { AccessDiff, HostDiff, SideDecision } from './index.js';

export interface PrettyContext extends DiffLabels {
  chalk: ChalkInstance;
}

function verdictColour(verdict: Verdict, chalk: ChalkInstance): string {
  return verdict === 'accept' ? chalk.green(verdict) : chalk.red(verdict);
}

function sideLine(label: string, side: SideDecision, which: 'old' | 'new', context: PrettyContext): string {
  const where = sideLocation(side, which, context);
  return `      ${context.chalk.dim(label)} ${decisionText(side)}${where ? `  ${context.chalk.dim(where)}` : ''}`;
}

function hostHeading(host: HostDiff, chalk: ChalkInstance): string {
  switch (host.status) {
    case 'added':
      return `${chalk.bold(host.host)} ${chalk.green('host added')} ${chalk.dim('(compared with nothing deployed: what it accepts is new)')}`;
    case 'removed':
      return `${chalk.bold(host.host)} ${chalk.red('host removed')}`;
    case 'changed':
      return chalk.bold(host.host);
    default: {
      const never: never = host.status;
      throw new Error(`unexpected host status ${String(never)}`);
    }
  }
}

/**
 * Human output: per host and chain, each changed group with both decisions and their rules (the
 * drop/reject note once, at its first change); a summary, then newly opened sensitive ports.
 */
export function formatDiffPretty(diff: AccessDiff, context: PrettyContext): string {
  const { chalk } = context;
  const out: string[] = [chalk.bold(`Access in ${context.policies} compared with ${context.base}`), ''];
  for (const b of diff.baseline) {
    out.push(`${chalk.bold('fleet baseline')} ${b.setting}: ${b.old} → ${b.new} ${chalk.dim(`(${BASELINE_MEANING[b.setting]})`)}`, '');
  }
  let noted = false;
  for (const host of diff.hosts) {
    out.push(hostHeading(host, chalk));
    for (const chain of host.chains) {
      out.push(`  ${chain.direction}`);
      for (const change of chain.changes) {
        if (change.old.reason === 'no-host') {
          const where = sideLocation(change.new, 'new', context);
          out.push(`    ${changeTitle(change, chain.direction)}: ${decisionText(change.new).replace(/^accept/, chalk.green('accept'))}${where ? `  ${chalk.dim(where)}` : ''}`);
          continue;
        }
        out.push(`    ${changeTitle(change, chain.direction)}: ${verdictColour(change.old.verdict, chalk)} → ${verdictColour(change.new.verdict, chalk)}`);
        out.push(sideLine('was', change.old, 'old', context));
        out.push(sideLine('now', change.new, 'new', context));
        const note = verdictNote(change.old.verdict, change.new.verdict);
        if (note && !noted) out.push(`      ${chalk.dim(`note: ${note}`)}`);
        if (note) noted = true;
      }
    }
    out.push('');
  }
  const summary = summaryText(diff);
  out.push(diff.hosts.length === 0 && diff.baseline.length === 0 ? chalk.green(summary) : summary);
  const sensitive = sensitiveLines(diff.sensitive);
  if (sensitive.length > 0) {
    out.push('', chalk.red.bold(`error: this change newly opens ${sensitive.length === 1 ? 'a sensitive port' : 'sensitive ports'} to the whole internet:`));
    for (const s of sensitive) {
      const rules = s.rules.map((r) => `${r.id} ${chalk.dim(`(${r.span.file}:${r.span.start.line}:${r.span.start.column})`)}`).join(', ');
      out.push(`  ${sensitiveText(s)}${rules ? `, by ${rules}` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
