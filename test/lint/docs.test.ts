import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderLintRulesDoc } from '../../src/lint/docs.js';
import { LINT_RULES } from '../../src/lint/index.js';
import { REPO_ROOT } from '../support/policy-dir.js';

describe('docs/lint-rules.md', () => {
  it('is generated from the rule metadata (run `npx tsx -e "import(\'./src/lint/docs.ts\').then(m => process.stdout.write(m.renderLintRulesDoc()))" > docs/lint-rules.md`)', () => {
    expect(readFileSync(join(REPO_ROOT, 'docs', 'lint-rules.md'), 'utf8')).toBe(renderLintRulesDoc());
  });

  it('every rule has a kebab-case id matching its file, a description, messages and an example', () => {
    const ids = LINT_RULES.map((r) => r.meta.id);
    expect(ids).toEqual([...ids].sort());
    for (const { meta } of LINT_RULES) {
      expect(meta.id).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(readFileSync(join(REPO_ROOT, 'src', 'lint', 'rules', `${meta.id}.ts`), 'utf8')).toContain(`id: '${meta.id}'`);
      expect(meta.description.length).toBeGreaterThan(10);
      expect(Object.keys(meta.messages).length).toBeGreaterThan(0);
      expect(meta.example.length).toBeGreaterThan(0);
    }
  });
});
