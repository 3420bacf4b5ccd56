/**
 * The validators generated at build time (`dist/validate/validators.cjs`, ajv standalone code) against
 * the ones compiled at run time: the generated module is what today's schemas generate; the built CLI
 * uses it and never loads ajv's compiler (only its small run-time helpers); and on every document of
 * the bad-input corpus, its base fleet and the example policies, run through every kind's schema, both
 * give the same errors and so byte-identical diagnostics. `npm test` builds dist/ before vitest runs.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LoadedDocument, loadPolicies } from '../../src/load/index.js';
import { SCHEMA_FORMATS } from '../../src/validate/formats.js';
import { compileValidators, DOCUMENT_KINDS, SCHEMA_DIR } from '../../src/validate/schema-compiler.js';
import { schemaDiagnostics } from '../../src/validate/schema-messages.js';
import { type StandaloneModule, standaloneValidatorsCode } from '../../src/validate/standalone.js';
import { CORPUS_BASE, REPO_ROOT, tempPolicies } from '../support/policy-dir.js';

const GENERATED = join(REPO_ROOT, 'dist', 'validate', 'validators.cjs');
const CORPUS = join(REPO_ROOT, 'test', 'corpus', 'bad');

function placement(name: string): string {
  const replaced = /^(hosts|networks|ports|defaults|blocklist)--/.exec(name);
  return replaced ? `${replaced[1]}.yaml` : `services/${name}`;
}

/** Every document that loads from the corpus cases (each alone where the corpus test puts it), the corpus base fleet and `policies/`. */
async function corpusDocuments(): Promise<LoadedDocument[]> {
  const documents: LoadedDocument[] = [];
  for (const name of readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort()) {
    const policies = tempPolicies({ copyBase: false });
    try {
      policies.write(placement(name), readFileSync(join(CORPUS, name)));
      documents.push(...(await loadPolicies(policies.dir)).documents);
    } finally {
      policies.dispose();
    }
  }
  for (const dir of [CORPUS_BASE, join(REPO_ROOT, 'policies')]) documents.push(...(await loadPolicies(dir)).documents);
  return documents;
}

function run(validate: ValidateFunction, data: unknown): { valid: boolean; errors: ErrorObject[] } {
  const valid = validate(data) as boolean;
  return { valid, errors: [...(validate.errors ?? [])] };
}

describe('standalone validators (dist/validate/validators.cjs)', () => {
  let generated: Map<string, ValidateFunction>;
  let compiled: Map<string, ValidateFunction>;
  let documents: LoadedDocument[];
  let fresh: string;

  beforeAll(async () => {
    expect(existsSync(GENERATED), 'dist/validate/validators.cjs is missing: run `npm run build:ts` (npm test does)').toBe(true);
    const factory = createRequire(import.meta.url)(GENERATED) as StandaloneModule;
    const module = factory(SCHEMA_FORMATS);
    generated = new Map(DOCUMENT_KINDS.map((kind) => [kind, module[kind]!]));
    compiled = compileValidators();
    documents = await corpusDocuments();
    fresh = standaloneValidatorsCode();
  });

  it('is what the schemas generate today (regenerated in memory)', () => {
    expect(readFileSync(GENERATED, 'utf8') === fresh, 'dist/validate/validators.cjs is stale: run `npm run build:ts`').toBe(true);
  });

  it('changes when a schema changes, so a stale module is caught', () => {
    const dir = mkdtempSync(join(tmpdir(), 'benteng-schemas-'));
    try {
      cpSync(SCHEMA_DIR, dir, { recursive: true });
      const file = join(dir, 'service.schema.json');
      const schema = JSON.parse(readFileSync(file, 'utf8')) as { required: string[] };
      expect(schema.required).toContain('hosts');
      schema.required = schema.required.filter((field) => field !== 'hosts');
      writeFileSync(file, JSON.stringify(schema));
      expect(standaloneValidatorsCode(dir)).not.toBe(fresh);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports a validator for every document kind', () => {
    for (const kind of DOCUMENT_KINDS) expect(typeof generated.get(kind), kind).toBe('function');
  });

  it('gives the same errors and diagnostics as the run-time compiled schemas on every document, for every kind', () => {
    const formats = new Set<string>();
    const keywords = new Set<string>();
    let failures = 0;
    expect(documents.length).toBeGreaterThan(60);
    for (const document of documents) {
      for (const kind of DOCUMENT_KINDS) {
        const ahead = run(generated.get(kind)!, document.data);
        const now = run(compiled.get(kind)!, document.data);
        const where = `${document.source.file} as ${kind}`;
        expect(ahead, where).toEqual(now);
        expect(JSON.stringify(schemaDiagnostics(ahead.errors, document.source)), where).toBe(JSON.stringify(schemaDiagnostics(now.errors, document.source)));
        if (!now.valid) failures += 1;
        for (const error of now.errors) {
          keywords.add(error.keyword);
          if (error.keyword === 'format') formats.add(String((error.params as { format: string }).format));
        }
      }
    }
    // The documents exercise what the generated code has to get right: every string format, and the
    // keywords whose errors schema-messages.ts reads (verbose: `data`, `schema`, `parentSchema`).
    expect(failures).toBeGreaterThan(documents.length);
    expect([...formats].sort()).toEqual(['benteng-address', 'benteng-cidr', 'benteng-peer', 'benteng-port', 'date']);
    for (const keyword of ['additionalProperties', 'required', 'type', 'enum', 'anyOf', 'pattern', 'minItems', 'maxLength', 'propertyNames']) {
      expect(keywords, keyword).toContain(keyword);
    }
  });

  it('is what the built CLI uses, without loading ajv or compiling a schema', async () => {
    const script = [
      "import { createRequire } from 'node:module';",
      `const { schemaValidators } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'validate', 'schema-registry.js')).href)});`,
      "const hosts = schemaValidators().get('hosts');",
      'const valid = hosts({ hosts: { web: { addresses: ["198.51.100.7"], backend: "nftables" } } });',
      'const invalid = hosts({ hosts: { web: { addresses: ["198.51.100.300"], backend: "nftables" } } });',
      'const cached = Object.keys(createRequire(import.meta.url).cache);',
      "const loaded = cached.filter((p) => p.includes('/node_modules/ajv/'));",
      `const generated = cached.includes(${JSON.stringify(GENERATED)});`,
      'console.log(JSON.stringify({ valid, invalid, errors: hosts.errors.map((e) => e.keyword), loaded, generated }));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
    const result = JSON.parse(stdout) as { valid: boolean; invalid: boolean; errors: string[]; loaded: string[]; generated: boolean };
    expect(result.generated).toBe(true);
    expect(result.valid).toBe(true);
    expect(result.invalid).toBe(false);
    expect(result.errors).toEqual(['format']);
    expect(result.loaded.every((path) => path.includes('/node_modules/ajv/dist/runtime/')), result.loaded.join('\n')).toBe(true);
  });
});
