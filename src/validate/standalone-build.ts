/**
 * Build step (the end of `npm run build:ts`): `node dist/validate/standalone-build.js` writes the
 * standalone validators (`standalone.ts`) next to itself, as `dist/validate/validators.cjs`, from the
 * package's `schemas/`. Run from `dist/` only: a `validators.cjs` in `src/validate/` would take the
 * place of the run-time compilation that tsx and vitest rely on.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStandaloneValidators } from './standalone.js';

writeStandaloneValidators(dirname(fileURLToPath(import.meta.url)));
