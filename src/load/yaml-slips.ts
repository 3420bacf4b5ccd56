/**
 * Explains YAML syntax errors the way a person fixes them. The parser (yaml) finds where parsing
 * became impossible, which is often a line before or after the slip: an over-indented key is reported
 * on the line above it, an unclosed `[` where the next key starts, a tab as three errors. This module
 * reads the text's lines (indentation, `- ` items, `key:` entries, flow brackets, quotes, block
 * scalars) and names the slip itself: the tab, the key that lines up with nothing, the missing `:`,
 * the bracket or quote never closed. It is consulted only for text the parser refused.
 */

/** One explained slip: offsets into the text (end exclusive) and the message. */
export interface SyntaxSlip {
  start: number;
  end: number;
  message: string;
  /** `unclosed`: a bracket or quote; the parser sees it only later, so it may lie far before its errors. */
  kind: 'tab' | 'indent' | 'colon' | 'unclosed';
}

interface Line {
  /** 1-based line number. */
  n: number;
  start: number;
  text: string;
  indent: number;
}

interface Block {
  indent: number;
  kind: 'map' | 'seq';
  /** The line and name of the block's latest entry: the sibling a misplaced line is compared with. */
  line: number;
  name: string;
  /** A list written at its parent key's own column (`key:\n- item`). */
  atParentColumn: boolean;
}

interface Opener {
  column: number;
  kind: 'map' | 'seq';
}

const KEY = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"[\]{},&*!|>%@`-][^#]*?|-[^\s#][^#]*?)[ \t]*:(?=[ \t]|$)/;
const TAB_MESSAGE = 'tabs are not allowed for indentation; use spaces';
/** An anchor and/or a tag with nothing after them: the node itself starts on the next line. */
const NODE_PROPERTIES = /^(?:[&!][^\s#]*[ \t]*)+(?:#.*)?$/;
const BLOCK_SCALAR = /^[|>][0-9+-]*[ \t]*(?:#.*)?$/;
const MISSING_COLON = /^([A-Za-z_][\w.-]*)([ \t]+)[^\s#:]/;
const MISSING_SPACE = /^([A-Za-z_][\w.-]*):[^\s:/]/;

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  let n = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end).replace(/\r$/, '');
    lines.push({ n, start, text: raw, indent: raw.length - raw.replace(/^ +/, '').length });
    if (end === text.length) break;
    start = end + 1;
    n++;
  }
  return lines;
}

const isBlankOrComment = (rest: string): boolean => rest.trim() === '' || rest.trimStart().startsWith('#');

/** The state of a flow collection or quoted scalar that runs on past its line. */
interface OpenFlow {
  /** Stack of open brackets, `[` or `{`, with their offsets. */
  brackets: Array<{ char: string; offset: number; line: number }>;
  /** An open quote inside or outside brackets. */
  quote?: { char: string; offset: number; line: number };
  /** Column of the entry the value belongs to: continuation lines must be indented past it. */
  parentColumn: number;
}

/** Scans `text` from `from` for brackets and quotes; updates `flow`. Returns false on a stray closer. */
function scanFlow(line: Line, from: number, flow: OpenFlow): boolean {
  const { text } = line;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (flow.quote) {
      if (flow.quote.char === '"' && c === '\\') i++;
      else if (c === flow.quote.char) {
        if (c === "'" && text[i + 1] === "'") i++;
        else flow.quote = undefined;
      }
      continue;
    }
    if (c === '#' && (i === 0 || /[ \t]/.test(text[i - 1]!))) return true;
    if (c === '"' || c === "'") {
      // A quote opens a quoted scalar only at the start of a value, not inside a plain word (`it's`).
      const before = text.slice(0, i).trimEnd();
      if (flow.brackets.length === 0 || /[[{,:]$/.test(before) || before.length === 0) {
        flow.quote = { char: c, offset: line.start + i, line: line.n };
      }
    } else if (c === '[' || c === '{') {
      flow.brackets.push({ char: c, offset: line.start + i, line: line.n });
    } else if (c === ']' || c === '}') {
      const open = flow.brackets.pop();
      if (!open || (open.char === '[') !== (c === ']')) return false;
    }
    if (flow.brackets.length === 0 && !flow.quote) return true;
  }
  return true;
}

function unclosedSlip(flow: OpenFlow): SyntaxSlip {
  if (flow.quote) {
    const q = flow.quote;
    return {
      start: q.offset,
      end: q.offset + 1,
      kind: 'unclosed',
      message: `the string opened with ${q.char === '"' ? '`"`' : "`'`"} on line ${q.line} is never closed: add the closing ${q.char === '"' ? '`"`' : "`'`"} at the end of the value`,
    };
  }
  const b = flow.brackets[flow.brackets.length - 1]!;
  const closer = b.char === '[' ? ']' : '}';
  return {
    start: b.offset,
    end: b.offset + 1,
    kind: 'unclosed',
    message: `the ${b.char === '[' ? 'list' : 'mapping'} opened with \`${b.char}\` on line ${b.line} is never closed: add \`${closer}\` at the end of it`,
  };
}

function describeEntry(kind: 'map' | 'seq', name: string): string {
  return kind === 'map' ? `\`${name}\`` : 'this list item';
}

function describeReference(block: Pick<Block, 'kind' | 'name' | 'line'>): string {
  return block.kind === 'map' ? `\`${block.name}\` on line ${block.line}` : `the list item on line ${block.line}`;
}

/**
 * Finds the slips in `text`: every tab used as indentation (each where the tab is), else the first
 * structural slip (indentation, a missing `:`, an unclosed bracket or quote), if any is recognised.
 */
export function findSyntaxSlips(text: string): SyntaxSlip[] {
  const lines = splitLines(text);
  const tabs: SyntaxSlip[] = [];
  let structural: SyntaxSlip | undefined;
  const stack: Block[] = [];
  let opener: Opener | undefined;
  let blockScalarParent: number | undefined;
  let flow: OpenFlow | undefined;
  /** The previous line held a bare scalar (no `key:`) with a space in it: a `:` may be missing there. */
  let bareScalar: { line: Line; column: number; word: string; gap: number; text: string } | undefined;
  /** The previous entry's value was a plain scalar, which may continue on deeper lines. */
  let plainContinues = false;

  const slip = (s: SyntaxSlip): void => {
    structural ??= s;
  };

  /** Places an entry (a key or a list item) at `column`; returns false when it is a slip. */
  const place = (line: Line, column: number, kind: 'map' | 'seq', name: string): boolean => {
    const b = bareScalar;
    if (b && (kind === 'map' ? column >= b.column : column > b.column)) {
      const at = b.line.start + b.column + b.word.length;
      slip({
        start: at,
        end: at + Math.max(1, b.gap),
        kind: 'colon',
        message:
          kind === 'map' && column === b.column
            ? `\`${b.text}\` on line ${b.line.n} is not \`key: value\` like \`${name}\` below it: is a \`:\` missing after \`${b.word}\`?`
            : `\`${b.word}\` on line ${b.line.n} has no \`:\`, so ${kind === 'map' ? `\`${name}\`` : 'the list'} below cannot belong to it: write \`${b.word}:\``,
      });
      return false;
    }
    if (opener) {
      const o = opener;
      opener = undefined;
      if (column > o.column || (kind === 'seq' && o.kind === 'map' && column === o.column)) {
        stack.push({ indent: column, kind, line: line.n, name, atParentColumn: column === o.column });
        return true;
      }
    }
    let popped: Block | undefined;
    while (stack.length > 0 && stack[stack.length - 1]!.indent > column) popped = stack.pop();
    let top = stack[stack.length - 1];
    if (top && top.indent === column && top.kind === 'seq' && top.atParentColumn && kind === 'map') {
      stack.pop();
      top = stack[stack.length - 1];
    }
    if (!top && !popped) {
      stack.push({ indent: column, kind, line: line.n, name, atParentColumn: false });
      return true;
    }
    const where = { start: line.start + column, end: line.start + column + (kind === 'map' ? name.length : 1) };
    if (top && top.indent === column) {
      if (top.kind === kind) {
        top.line = line.n;
        top.name = name;
        return true;
      }
      if (kind === 'seq') {
        const list = [...stack].reverse().find((b) => b.kind === 'seq');
        slip({
          ...where,
          kind: 'indent',
          message: `this list item starts at the column of the keys of the mapping above (\`${top.name}\`, line ${top.line})${list ? `: to add an item to the list of line ${list.line}, put its \`-\` at column ${list.indent + 1}` : ''}`,
        });
      } else if (/^-[^\s-]/.test(name)) {
        slip({ start: where.start, end: where.start + 1, kind: 'indent', message: `put a space after the \`-\` of \`${name}\`: without it YAML reads a key named \`${name}\`, not a new list item` });
      } else {
        slip({
          ...where,
          kind: 'indent',
          message: `\`${name}\` starts at the column of the list items above (line ${top.line}): a key cannot stand among list items; indent it into an item or out to the mapping that holds the list`,
        });
      }
      return false;
    }
    if (top && !popped) {
      slip({
        ...where,
        kind: 'indent',
        message:
          top.kind === 'map'
            ? `${describeEntry(kind, name)} is indented more than ${describeReference(top)}, which already has a value: ${kind === 'map' ? `keys of one mapping start at the same column (column ${top.indent + 1})` : 'a list under a key starts on the line after the key'}`
            : `${describeEntry(kind, name)} is indented more than ${describeReference(top)}, which already holds a value: align it with column ${top.indent + 1} or give the item a key`,
      });
      return false;
    }
    // Between two open levels (or left of the first one): it lines up with nothing above.
    const candidates = [popped, top].filter((b): b is Block => b !== undefined);
    const sameKind = candidates.filter((b) => b.kind === kind);
    const nearest = (sameKind.length > 0 ? sameKind : candidates).reduce((a, b) => (Math.abs(b.indent - column) < Math.abs(a.indent - column) ? b : a));
    slip({
      ...where,
      kind: 'indent',
      message: `${describeEntry(kind, name)} starts at column ${column + 1}, which lines up with nothing above: ${describeReference(nearest)} starts at column ${nearest.indent + 1}; ${kind === 'map' ? 'keys of one mapping' : 'items of one list'} start at the same column`,
    });
    return false;
  };

  for (const line of lines) {
    const { text: t } = line;
    if (flow) {
      const closing = !flow.quote && line.indent === flow.parentColumn && /^[\]}]/.test(t.trimStart());
      const deeper = line.indent > flow.parentColumn || closing || (!flow.quote && isBlankOrComment(t)) || t.trim() === '';
      if (!deeper) {
        slip(unclosedSlip(flow));
        flow = undefined;
      } else {
        if (!scanFlow(line, 0, flow)) flow = undefined;
        else if (flow.brackets.length === 0 && !flow.quote) flow = undefined;
        continue;
      }
    }
    if (blockScalarParent !== undefined) {
      if (t.trim() === '' || line.indent > blockScalarParent) continue;
      blockScalarParent = undefined;
    }
    if (isBlankOrComment(t)) continue;
    if (structural) {
      // After the first structural slip only tabs are still looked for.
      const tabAt = /^[ \t]*(?:-[ \t]+)*/.exec(t)![0].indexOf('\t');
      if (tabAt !== -1) tabs.push({ start: line.start + tabAt, end: line.start + tabAt + 1, kind: 'tab', message: TAB_MESSAGE });
      continue;
    }
    if (line.indent === 0 && /^(---|\.\.\.)(\s|$)/.test(t)) {
      stack.length = 0;
      opener = undefined;
      continue;
    }
    if (line.indent > 0 && plainContinues && !opener && stack.length > 0 && line.indent > stack[stack.length - 1]!.indent && !KEY.test(t.slice(line.indent).trimStart()) && !/^-[ \t]/.test(t.slice(line.indent).trimStart())) {
      continue; // a plain scalar running on over several lines
    }
    const lead = /^[ \t]*(?:-[ \t]+)*/.exec(t)![0];
    const tab = lead.indexOf('\t');
    if (tab !== -1) {
      tabs.push({ start: line.start + tab, end: line.start + tab + 1, kind: 'tab', message: TAB_MESSAGE });
      opener = undefined;
      bareScalar = undefined;
      continue;
    }
    let column = line.indent;
    let ok = true;
    const previousBare = bareScalar;
    bareScalar = undefined;
    plainContinues = false;
    while (ok) {
      const rest = t.slice(column);
      if (rest.startsWith('-') && (rest.length === 1 || rest[1] === ' ')) {
        bareScalar = previousBare;
        ok = place(line, column, 'seq', '-');
        bareScalar = undefined;
        if (!ok) break;
        const after = column + 1 + (/^ */.exec(rest.slice(1))![0].length);
        opener = { column, kind: 'seq' };
        if (isBlankOrComment(t.slice(after))) break;
        column = after;
        continue;
      }
      const key = KEY.exec(rest);
      if (key) {
        const name = key[0].slice(0, -1).trimEnd().replace(/^["']|["']$/g, '');
        bareScalar = previousBare;
        ok = place(line, column, 'map', name);
        bareScalar = undefined;
        if (!ok) break;
        const valueColumn = column + key[0].length + (/^[ \t]*/.exec(rest.slice(key[0].length))![0].length);
        const value = t.slice(valueColumn);
        if (isBlankOrComment(value) || NODE_PROPERTIES.test(value)) {
          opener = { column, kind: 'map' };
        } else if (BLOCK_SCALAR.test(value)) {
          blockScalarParent = stack[stack.length - 1]!.indent;
        } else if (/^[[{"']/.test(value)) {
          const open: OpenFlow = { brackets: [], parentColumn: stack[stack.length - 1]!.indent };
          if (scanFlow(line, valueColumn, open) && (open.brackets.length > 0 || open.quote)) flow = open;
        } else {
          plainContinues = true;
        }
        break;
      }
      // A bare scalar: a list item's value, or a line where a key was expected.
      const top = stack[stack.length - 1];
      if (NODE_PROPERTIES.test(rest)) break; // `- &anchor` or `- !tag`: the item's value starts on the next line
      if (/^[[{"']/.test(rest)) {
        const open: OpenFlow = { brackets: [], parentColumn: top?.indent ?? -1 };
        if (scanFlow(line, column, open) && (open.brackets.length > 0 || open.quote)) flow = open;
        opener = undefined;
        break;
      }
      const missingSpace = MISSING_SPACE.exec(rest);
      const missingColon = MISSING_COLON.exec(rest);
      const single = /^([A-Za-z_][\w.-]*)[ \t]*(?:#.*)?$/.exec(rest);
      const expectsKey = !opener && top?.kind === 'map' && top.indent === column;
      if (missingSpace && (expectsKey || opener || stack.length === 0)) {
        const at = line.start + column + missingSpace[1]!.length;
        slip({ start: at, end: at + 1, kind: 'colon', message: `put a space after the \`:\` of \`${missingSpace[1]}\`: YAML reads \`${missingSpace[1]}:${rest.slice(missingSpace[1]!.length + 1).trimEnd()}\` as one word, not a key and its value` });
        ok = false;
        break;
      }
      const word = missingColon?.[1] ?? single?.[1];
      const gap = missingColon?.[2]!.length ?? 0;
      if (word !== undefined && expectsKey) {
        const at = line.start + column + word.length;
        slip({ start: at, end: at + Math.max(1, gap), kind: 'colon', message: `expected \`key: value\` like the lines above: is a \`:\` missing after \`${word}\`?` });
        ok = false;
        break;
      }
      if (word !== undefined) bareScalar = { line, column, word, gap, text: rest.replace(/[ \t]+#.*$/, '').trimEnd() };
      opener = undefined;
      plainContinues = true;
      break;
    }
  }
  if (flow && !structural) slip(unclosedSlip(flow));
  if (tabs.length > 0) return tabs;
  return structural ? [structural] : [];
}
