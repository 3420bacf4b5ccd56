/**
 * The specification of the fast parser (src/load/fast-yaml.ts): for every input, `fastParse` either
 * declines or gives exactly what the `yaml` path (`parseIndexed`) gives: the same data, no diagnostics,
 * and the same position index array for array. Checked on the example policies, every YAML fixture
 * under test/, generated fleets, a table of hand-written cases and seeded random mutations of the
 * fixtures. It must also not decline the policies and generated fleets, or the speed-up is fictional.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLEET_SIZES, generateFleet } from '../../bench/fleet-generator.js';
import { generateSingleHost } from '../../bench/single-host-generator.js';
import { mulberry32 } from '../../src/evaluate/seeded-random.js';
import { fastParse } from '../../src/load/fast-yaml.js';
import { loadPolicies, parsePolicyFiles, type PolicyReads } from '../../src/load/index.js';
import { parseIndexed } from '../../src/load/parse-file.js';
import { IndexedSource, type PositionIndex } from '../../src/load/position-index.js';
import { YamlSource } from '../../src/load/yaml-source.js';
import { REPO_ROOT } from '../support/policy-dir.js';

interface Sample {
  file: string;
  text: string;
}

function yamlFiles(dir: string): Sample[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort()
    .map((name) => join(dir, name))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

const plainIndex = (index: PositionIndex) => ({
  nodes: Array.from(index.nodes),
  keys: index.keys,
  lineStarts: Array.from(index.lineStarts),
  root: index.root,
});

/** Asserts "declines, or identical to yaml"; true when the fast parser took the file. */
function checkAgainstYaml({ file, text }: Sample): boolean {
  const fast = fastParse(file, text);
  if (!fast) return false;
  const reference = parseIndexed(file, text).result;
  expect(reference.diagnostics, `${file}: yaml reports errors, so the fast parser must decline\n${text}`).toEqual([]);
  expect(fast.diagnostics).toEqual([]);
  expect(fast.data, `${file}: data\n${text}`).toStrictEqual(reference.data);
  expect(reference.index, `${file}: yaml indexes it`).toBeDefined();
  expect(plainIndex(fast.index), `${file}: position index\n${text}`).toEqual(plainIndex(reference.index!));
  return true;
}

const policies = yamlFiles(join(REPO_ROOT, 'policies'));
const fixtures = yamlFiles(join(REPO_ROOT, 'test'));
const generated: Sample[] = [
  ...[...generateFleet(FLEET_SIZES['1k']).files].map(([file, text]) => ({ file: `fleet-1k/${file}`, text })),
  ...[...generateSingleHost({ services: 200, backend: 'nftables' }).files].map(([file, text]) => ({ file: `single-host/${file}`, text })),
];

describe('fastParse against yaml', () => {
  it('takes every example policy and gives what yaml gives', () => {
    expect(policies.length).toBeGreaterThan(10);
    for (const sample of policies) expect(checkAgainstYaml(sample), `${sample.file} declined`).toBe(true);
  });

  it('takes every file of the generated fleet and single host and gives what yaml gives', () => {
    expect(generated.length).toBeGreaterThan(200);
    for (const sample of generated) expect(checkAgainstYaml(sample), `${sample.file} declined`).toBe(true);
  });

  it('declines or gives what yaml gives for every YAML fixture under test/, and takes the good ones', () => {
    expect(fixtures.length).toBeGreaterThan(50);
    let taken = 0;
    for (const sample of fixtures) if (checkAgainstYaml(sample)) taken++;
    expect(taken).toBeGreaterThan(fixtures.length / 2);
    for (const sample of fixtures.filter((s) => s.file.includes(join('corpus', 'base')))) expect(fastParse(sample.file, sample.text)).toBeDefined();
  });
});

const DECLINES = Symbol('declines');

/** Hand-written cases: the text, and the data expected or a decline. */
const cases: Array<[name: string, text: string, expected: unknown]> = [
  // Scalar typing, YAML 1.2 core schema.
  ['decimal int', 'a: 42\n', { a: 42 }],
  ['zero', 'a: 0\n', { a: 0 }],
  ['float', 'a: 10.5\n', DECLINES],
  ['exponent', 'a: 1e3\n', DECLINES],
  ['octal', 'a: 0o17\n', DECLINES],
  ['hex', 'a: 0x1F\n', DECLINES],
  ['leading zero', 'a: 007\n', DECLINES],
  ['negative', 'a: -1\n', DECLINES],
  ['plus sign', 'a: +1\n', DECLINES],
  ['.inf', 'a: .inf\n', DECLINES],
  ['.nan', 'a: .NaN\n', DECLINES],
  ['leading dot float', 'a: .5\n', DECLINES],
  ['trailing dot float', 'a: 1.\n', DECLINES],
  ['int too long for exactness', 'a: 1234567890123456\n', DECLINES],
  ['tilde', 'a: ~\n', { a: null }],
  ['Null', 'a: Null\n', { a: null }],
  ['NULL', 'a: NULL\n', { a: null }],
  ['TRUE', 'a: TRUE\n', { a: true }],
  ['False', 'a: False\n', { a: false }],
  ['yes is a string in 1.2', 'a: yes\n', { a: 'yes' }],
  ['on is a string in 1.2', 'a: on\n', { a: 'on' }],
  ['date is a string in 1.2', 'a: 2033-08-18\n', { a: '2033-08-18' }],
  ['underscored digits are a string in 1.2', 'a: 1_000\n', { a: '1_000' }],
  ['sexagesimal is a string in 1.2', 'a: 1:30\n', { a: '1:30' }],
  ['address', 'a: 192.0.2.10\n', { a: '192.0.2.10' }],
  ['port', 'a: tcp/22\n', { a: 'tcp/22' }],
  ['colon inside a plain scalar', 'a: service:dns\n', { a: 'service:dns' }],
  ['hash in a double-quoted scalar', 'a: "a # b"\n', { a: 'a # b' }],
  ['hash inside a plain scalar', 'a: a#b\n', { a: 'a#b' }],
  ['doubled single quote', "a: 'it''s'\n", { a: "it's" }],
  ['empty quoted scalars', 'a: ["", \'\']\n', { a: ['', ''] }],
  ['trailing spaces', 'a: b   \n', { a: 'b' }],
  ['inner spaces', 'a: x y  z\n', { a: 'x y  z' }],
  ['comment after value', 'a: b # c\n', { a: 'b' }],
  ['comment after quoted value', 'a: "b"   # c\n', { a: 'b' }],
  ['comment after flow sequence', 'a: [b] # c\n', { a: ['b'] }],
  ['empty value', 'a:\n', { a: null }],
  ['empty value before a key', 'a:\nb: 1\n', { a: null, b: 1 }],
  ['empty value with trailing spaces in a nested map', 'x:\n  a:   \n\n', { x: { a: null } }],
  ['no final line break', 'a: b', { a: 'b' }],
  ['space before the colon', 'a : 1\n', { a: 1 }],
  ['quoted keys', '"a b": 1\n\'c\': 2\n', { 'a b': 1, c: 2 }],
  // Flow collections on one line.
  ['flow sequence', 'a: [1, "b", \'c\', d e]\n', { a: [1, 'b', 'c', 'd e'] }],
  ['empty flow collections', 'a: [[], {}, [ ], { }]\n', { a: [[], {}, [], {}] }],
  ['nested flow', 'a: {x: [1, [2]], "y": {z: w}}\n', { a: { x: [1, [2]], y: { z: 'w' } } }],
  ['colon and hash inside flow plain scalars', 'a: [host:web, a#b]\n', { a: ['host:web', 'a#b'] }],
  // Block structure, comments and blank lines.
  ['sequence at the key indent', 'a:\n- x\n- y\nb: 1\n', { a: ['x', 'y'], b: 1 }],
  ['compact maps in a sequence', 'a:\n  - k: v\n    j: [w]\n  -   k: u\n', { a: [{ k: 'v', j: ['w'] }, { k: 'u' }] }],
  ['sequence under a compact map key', 'a:\n  - k:\n    - x\n    j: 2\n', { a: [{ k: ['x'], j: 2 }] }],
  ['schema modeline', '# yaml-language-server: $schema=../x.json\na: 1\n', { a: 1 }],
  ['comments everywhere', '# c\na:  # c\n\n  # c\n  b: 1  # c\n    # deeper\n  # same\n# zero\nc:\n- 1\n  # c\n', { a: { b: 1 }, c: [1] }],
  ['trailing comments of nested collections', 'a:\n  b:\n    c: 1\n    # x\n\n  # y\n', { a: { b: { c: 1 } } }],
  ['comment after a sequence at column 0', 'a:\n- x\n# c\n\n', { a: ['x'] }],
  ['comment after an indented sequence', 'a:\n  - x\n  # c\nb: 1\n', { a: ['x'], b: 1 }],
  ['comments after compact maps', 'a:\n- k: v\n  # c\n    # d\n- j: w\n  # e\n', { a: [{ k: 'v' }, { j: 'w' }] }],
  ['blank lines', '\n\na: 1\n\n\nb: 2\n\n', { a: 1, b: 2 }],
  // Declines.
  ['tab', 'a:\tb\n', DECLINES],
  ['tab in a value', 'a: b\tc\n', DECLINES],
  ['carriage return', 'a: b\r\n', DECLINES],
  ['anchor and alias', 'a: &x 1\nb: *x\n', DECLINES],
  ['tag', 'a: !!str 1\n', DECLINES],
  ['directive', '%YAML 1.2\n---\na: 1\n', DECLINES],
  ['document start', '---\na: 1\n', DECLINES],
  ['document end', 'a: 1\n...\n', DECLINES],
  ['literal block scalar', 'a: |\n  x\n', DECLINES],
  ['folded block scalar', 'a: >\n  x\n', DECLINES],
  ['explicit key', '? a\n: b\n', DECLINES],
  ['multi-line plain scalar', 'a: b\n  c\n', DECLINES],
  ['multi-line quoted scalar', 'a: "b\n  c"\n', DECLINES],
  ['multi-line flow sequence', 'a: [b,\n  c]\n', DECLINES],
  ['unclosed flow map', 'a: {b: 1\n', DECLINES],
  ['escape in a double-quoted scalar', 'a: "x\\ty"\n', DECLINES],
  ['duplicate key', 'a: 1\na: 2\n', DECLINES],
  ['duplicate key in a flow map', 'a: {b: c, b: d}\n', DECLINES],
  ['merge key', '<<: {a: 1}\n', DECLINES],
  ['integer key', '1: a\n', DECLINES],
  ['boolean key', 'true: a\n', DECLINES],
  ['__proto__ key', '__proto__: 1\n', DECLINES],
  ['empty document', '', DECLINES],
  ['only comments', '# only\n', DECLINES],
  ['top-level sequence', '- a: b\n', DECLINES],
  ['nested mapping on a key line', 'a: b: c\n', DECLINES],
  ['single-pair map in a flow sequence', 'a: [a: b]\n', DECLINES],
  ['trailing comma', 'a: [b,]\n', DECLINES],
  ['text after a quoted scalar', 'a: "b"c\n', DECLINES],
  ['comment touching a quoted scalar', 'a: "b"# c\n', DECLINES],
  ['empty value with a comment', 'a: # c\nb: 1\n', DECLINES],
  ['empty sequence item', 'a:\n- b\n-\n', DECLINES],
  ['nested block sequence', 'a:\n- - c\n', DECLINES],
  ['key indented less than its siblings', 'a:\n  b: 1\n c: 2\n', DECLINES],
  ['key indented more than its siblings', 'a:\n  b: 1\n   c: 2\n', DECLINES],
  ['missing colon', 'a: 1\nb\n', DECLINES],
];

describe('fastParse cases', () => {
  it.each(cases)('%s', (name, text, expected) => {
    const fast = fastParse('x.yaml', text);
    if (expected === DECLINES) {
      expect(fast).toBeUndefined();
      return;
    }
    expect(fast, 'declined').toBeDefined();
    expect(fast!.data).toStrictEqual(expected);
    checkAgainstYaml({ file: name, text });
  });
});

const INSERTS = ['#', ':', '-', "'", '"', ' ', '  ', '\n', '\n  ', '[', ']', '{', '}', ',', ' # x', ': ', '- ', '0', '1.5', '~', '&a', '*a', '\t', 'a'];

/** `text` with one to three random edits: a character deleted or doubled, a snippet inserted, a line's indentation changed. */
function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (out.length + 1));
    const lineStart = out.lastIndexOf('\n', at - 1) + 1;
    switch (Math.floor(random() * 5)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + out.charAt(at) + out.slice(at);
        break;
      case 2:
        out = out.slice(0, lineStart) + '  ' + out.slice(lineStart);
        break;
      case 3:
        if (out.startsWith(' ', lineStart)) out = out.slice(0, lineStart) + out.slice(lineStart + 1);
        break;
      default:
        out = out.slice(0, at) + INSERTS[Math.floor(random() * INSERTS.length)] + out.slice(at);
    }
  }
  return out;
}

describe('fastParse on mutated fixtures', () => {
  it('declines or gives what yaml gives for 2,000 seeded random mutations', () => {
    const random = mulberry32(0xfa57);
    const pool = [...policies, ...fixtures, ...cases.map(([file, text]) => ({ file, text }))];
    let taken = 0;
    for (let n = 0; n < 2000; n++) {
      const sample = pool[Math.floor(random() * pool.length)]!;
      if (checkAgainstYaml({ file: `${sample.file} (mutation ${n})`, text: mutate(sample.text, random) })) taken++;
    }
    // Both outcomes occur: the fuzz exercises the parser, not only its declines.
    expect(taken).toBeGreaterThan(300);
    expect(taken).toBeLessThan(1900);
  });
});

describe('the load stage', () => {
  it('parses the example policies with the fast parser', async () => {
    const loaded = await loadPolicies(join(REPO_ROOT, 'policies'), { workers: false });
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.documents.length).toBeGreaterThan(10);
    for (const document of loaded.documents) expect(document.source).toBeInstanceOf(IndexedSource);
  });

  it('parses the files the fast parser declines with yaml, keeping file order and diagnostics', async () => {
    const texts: Array<[string, string]> = [
      ['services/a.yaml', 'service: a\nhosts: [web-01]\n'],
      ['services/b.yaml', 'service: &name b\nhosts: [web-01]\n'],
      ['services/c.yaml', 'service: c\nservice: again\n'],
      ['services/d.yaml', 'service: d\nhosts: [web-02]\n'],
    ];
    const reads: PolicyReads = {
      dir: 'mixed',
      files: texts.map(([file, text]) => ({ file, kind: 'service' as const, read: { ok: true as const, text } })),
      fingerprint: 'test',
    };
    const loaded = await parsePolicyFiles(reads, { workers: false });
    expect(loaded.documents.map((d) => [d.source.file, d.source instanceof IndexedSource ? 'fast' : 'yaml', d.data])).toEqual([
      ['services/a.yaml', 'fast', { service: 'a', hosts: ['web-01'] }],
      ['services/b.yaml', 'yaml', { service: 'b', hosts: ['web-01'] }],
      ['services/d.yaml', 'fast', { service: 'd', hosts: ['web-02'] }],
    ]);
    expect(loaded.documents[1]!.source).toBeInstanceOf(YamlSource);
    expect(loaded.diagnostics.map((d) => [d.code, d.span?.file, d.span?.start.line])).toEqual([['yaml-duplicate-key', 'services/c.yaml', 2]]);
  });
});
