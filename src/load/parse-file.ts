/**
 * One policy file parsed into what can leave the thread that parsed it: plain data, diagnostics and a
 * `PositionIndex`, from which `IndexedSource` gives the same spans as the `YamlSource`. Used by the
 * parse workers and the build cache; a file whose positions cannot be indexed (aliases) comes back
 * without an index and is parsed again where it is used. `parseIndexed` is the `yaml` path: what the
 * fast parser (`fast-yaml.ts`) must give exactly for the files it takes, and what parses the rest.
 */
import type { Document, LineCounter } from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { indexDocument, type PositionIndex } from './position-index.js';
import { YamlSource } from './yaml-source.js';

export interface IndexedParse {
  /** Plain data as parsed; undefined when the file has errors. */
  data: unknown;
  diagnostics: Diagnostic[];
  /** Positions of a file that parsed; absent when it did not, or holds aliases. */
  index?: PositionIndex;
}

/** `YamlSource.parse`, plus the index of the document it parsed. */
export function parseIndexed(file: string, text: string): { parsed: ReturnType<typeof YamlSource.parse>; result: IndexedParse } {
  const parsed = YamlSource.parse(file, text);
  const result: IndexedParse = { data: parsed.data, diagnostics: parsed.diagnostics };
  if (parsed.data !== undefined) {
    // YamlSource keeps its document and line counter private; read them without widening its API.
    const inner = parsed.source as unknown as { document?: Document; lines?: LineCounter };
    const index = inner.document && inner.lines ? indexDocument(inner.document, inner.lines.lineStarts) : undefined;
    if (index) result.index = index;
  }
  return { parsed, result };
}
