/**
 * A parsed policy file's positions as flat data: what `YamlSource.spanOf` reads from the YAML document,
 * kept in an `Int32Array` and a key table so that it can cross a worker thread (transferred, not
 * copied) or be stored in the build cache, and read back by `IndexedSource` with the same spans as
 * the `YamlSource` it was taken from. Documents with aliases are not indexed (their spans follow the
 * alias); they are parsed where they are used.
 *
 * Layout of `nodes`, one record per YAML node: kind (LEAF, MAP, SEQ), range start, range end (-1, -1
 * when the node has no range), entry count, then per entry: for a map, key index in `keys` (-1 when the
 * key is not a scalar), key start, key end, child record offset; for a sequence, the child record
 * offset. A child offset of -1 is a null node.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { Span } from '../diagnostics/diagnostic.js';
import type { PathSegment } from './yaml-source.js';

const LEAF = 0;
const MAP = 1;
const SEQ = 2;
/** Maps with more entries than this get a lookup table on first use. */
const SCAN_LIMIT = 8;

export interface PositionIndex {
  nodes: Int32Array;
  keys: string[];
  /** Offsets where lines start, as `yaml`'s LineCounter records them. */
  lineStarts: Int32Array;
  /** Record offset of the document's root node, -1 when the document is empty. */
  root: number;
}

/** Indexes a parsed document; undefined when it holds an alias. */
export function indexDocument(document: Document, lineStarts: readonly number[]): PositionIndex | undefined {
  const out: number[] = [];
  const keys: string[] = [];
  const keyIds = new Map<string, number>();
  let alias = false;
  const keyId = (key: string): number => {
    let id = keyIds.get(key);
    if (id === undefined) keyIds.set(key, (id = keys.push(key) - 1));
    return id;
  };
  const visit = (node: unknown): number => {
    if (node === null || node === undefined) return -1;
    if (isAlias(node)) {
      alias = true;
      return -1;
    }
    const at = out.length;
    const range = (node as Node).range;
    const [start, end] = range ? [range[0], range[1]] : [-1, -1];
    if (isMap(node)) {
      out.push(MAP, start, end, node.items.length);
      const entries = out.length;
      for (let i = 0; i < node.items.length; i++) out.push(-1, -1, -1, -1);
      node.items.forEach((pair, i) => {
        const key = pair.key as Node | null;
        const base = entries + i * 4;
        if (isScalar(key)) out[base] = keyId(String(key.value));
        if (key?.range) {
          out[base + 1] = key.range[0];
          out[base + 2] = key.range[1];
        }
        out[base + 3] = visit(pair.value);
      });
    } else if (isSeq(node)) {
      out.push(SEQ, start, end, node.items.length);
      const entries = out.length;
      for (let i = 0; i < node.items.length; i++) out.push(-1);
      node.items.forEach((item, i) => {
        out[entries + i] = visit(item);
      });
    } else {
      out.push(LEAF, start, end, 0);
    }
    return at;
  };
  const root = visit(document.contents);
  if (alias) return undefined;
  return { nodes: Int32Array.from(out), keys, lineStarts: Int32Array.from(lineStarts), root };
}

/**
 * A policy file's source positions read from a `PositionIndex`: the same `file`, `text`, `positionAt`,
 * `spanOfOffsets` and `spanOf` as the `YamlSource` the index was taken from.
 */
export class IndexedSource {
  private readonly lines = new LineCounter();
  private readonly tables = new Map<number, Map<string, number>>();

  constructor(
    readonly file: string,
    readonly text: string,
    private readonly index: PositionIndex,
  ) {
    for (const offset of index.lineStarts) this.lines.addNewLine(offset);
  }

  positionAt(offset: number): { line: number; column: number; offset: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col, offset };
  }

  spanOfOffsets(start: number, end: number): Span {
    return { file: this.file, start: this.positionAt(start), end: this.positionAt(Math.max(start, end)) };
  }

  /** As `YamlSource.spanOf`: the key or value at `path`, else its deepest existing ancestor. */
  spanOf(path: readonly PathSegment[], part: 'key' | 'value' = 'value'): Span {
    const { nodes } = this.index;
    let node = this.index.root;
    // The best range so far: [start, end], or undefined for "no range" (span 0-0).
    let best: [number, number] | undefined = node === -1 ? undefined : this.rangeOf(node);
    for (const segment of path) {
      if (node === -1) break;
      const kind = nodes[node];
      let keyRange: [number, number] | undefined;
      let hasKey = false;
      if (kind === MAP) {
        const entry = this.entryOf(node, String(segment));
        if (entry === -1) break;
        hasKey = true;
        keyRange = nodes[entry + 1] === -1 ? undefined : [nodes[entry + 1]!, nodes[entry + 2]!];
        node = nodes[entry + 3]!;
      } else if (kind === SEQ && typeof segment === 'number') {
        if (!Number.isInteger(segment) || segment < 0 || segment >= nodes[node + 3]!) break;
        node = nodes[node + 4 + segment]!;
      } else {
        break;
      }
      // found = (part === 'key' && keyNode ? keyNode : node) ?? keyNode; a null node is absent.
      if (part === 'key' && hasKey) best = keyRange;
      else if (node !== -1) best = this.rangeOf(node);
      else if (hasKey) best = keyRange;
      else break;
    }
    if (!best) return this.spanOfOffsets(0, 0);
    return this.spanOfOffsets(best[0], best[1]);
  }

  private rangeOf(node: number): [number, number] | undefined {
    const start = this.index.nodes[node + 1]!;
    return start === -1 ? undefined : [start, this.index.nodes[node + 2]!];
  }

  /** Offset of the first entry of map `node` with key `key`, or -1. */
  private entryOf(node: number, key: string): number {
    const { nodes, keys } = this.index;
    const count = nodes[node + 3]!;
    if (count > SCAN_LIMIT) {
      let table = this.tables.get(node);
      if (!table) {
        table = new Map();
        for (let i = 0; i < count; i++) {
          const id = nodes[node + 4 + i * 4]!;
          if (id !== -1 && !table.has(keys[id]!)) table.set(keys[id]!, node + 4 + i * 4);
        }
        this.tables.set(node, table);
      }
      return table.get(key) ?? -1;
    }
    for (let i = 0; i < count; i++) {
      const id = nodes[node + 4 + i * 4]!;
      if (id !== -1 && keys[id] === key) return node + 4 + i * 4;
    }
    return -1;
  }
}
