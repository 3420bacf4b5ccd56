/**
 * Checks an imported policy before anything is written: the files (path → YAML text) go through the
 * same stages as `benteng lint` (YAML parse with positions, JSON Schema, resolve, lint) in memory, so
 * the import never writes a policy benteng would refuse. Reading files stays the loader's job; here
 * the texts are handed over as data.
 */
import { FleetAccess } from '../access/index.js';
import { type Diagnostic, hasErrors } from '../diagnostics/diagnostic.js';
import { lintPolicy } from '../lint/index.js';
import { parseLintConfig } from '../lint/config.js';
import { type DocumentKind, type LoadedDocument, YamlSource } from '../load/index.js';
import type { FleetModel } from '../model/index.js';
import { resolvePolicy } from '../resolve/index.js';
import { validatePolicies } from '../validate/index.js';

export interface PolicyCheck {
  model?: FleetModel;
  diagnostics: Diagnostic[];
}

function kindOf(path: string): DocumentKind | undefined {
  if (path.startsWith('services/') && path.endsWith('.yaml')) return 'service';
  const base = path.replace(/\.ya?ml$/, '');
  return (['hosts', 'networks', 'ports', 'defaults', 'blocklist'] as const).find((k) => k === base);
}

/** Runs load (from text) → validate → resolve → lint on the files; `dir` names them in diagnostics. */
export function checkPolicyFiles(files: ReadonlyMap<string, string>, dir: string, options: { lint?: boolean; today?: string } = {}): PolicyCheck {
  const documents: LoadedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  let lintConfigText: string | undefined;
  for (const [path, text] of files) {
    if (path === 'benteng.yaml') lintConfigText = text;
    const kind = kindOf(path);
    if (!kind) continue;
    const file = `${dir}/${path}`;
    const parsed = YamlSource.parse(file, text);
    diagnostics.push(...parsed.diagnostics);
    sources.set(file, text);
    if (parsed.data !== undefined) documents.push({ kind, source: parsed.source, data: parsed.data });
  }
  const validated = validatePolicies({ dir, documents, diagnostics: [...diagnostics] });
  diagnostics.push(...validated.diagnostics);
  if (!validated.policy || hasErrors(diagnostics)) return { diagnostics };
  const resolved = resolvePolicy(validated.policy, options.today ? { today: options.today } : {});
  diagnostics.push(...resolved.diagnostics);
  if (hasErrors(resolved.diagnostics)) return { diagnostics };
  if (options.lint ?? true) {
    let config;
    if (lintConfigText !== undefined) {
      const parsed = YamlSource.parse(`${dir}/benteng.yaml`, lintConfigText);
      const read = parseLintConfig(parsed.source, parsed.data);
      diagnostics.push(...read.diagnostics);
      config = read.config;
    }
    diagnostics.push(...lintPolicy({ policy: validated.policy, model: resolved.model, ...(config ? { config } : {}), sources, access: new FleetAccess(resolved.model) }));
  }
  return { model: resolved.model, diagnostics };
}
