import type { ChalkInstance } from 'chalk';
import type { DiffLabels } from './describe.js';
import { formatDiffGithub } from './format-github.js';
import { formatDiffJson } from './format-json.js';
import { formatDiffMarkdown } from './format-markdown.js';
import { formatDiffPretty } from './format-pretty.js';
import type { AccessDiff } from './index.js';

export type { DiffLabels } from './describe.js';

export interface DiffFormatContext extends DiffLabels {
  chalk: ChalkInstance;
  /** Directory that file locations are made relative to (GitHub); defaults to `process.cwd()`. */
  cwd?: string;
}

export type DiffFormatter = (diff: AccessDiff, context: DiffFormatContext) => string;

/** Every output format of `benteng diff --format`, by name. Formatters only build text; the CLI prints. */
export const DIFF_FORMATTERS = {
  pretty: formatDiffPretty,
  json: formatDiffJson,
  markdown: formatDiffMarkdown,
  github: formatDiffGithub,
} satisfies Record<string, DiffFormatter>;

export type DiffFormat = keyof typeof DIFF_FORMATTERS;
