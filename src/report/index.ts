import type { ChalkInstance } from 'chalk';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatPretty } from './pretty.js';
import { formatSarif } from './sarif.js';

export interface ReportContext {
  chalk: ChalkInstance;
  /** Policy file texts by path, for code frames. */
  sources: ReadonlyMap<string, string>;
  /** Directory that file locations are made relative to (SARIF, GitHub); defaults to `process.cwd()`. */
  cwd?: string;
}

export type Reporter = (diagnostics: readonly Diagnostic[], context: ReportContext) => string;

/** Every output format of `benteng lint --format`, by name. */
export const REPORTERS: Record<string, Reporter> = {
  pretty: formatPretty,
  json: (diagnostics) => formatJson(diagnostics),
  sarif: formatSarif,
  github: formatGithub,
};
