import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { type Diagnostic, diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { YamlSource } from '../load/index.js';
import { readPolicySource } from '../load/source-file.js';
import { schemaDiagnostics } from '../validate/schema-messages.js';
import type { RuleLevel } from './rule.js';
import { LINT_RULES } from './rules/index.js';

/** The lint configuration's file names in the policies directory, first found wins. */
export const LINT_CONFIG_FILES = ['benteng.yaml', 'benteng.yml'];

const SCHEMA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas', 'lint-config.schema.json');

export interface RuleSetting {
  severity?: RuleLevel;
  options?: Record<string, unknown>;
}

export interface LintConfig {
  /** Settings by rule id; a rule not listed runs with its default severity and options. */
  rules: Map<string, RuleSetting>;
}

export interface LoadedLintConfig {
  config: LintConfig;
  diagnostics: Diagnostic[];
  /** The configuration file, when there is one (for code frames). */
  source?: { file: string; text: string };
}

type RawSetting = RuleLevel | { severity?: RuleLevel; options?: Record<string, unknown> };

let ajv: Ajv2020 | undefined;
let validateConfig: ValidateFunction | undefined;
const optionValidators = new Map<string, ValidateFunction>();

function validators(): { config: ValidateFunction; options: (id: string, schema: object) => ValidateFunction } {
  // ajv is loaded only when a `benteng.yaml` is checked: a cached lint or a build never pays for it.
  ajv ??= new (createRequire(import.meta.url)('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020({ allErrors: true, strict: true, verbose: true });
  validateConfig ??= ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  return {
    config: validateConfig,
    options: (id, schema) => {
      let validate = optionValidators.get(id);
      if (!validate) {
        validate = ajv!.compile(schema);
        optionValidators.set(id, validate);
      }
      return validate;
    },
  };
}

/** Checks parsed configuration data; every problem is a diagnostic at its key or value. */
export function parseLintConfig(source: YamlSource, data: unknown): { config: LintConfig; diagnostics: Diagnostic[] } {
  const config: LintConfig = { rules: new Map() };
  const { config: validate, options: optionsValidator } = validators();
  if (!validate(data)) return { config, diagnostics: schemaDiagnostics(validate.errors ?? [], source) };
  const diagnostics: Diagnostic[] = [];
  const rules = (data as { rules?: Record<string, RawSetting> }).rules ?? {};
  const known = new Map(LINT_RULES.map((r) => [r.meta.id, r]));
  for (const [id, raw] of Object.entries(rules)) {
    const rule = known.get(id);
    if (!rule) {
      diagnostics.push(
        diagnostic('lint-config-unknown-rule', 'error', `unknown lint rule \`${id}\`${didYouMean(id, known.keys())}`, source.spanOf(['rules', id], 'key')),
      );
      continue;
    }
    const setting: RuleSetting = typeof raw === 'string' ? { severity: raw } : { ...raw };
    if (setting.options !== undefined) {
      if (!rule.meta.optionsSchema) {
        diagnostics.push(diagnostic('lint-config-options', 'error', `lint rule \`${id}\` takes no options`, source.spanOf(['rules', id, 'options'], 'key')));
        continue;
      }
      const validateOptions = optionsValidator(id, rule.meta.optionsSchema);
      if (!validateOptions(setting.options)) {
        const prefix = `/rules/${id.replace(/~/g, '~0').replace(/\//g, '~1')}/options`;
        const errors: ErrorObject[] = (validateOptions.errors ?? []).map((e) => ({ ...e, instancePath: `${prefix}${e.instancePath}` }));
        diagnostics.push(...schemaDiagnostics(errors, source));
        continue;
      }
    }
    config.rules.set(id, setting);
  }
  return { config, diagnostics };
}

/**
 * Reads `benteng.yaml` from the policies directory (absent: every rule at its defaults), validated by
 * `schemas/lint-config.schema.json` and each rule's options schema.
 */
export async function loadLintConfig(dir: string): Promise<LoadedLintConfig> {
  for (const name of LINT_CONFIG_FILES) {
    const file = join(dir, name);
    if (!(await stat(file).catch(() => undefined))?.isFile()) continue;
    const read = await readPolicySource(file);
    if (!read.ok) return { config: { rules: new Map() }, diagnostics: [read.diagnostic] };
    const parsed = YamlSource.parse(file, read.text);
    const source = { file, text: read.text };
    if (parsed.data === undefined) return { config: { rules: new Map() }, diagnostics: parsed.diagnostics, source };
    const checked = parseLintConfig(parsed.source, parsed.data);
    return { ...checked, diagnostics: [...parsed.diagnostics, ...checked.diagnostics], source };
  }
  return { config: { rules: new Map() }, diagnostics: [] };
}
