/**
 * Facts about the installed benteng package that `init` writes into a new policies repository: its
 * version (so the CI workflow installs the same benteng that wrote the files) and where its schemas
 * are installed (the editors' modelines point there). Read from the package's own files, found next to
 * this module both in `src/` (development) and `dist/` (installed).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root directory (holds `package.json`, `schemas/`, `docs/`). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let version: string | undefined;

/** The `version` of benteng's own package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
