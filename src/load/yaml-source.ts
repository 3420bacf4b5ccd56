import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type Document, type YAMLError, type YAMLMap } from 'yaml';
import { type Diagnostic, diagnostic, type Span } from '../diagnostics/diagnostic.js';
import { findSyntaxSlips } from './yaml-slips.js';

/** Aliases a document may expand before it is refused (bounds "billion laughs" expansion). */
export const MAX_ALIAS_COUNT = 100;

export type PathSegment = string | number;

/**
 * One parsed YAML file with its source positions. `spanOf` maps a data path back to the key or value
 * that produced it, so every later stage can point at file:line:col.
 */
export class YamlSource {
  /** Each mapping's pairs by key, built once, so `spanOf` is linear in the path, not in the file. */
  private readonly pairsByKey = new WeakMap<YAMLMap, Map<string, Pair>>();

  private constructor(
    readonly file: string,
    readonly text: string,
    private readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Parses YAML 1.2 text; duplicate keys, merge keys, unknown tags and alias bombs are diagnostics. */
  static parse(file: string, text: string): { source: YamlSource; data: unknown; diagnostics: Diagnostic[] } {
    const lines = new LineCounter();
    const document = parseDocument(text, {
      lineCounter: lines,
      // Duplicate keys are found by `checkKeys` in one pass; yaml's own check compares every pair of keys.
      uniqueKeys: false,
      merge: false,
      prettyErrors: false,
      strict: true,
      version: '1.2',
      keepSourceTokens: false,
    });
    const source = new YamlSource(file, text, document, lines);
    const diagnostics: Diagnostic[] = source.syntaxDiagnostics(document.errors);
    for (const warning of document.warnings) {
      const tag = /Unresolved tag: (\S+)/.exec(warning.message)?.[1];
      const [code, message] = tag
        ? ['yaml-unknown-tag', `unknown YAML tag \`${tag}\`: policy files use plain YAML without tags`]
        : ['yaml-syntax', firstLine(warning.message)];
      diagnostics.push(diagnostic(code, 'error', message, source.spanOfOffsets(warning.pos[0], warning.pos[1])));
    }
    if (diagnostics.length > 0) return { source, data: undefined, diagnostics };
    if (document.contents === null) {
      diagnostics.push(diagnostic('file-empty', 'error', 'policy file is empty', source.spanOfOffsets(0, 0)));
      return { source, data: undefined, diagnostics };
    }
    diagnostics.push(...source.checkKeys(document.contents));
    if (diagnostics.length > 0) return { source, data: undefined, diagnostics };
    try {
      const data: unknown = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      return { source, data, diagnostics };
    } catch (error) {
      if (error instanceof ReferenceError) {
        const firstAlias = source.firstAliasOffset(document.contents);
        diagnostics.push(
          diagnostic(
            'yaml-alias-limit',
            'error',
            `aliases expand too much (more than ${MAX_ALIAS_COUNT} nodes): refusing a possible alias bomb`,
            source.spanOfOffsets(firstAlias, firstAlias + 1),
          ),
        );
        return { source, data: undefined, diagnostics };
      }
      throw error;
    }
  }

  /**
   * The parser's errors, explained where `findSyntaxSlips` recognises the slip behind them: each tab
   * used as indentation once, where the tab is; otherwise the first slip (the key that lines up with
   * nothing, the missing `:`, the bracket or quote never closed) in place of the errors it causes.
   */
  private syntaxDiagnostics(errors: readonly YAMLError[]): Diagnostic[] {
    const parserDiagnostics = errors.map((error) => {
      const message =
        error.code === 'MULTIPLE_DOCS'
          ? 'a policy file holds one YAML document: remove the `---` separator or split the file'
          : firstLine(error.message);
      return diagnostic('yaml-syntax', 'error', message, this.spanOfOffsets(error.pos[0], error.pos[1]));
    });
    if (errors.length === 0 || errors.every((e) => e.code === 'MULTIPLE_DOCS')) return parserDiagnostics;
    const slips = findSyntaxSlips(this.text);
    if (slips.length === 0) return parserDiagnostics;
    const firstError = parserDiagnostics.reduce((a, b) => (b.span!.start.offset < a.span!.start.offset ? b : a));
    const errorLine = firstError.span!.start.line;
    const lastLine = Math.max(...parserDiagnostics.filter((d) => d.span!.start.line === errorLine).map((d) => d.span!.end.line));
    const slipDiagnostics = slips.map((s) => diagnostic('yaml-syntax', 'error', s.message, this.spanOfOffsets(s.start, s.end)));
    const earliest = slipDiagnostics[0]!.span!.start.line;
    const explains = slips[0]!.kind === 'unclosed' || slips[0]!.kind === 'tab' ? earliest <= lastLine + 1 : earliest >= errorLine - 1 && earliest <= lastLine + 1;
    if (!explains) return parserDiagnostics;
    // Parser errors well before the slip are problems of their own; the rest follow from it.
    const before = parserDiagnostics.filter((d) => d.span!.end.line < earliest - 1 && d.span!.end.offset < slips[0]!.start);
    return [...before, ...slipDiagnostics];
  }

  positionAt(offset: number): { line: number; column: number; offset: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col, offset };
  }

  spanOfOffsets(start: number, end: number): Span {
    return { file: this.file, start: this.positionAt(start), end: this.positionAt(Math.max(start, end)) };
  }

  /**
   * The span of the node at `path`: its key (`part: 'key'`, for objects in a map) or its value.
   * Falls back to the deepest existing ancestor, so a span is always returned.
   */
  spanOf(path: readonly PathSegment[], part: 'key' | 'value' = 'value'): Span {
    let node: unknown = this.document.contents;
    let keyNode: Node | undefined;
    let best: Node | undefined = (node as Node | null) ?? undefined;
    for (const segment of path) {
      node = this.deref(node);
      keyNode = undefined;
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(String(segment));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        break;
      }
      const found = (part === 'key' && keyNode ? keyNode : (node as Node | null)) ?? keyNode;
      if (!found) break;
      best = found;
      if (part === 'value' && node === null) best = keyNode ?? best;
    }
    const range = best?.range;
    if (!range) return this.spanOfOffsets(0, 0);
    return this.spanOfOffsets(range[0], range[1]);
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.document) : node;
  }

  private pairsOf(map: YAMLMap): Map<string, Pair> {
    let pairs = this.pairsByKey.get(map);
    if (!pairs) {
      pairs = new Map();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (!pairs.has(key)) pairs.set(key, pair);
      }
      this.pairsByKey.set(map, pairs);
    }
    return pairs;
  }

  /** Duplicate keys and merge keys (`<<`), in one walk over every mapping. */
  private checkKeys(root: unknown): Diagnostic[] {
    const out: Diagnostic[] = [];
    const visit = (node: unknown, depth: number): void => {
      if (depth > 200) return;
      if (isMap(node)) {
        const seen = new Map<string, Node>();
        for (const pair of node.items) {
          const key = pair.key;
          if (isScalar(key) && key.range) {
            const name = String(key.value);
            if (name === '<<') {
              out.push(
                diagnostic(
                  'yaml-merge-key',
                  'error',
                  'merge keys (`<<`) are not supported: write the fields out, so every rule reads on its own',
                  this.spanOfOffsets(key.range[0], key.range[1]),
                ),
              );
            } else if (seen.has(name)) {
              const first = seen.get(name)!.range!;
              out.push(
                diagnostic(
                  'yaml-duplicate-key',
                  'error',
                  `duplicate key \`${name}\`: each key may appear once in a mapping (first on line ${this.positionAt(first[0]).line})`,
                  this.spanOfOffsets(key.range[0], key.range[1]),
                  [{ message: `\`${name}\` first set here`, span: this.spanOfOffsets(first[0], first[1]) }],
                ),
              );
            }
            if (!seen.has(name)) seen.set(name, key);
          }
          visit(pair.value, depth + 1);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) visit(item, depth + 1);
      }
    };
    visit(root, 0);
    return out;
  }

  private firstAliasOffset(root: unknown): number {
    let found = 0;
    const visit = (node: unknown): boolean => {
      if (isAlias(node)) {
        found = node.range?.[0] ?? 0;
        return true;
      }
      if (isMap(node)) return node.items.some((p) => visit(p.value));
      if (isSeq(node)) return node.items.some((i) => visit(i));
      return false;
    };
    visit(root);
    return found;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
