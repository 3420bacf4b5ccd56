/**
 * The import report (`IMPORT-REPORT.md` next to the imported policies, and `--format json`): what was
 * imported, every source rule left out or approximated with its line and why, other software's rules
 * left out on purpose, and the equivalence check's result. Only formats; the CLI writes and prints.
 */
import type { ImportReportEntry, ImportResult } from './index.js';

const HEADINGS: Record<ImportReportEntry['kind'], string> = {
  'not-imported': 'Not imported (benteng cannot express these rules)',
  approximated: 'Approximated (imported, but some packets are decided differently)',
  'left-out': "Other software's rules (left out on purpose)",
  note: 'Notes',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** Whether the import needs a person: rules not imported or approximated, or unexplained mismatches. */
export function needsReview(result: Pick<ImportResult, 'report' | 'equivalence'>): boolean {
  return result.report.some((e) => e.kind === 'not-imported' || e.kind === 'approximated') || result.equivalence.unexplained > 0;
}

export function reportMarkdown(result: ImportResult, sources: string[]): string {
  const { equivalence } = result;
  const out = [
    '# Import report',
    '',
    `Source: ${sources.join(', ')}. Host \`${result.host.name}\` (${result.host.backend}), addresses ${result.host.addresses.join(', ')}${result.host.addressesAreTodo ? ' (placeholders: replace them)' : ''}.`,
    '',
    `- Services: ${result.services.length} (${result.services.join(', ') || 'none'})`,
    `- Rules imported: ${result.rulesImported}`,
    `- Baseline: established ${result.baseline.established}, loopback ${result.baseline.loopback}, icmp ${result.baseline.icmp}`,
    `- Report entries: ${result.report.length} (${(['not-imported', 'approximated', 'left-out', 'note'] as const).map((k) => `${result.report.filter((e) => e.kind === k).length} ${k}`).join(', ')})`,
    `- Equivalence: ${equivalence.packets} random packets (seed ${equivalence.seed}): ${equivalence.packets - equivalence.explained - equivalence.unexplained} decided the same, ${equivalence.explained} differently as explained below, ${equivalence.unexplained} differently without explanation`,
    '',
  ];
  for (const kind of ['not-imported', 'approximated', 'left-out', 'note'] as const) {
    const entries = result.report.filter((e) => e.kind === kind);
    if (entries.length === 0) continue;
    out.push(`## ${HEADINGS[kind]}`, '', '| where | rule | why |', '|---|---|---|');
    for (const entry of entries) {
      const where = entry.location ? `${entry.location.file}:${entry.location.line}${entry.location.handle !== undefined ? ` (handle ${entry.location.handle})` : ''}` : '';
      out.push(`| ${cell(where)} | \`${cell(entry.text)}\` | ${cell(entry.reason)} |`);
    }
    out.push('');
  }
  if (equivalence.examples.length > 0) {
    out.push('## Unexplained differences (a bug in benteng import: please report it)', '', '| packet | source | imported | decided in the source by |', '|---|---|---|---|');
    for (const m of equivalence.examples) out.push(`| ${cell(`${m.direction} ${m.packet}`)} | ${m.source} | ${cell(m.imported)} | ${cell(m.decidedBy ?? '')} |`);
    out.push('');
  }
  out.push(
    '## Next steps',
    '',
    '- Replace every `TODO` (owners, SSH endpoint, placeholder addresses), then run `benteng lint` and `benteng build`.',
    "- The first-match order of the source is kept by service names: benteng runs services in name order. Rename services only where the order does not matter (see docs/import.md).",
    '',
  );
  return `${out.join('\n')}`;
}

/** The result as data for `--format json` (paths and entries; no YAML texts). */
export function reportJson(result: ImportResult, out: string, sources: string[]): object {
  return {
    out,
    sources,
    host: result.host,
    files: [...result.files.keys(), 'IMPORT-REPORT.md'],
    services: result.services,
    rulesImported: result.rulesImported,
    baseline: result.baseline,
    report: result.report,
    equivalence: result.equivalence,
    needsReview: needsReview(result),
  };
}
