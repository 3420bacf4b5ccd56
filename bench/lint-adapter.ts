/**
 * Finds the lint stage's entry point while `src/lint` is being written: the benchmark plugs it in when
 * the module exists and reports "not yet available" otherwise.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FleetModel } from '../src/model/index.js';
import type { PolicySet } from '../src/policy/index.js';

export type LintAdapter = (policy: PolicySet, model: FleetModel, dir: string) => ReadonlyArray<{ severity: string; code: string }>;

const LINT_MODULE = new URL('../src/lint/index.ts', import.meta.url);

/** The lint entry point, or why it is not available. */
export async function loadLint(): Promise<LintAdapter | string> {
  if (!existsSync(fileURLToPath(LINT_MODULE))) return 'not yet available (no src/lint/index.ts)';
  const specifier: string = '../src/lint/index.js';
  const lint = (await import(specifier)) as Record<string, unknown>;
  const entry = lint.lintPolicy;
  if (typeof entry !== 'function') return `not yet available (src/lint/index.ts exports no lintPolicy; it exports ${Object.keys(lint).join(', ')})`;
  return (policy, model) => {
    const result = (entry as (input: unknown) => unknown)({ policy, model }) as { diagnostics?: Array<{ severity: string; code: string }> } | Array<{ severity: string; code: string }>;
    return Array.isArray(result) ? result : (result.diagnostics ?? []);
  };
}
