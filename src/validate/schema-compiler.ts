/**
 * The policy schemas (`schemas/*.schema.json`, JSON Schema 2020-12) loaded into one ajv with benteng's
 * options and string formats. Both ways of getting validators go through here, so they cannot drift:
 * the build generates standalone code from this ajv (`standalone.ts`), and a run from `src/` (tsx,
 * vitest), where no generated module exists, compiles with it at run time (`schema-registry.ts`).
 * ajv itself is loaded only when this module's functions are called, so a run that uses the generated
 * validators never loads it. Each schema carries a stable `$id` under `SCHEMA_BASE_URL`; cross-schema
 * `$ref`s are relative, so they resolve inside this ajv, offline: nothing is ever fetched.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeOptions, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { DocumentKind } from '../load/index.js';
import { SCHEMA_FORMATS } from './formats.js';

/** The schemas directory of this installation (`<package>/schemas`). */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

/** The base of every schema's `$id`: `${SCHEMA_BASE_URL}hosts.schema.json`. Versioned: a breaking change gets v2. */
export const SCHEMA_BASE_URL = 'https://benteng.dev/schemas/v1/';

/** Schema file names by document kind (`common` holds the shared definitions). */
export const SCHEMA_FILES: Readonly<Record<DocumentKind | 'common', string>> = {
  common: 'common.schema.json',
  hosts: 'hosts.schema.json',
  networks: 'networks.schema.json',
  ports: 'ports.schema.json',
  defaults: 'defaults.schema.json',
  service: 'service.schema.json',
  blocklist: 'blocklist.schema.json',
};

/** The document kinds, each validated by its own schema. */
export const DOCUMENT_KINDS = Object.keys(SCHEMA_FILES).filter((kind) => kind !== 'common') as DocumentKind[];

/** The options both paths compile with: `schema-messages.ts` relies on `allErrors` and `verbose` errors. */
export const AJV_OPTIONS = { allErrors: true, strict: true, verbose: true, useDefaults: false } as const;

/** The `$id` of the schema that validates documents of `kind`. */
export function schemaId(kind: DocumentKind): string {
  return SCHEMA_BASE_URL + SCHEMA_FILES[kind];
}

/** The schema files' text by file name, in `SCHEMA_FILES` order. */
export function readSchemaTexts(schemaDir = SCHEMA_DIR): Array<[file: string, text: string]> {
  return Object.values(SCHEMA_FILES).map((file) => [file, readFileSync(join(schemaDir, file), 'utf8')]);
}

/** An ajv holding every schema and format, not compiled yet; `code` is for standalone generation. */
export function schemaAjv(code?: CodeOptions, schemaDir = SCHEMA_DIR): Ajv2020 {
  const require = createRequire(import.meta.url);
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv({ ...AJV_OPTIONS, ...(code ? { code } : {}) });
  for (const [name, format] of Object.entries(SCHEMA_FORMATS)) ajv.addFormat(name, format);
  for (const [file, text] of readSchemaTexts(schemaDir)) {
    const schema = JSON.parse(text) as Record<string, unknown>;
    if (schema.$id !== SCHEMA_BASE_URL + file) throw new Error(`schemas/${file}: $id must be ${SCHEMA_BASE_URL + file}`);
    ajv.addSchema(schema);
  }
  return ajv;
}

/** Every document kind's validator, compiled now (≈100 ms or more): the path when no generated module exists. */
export function compileValidators(): Map<DocumentKind, ValidateFunction> {
  const ajv = schemaAjv();
  return new Map(DOCUMENT_KINDS.map((kind) => [kind, ajv.getSchema(schemaId(kind))!]));
}
