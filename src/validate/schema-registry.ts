/**
 * The validator of each document kind. An installed benteng uses the validators generated at build time
 * (`validators.cjs` next to this module, written by `standalone-build.ts`): required at the first call,
 * in a few milliseconds, without ajv. Run from `src/` (tsx, vitest) that module does not exist, and the
 * schemas are compiled at the first call instead, with the same ajv options and formats
 * (`schema-compiler.ts`), so both give the same errors. `SCHEMA_DIR` is where the schemas are installed
 * with the package (editors' modelines written by `benteng init` point there).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import type { DocumentKind } from '../load/index.js';
import { SCHEMA_FORMATS } from './formats.js';
import { compileValidators, DOCUMENT_KINDS } from './schema-compiler.js';
import { STANDALONE_FILE, type StandaloneModule } from './standalone.js';

export { SCHEMA_BASE_URL, SCHEMA_DIR } from './schema-compiler.js';
export { POLICY_FORMATS, type PolicyFormat } from './formats.js';

/** The generated validators, or undefined when this installation has none (a run from `src/`). */
function generatedValidators(): Map<DocumentKind, ValidateFunction> | undefined {
  const path = fileURLToPath(new URL(`./${STANDALONE_FILE}`, import.meta.url));
  if (!existsSync(path)) return undefined;
  const generated = (createRequire(import.meta.url)(path) as StandaloneModule)(SCHEMA_FORMATS);
  return new Map(
    DOCUMENT_KINDS.map((kind) => {
      const validate = generated[kind];
      if (typeof validate !== 'function') throw new Error(`${path} has no validator for ${kind}: run \`npm run build:ts\``);
      return [kind, validate];
    }),
  );
}

let validators: Map<DocumentKind, ValidateFunction> | undefined;

/** The validator of every document kind: generated at build time, or compiled once per process. */
export function schemaValidators(): Map<DocumentKind, ValidateFunction> {
  validators ??= generatedValidators() ?? compileValidators();
  return validators;
}
