/**
 * A fast parser for the plain subset of YAML that policy files are written in, giving exactly what the
 * `yaml` package gives for them (`parseIndexed` in parse-file.ts): the same data and the same
 * `PositionIndex`, node ranges, key ranges and line starts included. It exists because `yaml`'s general
 * parser and composer read about 1 MB/s per core, and a large fleet is megabytes of such simple YAML.
 *
 * Handled: one document whose root is a block mapping at column 0; block mappings; block sequences
 * (`- value`, `- key: value` compact mappings, a `key:` followed by its `- ` items at the key's own
 * indent); single-line flow sequences and mappings (`[a, "b", 'c']`, `{ port: 22, user: root }`,
 * nested); plain scalars; single-line single-quoted and double-quoted scalars (without backslash
 * escapes); full-line and trailing comments; blank lines; empty values (null). Plain scalars resolve as
 * YAML 1.2's core schema does: null, booleans and decimal integers, every other plain scalar a string.
 *
 * Anything else makes `fastParse` decline (undefined), and the caller parses the file with `yaml`:
 * tabs, carriage returns and other control characters, anchors, aliases, tags, directives, document
 * markers, block scalars, explicit keys, multi-line scalars and flow collections, escapes, duplicate and
 * merge keys, keys that are not strings, floats, octal, hexadecimal, signed and leading-zero numbers,
 * empty values with comments, an empty document, and whatever would be a syntax error. So a decline is
 * always safe; a wrong answer is not. The differential test (test/load/fast-yaml.test.ts: real, generated,
 * hand-written and randomly mutated files, each either declined or identical to the `yaml` path) is the
 * specification of this file.
 *
 * The end offsets follow how `yaml` assigns comments and blank lines: a value on its key's (or dash's)
 * line ends after its line break and after the comment lines indented deeper than its collection that
 * follow it (blank lines between them included); a collection's value range ends where its last value's
 * node ends; the blank and comment lines after a collection's last value (up to the next content, its
 * indentation included) belong to the collection when it is indented and holds a comment indented at
 * least as deep as its items, and otherwise pass to its parent.
 */
import type { IndexedParse } from './parse-file.js';
import type { PositionIndex } from './position-index.js';

const LEAF = 0;
const MAP = 1;
const SEQ = 2;

const NL = 10;
const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const DOT = 46;
const SQUOTE = 39;
const DQUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;

/** Characters that cannot start a plain scalar here (`-`, `?`, `:` can in YAML, but are declined). */
const NOT_PLAIN_START = new Uint8Array(128);
for (const c of ' -?:,[]{}#&*!|>\'"%@`') NOT_PLAIN_START[c.charCodeAt(0)] = 1;
const FLOW_INDICATOR = new Uint8Array(128);
for (const c of ',[]{}') FLOW_INDICATOR[c.charCodeAt(0)] = 1;

interface LeafNode {
  kind: typeof LEAF;
  start: number;
  end: number;
}
interface MapNode {
  kind: typeof MAP;
  start: number;
  end: number;
  keys: string[];
  keyRanges: number[];
  values: FastNode[];
}
interface SeqNode {
  kind: typeof SEQ;
  start: number;
  end: number;
  items: FastNode[];
}
type FastNode = LeafNode | MapNode | SeqNode;

/** Thrown inside the parser when the text is outside the subset; caught by `fastParse`. */
const DECLINE = new Error('fast-yaml: outside the subset');

const INT = /^(?:0|[1-9][0-9]{0,14})$/;
const ANY_INT = /^[-+]?[0-9]+$/;
const OTHER_NUMBER =
  /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** A plain scalar's value under the YAML 1.2 core schema; declines for every number but a plain decimal integer. */
function resolvePlain(text: string): unknown {
  switch (text) {
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  const c = text.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === DOT || c === DASH || c === 43) {
    if (ANY_INT.test(text)) {
      if (INT.test(text)) return Number(text);
      throw DECLINE;
    }
    if (OTHER_NUMBER.test(text)) throw DECLINE;
  }
  return text;
}

function checkKey(key: string): string {
  if (key === '<<' || key === '__proto__' || key.length > 1000) throw DECLINE;
  return key;
}

class FastParser {
  private readonly n: number;
  private lineStart: number[] = [];
  private lineEnd: number[] = [];
  /** Leading spaces of each line; -1 for a blank line. */
  private indent: number[] = [];
  private comment: boolean[] = [];
  private lineCount = 0;
  /** The next content line, once a value is parsed. */
  private line = 0;
  /** Set by the scanners: where scanning stopped, and the value read. */
  private stop = 0;
  private value: unknown = null;
  /** The ending of the value or collection just parsed: yaml's range[2], and its trailing lines (tail -1: none). */
  private nodeEnd = 0;
  private tail = -1;
  private tailLine = 0;

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  parse(): { node: FastNode; data: unknown } {
    this.scanLines();
    const first = this.nextContent(0);
    if (first >= this.lineCount || this.indent[first] !== 0) throw DECLINE;
    const start = this.lineStart[first]!;
    const node = this.parseMap(first, 0, start);
    if (this.line < this.lineCount) throw DECLINE;
    return { node, data: this.value };
  }

  private scanLines(): void {
    const { text, n } = this;
    let start = 0;
    let i = 0;
    while (true) {
      let spaces = 0;
      i = start;
      while (i < n && text.charCodeAt(i) === SPACE) i++;
      spaces = i - start;
      const first = i < n ? text.charCodeAt(i) : NL;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === NL) break;
        if (c < 32 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) throw DECLINE;
      }
      this.lineStart.push(start);
      this.lineEnd.push(i);
      this.indent.push(first === NL ? -1 : spaces);
      this.comment.push(first === HASH);
      if (spaces === 0 && (first === DOT || first === DASH) && (text.startsWith('...', start) || text.startsWith('---', start))) throw DECLINE;
      if (i >= n) break;
      start = i + 1;
    }
    this.lineCount = this.lineStart.length;
  }

  private nextContent(from: number): number {
    let k = from;
    while (k < this.lineCount && (this.indent[k] === -1 || this.comment[k])) k++;
    return k;
  }

  private contentStart(k: number): number {
    return k < this.lineCount ? this.lineStart[k]! + this.indent[k]! : this.n;
  }

  private isDash(k: number): boolean {
    const p = this.lineStart[k]! + this.indent[k]!;
    if (this.text.charCodeAt(p) !== DASH) return false;
    return p + 1 >= this.lineEnd[k]! || this.text.charCodeAt(p + 1) === SPACE;
  }

  private skipSpaces(i: number, end: number): number {
    while (i < end && this.text.charCodeAt(i) === SPACE) i++;
    return i;
  }

  /** After a value on a block line: only spaces, then a comment or the end of the line. */
  private expectLineEnd(i: number, end: number): void {
    const j = this.skipSpaces(i, end);
    if (j === end) return;
    if (this.text.charCodeAt(j) === HASH && j > i) return;
    throw DECLINE;
  }

  /** A block plain scalar from `p`: sets `stop` (the `: `, ` #` or line end) and returns its trimmed end. */
  private scanPlain(p: number, end: number): number {
    const { text } = this;
    let last = p;
    let i = p;
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === COLON) {
        if (i + 1 >= end || text.charCodeAt(i + 1) === SPACE) break;
        last = i + 1;
      } else if (c === SPACE) {
        if (i + 1 < end && text.charCodeAt(i + 1) === HASH) break;
      } else {
        last = i + 1;
      }
    }
    this.stop = i;
    return last;
  }

  /** A quoted scalar at `p` on one line: sets `value` and returns the offset after its closing quote. */
  private scanQuoted(p: number, end: number): number {
    const { text } = this;
    const quote = text.charCodeAt(p);
    if (quote === DQUOTE) {
      for (let i = p + 1; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c === DQUOTE) {
          this.value = text.slice(p + 1, i);
          return i + 1;
        }
        if (c === BACKSLASH) throw DECLINE;
      }
      throw DECLINE;
    }
    let escaped = false;
    for (let i = p + 1; i < end; i++) {
      if (text.charCodeAt(i) === SQUOTE) {
        if (i + 1 < end && text.charCodeAt(i + 1) === SQUOTE) {
          escaped = true;
          i++;
          continue;
        }
        const raw = text.slice(p + 1, i);
        this.value = escaped ? raw.replaceAll("''", "'") : raw;
        return i + 1;
      }
    }
    throw DECLINE;
  }

  /**
   * A block mapping key at `p` (`key:` then a space or the line end): returns the offset after its
   * `:` and sets `value` (the key) and `stop` (the key's end), or returns -1 when `p` starts no key.
   */
  private readKey(p: number, end: number): number {
    const { text } = this;
    const c = text.charCodeAt(p);
    if (c === SQUOTE || c === DQUOTE) {
      const after = this.scanQuoted(p, end);
      const colon = this.skipSpaces(after, end);
      if (colon < end && text.charCodeAt(colon) === COLON && (colon + 1 >= end || text.charCodeAt(colon + 1) === SPACE)) {
        this.stop = after;
        return colon + 1;
      }
      return -1;
    }
    if (c < 128 && NOT_PLAIN_START[c]) return -1;
    const last = this.scanPlain(p, end);
    if (this.stop >= end || text.charCodeAt(this.stop) !== COLON) return -1;
    const key = resolvePlain(text.slice(p, last));
    if (typeof key !== 'string') throw DECLINE;
    this.value = key;
    const colon = this.stop;
    this.stop = last;
    return colon + 1;
  }

  /** A value on a block line at `p`: scalar or flow collection, then only a comment to the line end. */
  private parseLineValue(p: number, end: number): FastNode {
    const { text } = this;
    const c = text.charCodeAt(p);
    if (c === LBRACKET || c === LBRACE) {
      const node = this.parseFlow(p, end);
      this.expectLineEnd(node.end, end);
      return node;
    }
    if (c === SQUOTE || c === DQUOTE) {
      const after = this.scanQuoted(p, end);
      this.expectLineEnd(after, end);
      return { kind: LEAF, start: p, end: after };
    }
    if (c < 128 && NOT_PLAIN_START[c]) throw DECLINE;
    const last = this.scanPlain(p, end);
    if (this.stop < end && text.charCodeAt(this.stop) === COLON) throw DECLINE;
    this.value = resolvePlain(text.slice(p, last));
    return { kind: LEAF, start: p, end: last };
  }

  /** A flow collection on one line at `p`; sets `value`. */
  private parseFlow(p: number, end: number): MapNode | SeqNode {
    const { text } = this;
    let i = this.skipSpaces(p + 1, end);
    if (text.charCodeAt(p) === LBRACKET) {
      const items: FastNode[] = [];
      const data: unknown[] = [];
      if (i < end && text.charCodeAt(i) === RBRACKET) {
        this.value = data;
        return { kind: SEQ, start: p, end: i + 1, items };
      }
      while (true) {
        const item = this.parseFlowItem(i, end);
        items.push(item);
        data.push(this.value);
        i = this.skipSpaces(this.stop, end);
        if (i >= end) throw DECLINE;
        const c = text.charCodeAt(i);
        if (c === RBRACKET) break;
        if (c !== COMMA) throw DECLINE;
        i = this.skipSpaces(i + 1, end);
        if (i >= end || text.charCodeAt(i) === RBRACKET) throw DECLINE;
      }
      this.value = data;
      return { kind: SEQ, start: p, end: i + 1, items };
    }
    const node: MapNode = { kind: MAP, start: p, end: 0, keys: [], keyRanges: [], values: [] };
    const data: Record<string, unknown> = {};
    if (i < end && text.charCodeAt(i) === RBRACE) {
      node.end = i + 1;
      this.value = data;
      return node;
    }
    while (true) {
      if (i >= end) throw DECLINE;
      const c = text.charCodeAt(i);
      let key: string;
      let keyEnd: number;
      let colon: number;
      if (c === SQUOTE || c === DQUOTE) {
        keyEnd = this.scanQuoted(i, end);
        key = this.value as string;
        colon = this.skipSpaces(keyEnd, end);
      } else {
        if (c < 128 && NOT_PLAIN_START[c]) throw DECLINE;
        keyEnd = this.scanFlowPlain(i, end);
        colon = this.stop;
        const resolved = resolvePlain(text.slice(i, keyEnd));
        if (typeof resolved !== 'string') throw DECLINE;
        key = resolved;
      }
      if (colon + 1 >= end || text.charCodeAt(colon) !== COLON || text.charCodeAt(colon + 1) !== SPACE) throw DECLINE;
      checkKey(key);
      if (Object.hasOwn(data, key)) throw DECLINE;
      const keyStart = i;
      const value = this.parseFlowItem(this.skipSpaces(colon + 1, end), end);
      node.keys.push(key);
      node.keyRanges.push(keyStart, keyEnd);
      node.values.push(value);
      data[key] = this.value;
      i = this.skipSpaces(this.stop, end);
      if (i >= end) throw DECLINE;
      const d = text.charCodeAt(i);
      if (d === RBRACE) break;
      if (d !== COMMA) throw DECLINE;
      i = this.skipSpaces(i + 1, end);
      if (i >= end || text.charCodeAt(i) === RBRACE) throw DECLINE;
    }
    node.end = i + 1;
    this.value = data;
    return node;
  }

  /** One item of a flow collection at `p`: sets `value` and `stop` (the offset after it). */
  private parseFlowItem(p: number, end: number): FastNode {
    const { text } = this;
    if (p >= end) throw DECLINE;
    const c = text.charCodeAt(p);
    if (c === LBRACKET || c === LBRACE) {
      const node = this.parseFlow(p, end);
      this.stop = node.end;
      return node;
    }
    if (c === SQUOTE || c === DQUOTE) {
      const after = this.scanQuoted(p, end);
      this.stop = after;
      return { kind: LEAF, start: p, end: after };
    }
    if (c < 128 && NOT_PLAIN_START[c]) throw DECLINE;
    const last = this.scanFlowPlain(p, end);
    if (text.charCodeAt(this.stop) === COLON) throw DECLINE;
    this.value = resolvePlain(text.slice(p, last));
    return { kind: LEAF, start: p, end: last };
  }

  /**
   * A plain scalar in a flow collection from `p`: sets `stop` (a flow indicator, or the `:` of a key)
   * and returns its trimmed end. Declines a comment or the line's end inside the collection.
   */
  private scanFlowPlain(p: number, end: number): number {
    const { text } = this;
    let last = p;
    let i = p;
    for (; i < end; i++) {
      const d = text.charCodeAt(i);
      if (d === COLON) {
        const next = i + 1 < end ? text.charCodeAt(i + 1) : SPACE;
        if (next === SPACE || (next < 128 && FLOW_INDICATOR[next])) break;
        last = i + 1;
      } else if (d === HASH) {
        if (text.charCodeAt(i - 1) === SPACE) throw DECLINE;
        last = i + 1;
      } else if (d < 128 && FLOW_INDICATOR[d]) {
        break;
      } else if (d !== SPACE) {
        last = i + 1;
      }
    }
    if (i >= end) throw DECLINE;
    this.stop = i;
    return last;
  }

  /**
   * Ends a value written on line `j` of a collection indented `col`: its node runs past the line break
   * and the comment lines indented deeper than `col` after it; moves `line` to the next content line.
   */
  private endLineValue(j: number, col: number): void {
    let nodeEnd = j + 1 < this.lineCount ? this.lineStart[j + 1]! : this.n;
    let tailLine = j + 1;
    let k = j + 1;
    for (; k < this.lineCount; k++) {
      const indent = this.indent[k]!;
      if (indent === -1) continue;
      if (!this.comment[k] || indent <= col) break;
      nodeEnd = k + 1 < this.lineCount ? this.lineStart[k + 1]! : this.n;
      tailLine = k + 1;
    }
    this.line = this.nextContent(k);
    this.nodeEnd = nodeEnd;
    this.tail = nodeEnd;
    this.tailLine = tailLine;
  }

  /**
   * Ends a collection indented `col` whose last value just ended: its trailing blank and comment lines
   * stay in it (its node then ends at the next content) when it is indented and one of those comments is
   * indented at least `col`; otherwise they pass on to its parent.
   */
  private endCollection(node: MapNode | SeqNode, col: number): void {
    node.end = this.nodeEnd;
    const next = this.contentStart(this.line);
    if (this.tail < 0 || this.tail >= next) {
      this.tail = -1;
      return;
    }
    if (col === 0) return;
    for (let k = this.tailLine; k < this.line; k++) {
      if (this.comment[k] && this.indent[k]! >= col) {
        this.nodeEnd = next;
        this.tail = -1;
        return;
      }
    }
  }

  /** A block mapping indented `col` whose first key is at `p` on line `first`; sets `value`. */
  private parseMap(first: number, col: number, p: number): MapNode {
    const { text } = this;
    const node: MapNode = { kind: MAP, start: p, end: 0, keys: [], keyRanges: [], values: [] };
    const data: Record<string, unknown> = {};
    let j = first;
    let kp = p;
    while (true) {
      const end = this.lineEnd[j]!;
      const after = this.readKey(kp, end);
      if (after < 0) throw DECLINE;
      const key = checkKey(this.value as string);
      if (Object.hasOwn(data, key)) throw DECLINE;
      node.keys.push(key);
      node.keyRanges.push(kp, this.stop);
      const v = this.skipSpaces(after, end);
      let value: FastNode;
      if (v === end || text.charCodeAt(v) === HASH) {
        const k = this.nextContent(j + 1);
        if (k < this.lineCount && this.indent[k]! > col) {
          const indent = this.indent[k]!;
          value = this.isDash(k) ? this.parseSeq(k, indent) : this.parseMap(k, indent, this.lineStart[k]! + indent);
        } else if (k < this.lineCount && this.indent[k] === col && this.isDash(k)) {
          value = this.parseSeq(k, col);
        } else {
          if (v < end) throw DECLINE;
          for (let m = j + 1; m < k; m++) if (this.comment[m]) throw DECLINE;
          value = { kind: LEAF, start: v, end: v };
          this.value = null;
          this.line = k;
          this.nodeEnd = v;
          this.tail = -1;
        }
      } else {
        value = this.parseLineValue(v, end);
        this.endLineValue(j, col);
      }
      node.values.push(value);
      data[key] = this.value;
      const k = this.line;
      if (k >= this.lineCount) break;
      const indent = this.indent[k]!;
      if (indent < col) break;
      if (indent > col || this.isDash(k)) throw DECLINE;
      j = k;
      kp = this.lineStart[k]! + indent;
    }
    this.endCollection(node, col);
    this.value = data;
    return node;
  }

  /** A block sequence whose dashes are at column `col`, from line `first`; sets `value`. */
  private parseSeq(first: number, col: number): SeqNode {
    const { text } = this;
    const node: SeqNode = { kind: SEQ, start: this.lineStart[first]! + col, end: 0, items: [] };
    const data: unknown[] = [];
    let j = first;
    while (true) {
      const end = this.lineEnd[j]!;
      const v = this.skipSpaces(this.lineStart[j]! + col + 1, end);
      if (v === end || text.charCodeAt(v) === HASH) throw DECLINE;
      let item: FastNode;
      if (this.readKey(v, end) >= 0) {
        item = this.parseMap(j, v - this.lineStart[j]!, v);
      } else {
        item = this.parseLineValue(v, end);
        this.endLineValue(j, col);
      }
      node.items.push(item);
      data.push(this.value);
      const k = this.line;
      if (k >= this.lineCount) break;
      const indent = this.indent[k]!;
      if (indent < col) break;
      if (indent > col) throw DECLINE;
      if (!this.isDash(k)) break;
      j = k;
    }
    this.endCollection(node, col);
    this.value = data;
    return node;
  }

  lineStarts(): Int32Array {
    return Int32Array.from(this.lineStart);
  }
}

/** The `PositionIndex` of a parsed tree, laid out exactly as `indexDocument` lays out yaml's document. */
function indexTree(root: FastNode, lineStarts: Int32Array): PositionIndex {
  const out: number[] = [];
  const keys: string[] = [];
  const keyIds = new Map<string, number>();
  const keyId = (key: string): number => {
    let id = keyIds.get(key);
    if (id === undefined) keyIds.set(key, (id = keys.push(key) - 1));
    return id;
  };
  const visit = (node: FastNode): number => {
    const at = out.length;
    if (node.kind === MAP) {
      const count = node.values.length;
      out.push(MAP, node.start, node.end, count);
      const entries = out.length;
      for (let i = 0; i < count; i++) out.push(-1, -1, -1, -1);
      for (let i = 0; i < count; i++) {
        const base = entries + i * 4;
        out[base] = keyId(node.keys[i]!);
        out[base + 1] = node.keyRanges[i * 2]!;
        out[base + 2] = node.keyRanges[i * 2 + 1]!;
        out[base + 3] = visit(node.values[i]!);
      }
    } else if (node.kind === SEQ) {
      const count = node.items.length;
      out.push(SEQ, node.start, node.end, count);
      const entries = out.length;
      for (let i = 0; i < count; i++) out.push(-1);
      for (let i = 0; i < count; i++) out[entries + i] = visit(node.items[i]!);
    } else {
      out.push(LEAF, node.start, node.end, 0);
    }
    return at;
  };
  const rootAt = visit(root);
  return { nodes: Int32Array.from(out), keys, lineStarts, root: rootAt };
}

/**
 * Parses `text` when it is within the subset described above, giving what `parseIndexed(file, text)`
 * gives (`{ data, diagnostics: [], index }`); undefined ("decline") for any other text.
 */
export function fastParse(_file: string, text: string): Required<IndexedParse> | undefined {
  const parser = new FastParser(text);
  let parsed: { node: FastNode; data: unknown };
  try {
    parsed = parser.parse();
  } catch (error) {
    if (error === DECLINE) return undefined;
    throw error;
  }
  return { data: parsed.data, diagnostics: [], index: indexTree(parsed.node, parser.lineStarts()) };
}
