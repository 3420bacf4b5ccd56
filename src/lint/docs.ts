import { LINT_RULES } from './rules/index.js';

/** `docs/lint-rules.md`, generated from the rules' metadata (a test keeps the file in step). */
export function renderLintRulesDoc(): string {
  const out: string[] = [
    '# Lint rules',
    '',
    '<!-- Generated from the rules\' metadata by `renderLintRulesDoc` (src/lint/docs.ts); test/lint/docs.test.ts checks it. -->',
    '',
    '`benteng lint` runs these rules after the policy resolved cleanly. Configure them in `<policies>/benteng.yaml`',
    '(schema: `schemas/lint-config.schema.json`):',
    '',
    '```yaml',
    'rules:',
    '  correlated-rules: off            # off | info | warning | error',
    '  wide-port-range: { severity: error, options: { maxPorts: 256 } }',
    '```',
    '',
    'Suppress one finding with a comment on the line before the rule (or service) it is about; the reason is required:',
    '',
    '```yaml',
    '  # benteng-disable-next-line sensitive-port-internet -- vendor appliance, tracked in TICKET-42',
    '  - from: any',
    '    ports: [ssh]',
    '```',
    '',
    '| Rule | Default severity | Description |',
    '| --- | --- | --- |',
    ...LINT_RULES.map((r) => `| [\`${r.meta.id}\`](#${r.meta.id}) | ${r.meta.defaultSeverity} | ${r.meta.description.replace(/\|/g, '\\|')} |`),
    '',
  ];
  for (const { meta } of LINT_RULES) {
    out.push(`## ${meta.id}`, '', meta.description, '', `- Default severity: **${meta.defaultSeverity}**`);
    if (meta.securitySeverity !== undefined) out.push(`- Security severity (SARIF): ${meta.securitySeverity.toFixed(1)}`);
    out.push(`- Tags: ${meta.tags.join(', ')}`);
    if (meta.defaultOptions) out.push(`- Options (defaults): \`${JSON.stringify(meta.defaultOptions)}\``);
    out.push('', 'Reported:', '', '```yaml', meta.example, '```', '', 'Messages:', '');
    for (const [id, text] of Object.entries(meta.messages)) out.push(`- \`${id}\`: ${text}`);
    out.push('');
  }
  return out.join('\n');
}
