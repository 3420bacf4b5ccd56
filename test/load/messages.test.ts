import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { type LoadedDocument, YamlSource } from '../../src/load/index.js';
import { findSyntaxSlips } from '../../src/load/yaml-slips.js';
import { codeFrame } from '../../src/report/code-frame.js';
import { validatePolicies } from '../../src/validate/index.js';
import { CORPUS_BASE, runCli, tempPolicies } from '../support/policy-dir.js';

/**
 * Messages a newcomer understands: each slip is reported once, at the line and column a person
 * would fix, in words that say what to write. Every case asserts the exact code, position and message.
 */
const show = (d: Diagnostic): string => `${d.code} ${d.span!.start.line}:${d.span!.start.column} ${d.message}`;

function parse(text: string): string[] {
  return YamlSource.parse('x.yaml', text).diagnostics.map(show);
}

const RULE_HEAD = 'service: portal\nhosts: [web-01]\ningress:\n';

describe('YAML syntax slips', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'a key indented one space more than its sibling (the parser blames the line above)',
      'hosts:\n  web-01:\n    addresses: [203.0.113.10]\n     backend: nftables\n',
      ['yaml-syntax 4:6 `backend` is indented more than `addresses` on line 3, which already has a value: keys of one mapping start at the same column (column 5)'],
    ],
    [
      'a key under a scalar value',
      'service: portal\n  hosts: [web-01]\n',
      ['yaml-syntax 2:3 `hosts` is indented more than `service` on line 1, which already has a value: keys of one mapping start at the same column (column 1)'],
    ],
    [
      'a rule key one space short',
      `${RULE_HEAD}  - from: any\n   ports: [https]\n`,
      ['yaml-syntax 5:4 `ports` starts at column 4, which lines up with nothing above: `from` on line 4 starts at column 5; keys of one mapping start at the same column'],
    ],
    [
      'a rule key two spaces too deep',
      `${RULE_HEAD}  - from: any\n      ports: [https]\n`,
      ['yaml-syntax 5:7 `ports` is indented more than `from` on line 4, which already has a value: keys of one mapping start at the same column (column 5)'],
    ],
    [
      'a list item one space short',
      `${RULE_HEAD}  - from: any\n    ports: [https]\n - from: office\n`,
      ['yaml-syntax 6:2 this list item starts at column 2, which lines up with nothing above: the list item on line 4 starts at column 3; items of one list start at the same column'],
    ],
    [
      'a list item at the column of the keys above',
      `${RULE_HEAD}  - from: any\n    ports: [https]\n    - from: office\n`,
      ['yaml-syntax 6:5 this list item starts at the column of the keys of the mapping above (`ports`, line 5): to add an item to the list of line 4, put its `-` at column 3'],
    ],
    [
      'a nested list item one space short',
      'service: portal\nhosts:\n  - web-01\n - web-02\n',
      ['yaml-syntax 4:2 this list item starts at column 2, which lines up with nothing above: the list item on line 3 starts at column 3; items of one list start at the same column'],
    ],
    [
      'a dash without its space among list items',
      `${RULE_HEAD}  - from: any\n  -from: office\n`,
      ['yaml-syntax 5:3 put a space after the `-` of `-from`: without it YAML reads a key named `-from`, not a new list item'],
    ],
    ['a tab as indentation: one error, at the tab', `${RULE_HEAD}\t- from: any\n`, ['yaml-syntax 4:1 tabs are not allowed for indentation; use spaces']],
    [
      'a tab in the middle of the indentation (the parser gives four errors)',
      `${RULE_HEAD}  - from: any\n    ports:\n  \t- https\n`,
      ['yaml-syntax 6:3 tabs are not allowed for indentation; use spaces'],
    ],
    ['a tab after the dash of a list item', `${RULE_HEAD}  -\tfrom: any\n    ports: [https]\n`, ['yaml-syntax 4:4 tabs are not allowed for indentation; use spaces']],
    [
      'tabs on two lines: one error each',
      'hosts:\n\tweb-01:\n\t\taddresses: [203.0.113.10]\n',
      ['yaml-syntax 2:1 tabs are not allowed for indentation; use spaces', 'yaml-syntax 3:1 tabs are not allowed for indentation; use spaces'],
    ],
    [
      'a missing colon after a key',
      'service: portal\nhosts [web-01]\ningress: []\n',
      ['yaml-syntax 2:6 expected `key: value` like the lines above: is a `:` missing after `hosts`?'],
    ],
    [
      'a missing colon in a rule',
      `${RULE_HEAD}  - from: any\n    ports [https]\n`,
      ['yaml-syntax 5:10 expected `key: value` like the lines above: is a `:` missing after `ports`?'],
    ],
    [
      'a missing colon on a list item, seen only at the next key',
      `${RULE_HEAD}  - from any\n    ports: [https]\n`,
      ['yaml-syntax 4:9 `from any` on line 4 is not `key: value` like `ports` below it: is a `:` missing after `from`?'],
    ],
    [
      'a missing colon on the first line',
      'service portal\nhosts: [web-01]\n',
      ['yaml-syntax 1:8 `service portal` on line 1 is not `key: value` like `hosts` below it: is a `:` missing after `service`?'],
    ],
    [
      'a missing colon after a first key that holds a list',
      'hosts\n  - web-01\nservice: portal\n',
      ['yaml-syntax 1:6 `hosts` on line 1 has no `:`, so the list below cannot belong to it: write `hosts:`'],
    ],
    [
      'a missing colon after a nested key that holds a list',
      `service: portal\nhosts: [web-01]\ningress: []\negress\n  - to: any\n`,
      ['yaml-syntax 4:7 expected `key: value` like the lines above: is a `:` missing after `egress`?'],
    ],
    [
      'no space after the colon',
      'service: portal\nhosts:[web-01]\n',
      ['yaml-syntax 2:6 put a space after the `:` of `hosts`: YAML reads `hosts:[web-01]` as one word, not a key and its value'],
    ],
    [
      'an unclosed double quote (the parser reports the end of the file)',
      'service: portal\ndescription: "the permit portal\nhosts: [web-01]\ningress: []\n',
      ['yaml-syntax 2:14 the string opened with `"` on line 2 is never closed: add the closing `"` at the end of the value'],
    ],
    [
      'an unclosed single quote',
      "service: portal\ndescription: 'the permit portal\nhosts: [web-01]\n",
      ["yaml-syntax 2:14 the string opened with `'` on line 2 is never closed: add the closing `'` at the end of the value"],
    ],
    [
      'an unclosed bracket (the parser reports the next line)',
      'service: portal\nhosts: [web-01\ningress: []\n',
      ['yaml-syntax 2:8 the list opened with `[` on line 2 is never closed: add `]` at the end of it'],
    ],
    [
      'an unclosed bracket in a rule',
      `${RULE_HEAD}  - from: any\n    ports: [https\n  - from: office\n`,
      ['yaml-syntax 5:12 the list opened with `[` on line 5 is never closed: add `]` at the end of it'],
    ],
    [
      'an unclosed brace',
      `${RULE_HEAD}  - {from: any, ports: [https]\n`,
      ['yaml-syntax 4:5 the mapping opened with `{` on line 4 is never closed: add `}` at the end of it'],
    ],
    [
      'a duplicate key names the first one',
      'service: portal\nhosts: [web-01]\nservice: again\n',
      ['yaml-duplicate-key 3:1 duplicate key `service`: each key may appear once in a mapping (first on line 1)'],
    ],
    [
      'a second document keeps its own message',
      'service: portal\nhosts: [web-01]\n---\nservice: other\n',
      ['yaml-syntax 3:1 a policy file holds one YAML document: remove the `---` separator or split the file'],
    ],
  ];

  it.each(cases)('%s', (_title, text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it('a duplicate key points at the first one as related information', () => {
    const [d] = YamlSource.parse('x.yaml', 'service: portal\nhosts: [web-01]\nservice: again\n').diagnostics;
    expect(d!.related?.map((r) => `${r.span.start.line}:${r.span.start.column} ${r.message}`)).toEqual(['1:1 `service` first set here']);
  });

  it('a tab inside a valid multi-line value is not blamed for an error elsewhere', () => {
    const text = 'description: the permit\n  \tportal of the city\nhosts [web-01]\n';
    expect(parse(text)).toEqual(['yaml-syntax 3:6 expected `key: value` like the lines above: is a `:` missing after `hosts`?']);
  });

  it('the code frame shows the tab and puts the caret under it', () => {
    const text = `${RULE_HEAD}  - from: any\n    ports:\n  \t- https\n`;
    const [d] = YamlSource.parse('x.yaml', text).diagnostics;
    expect(codeFrame(text, d!.span!)).toEqual(['  5 |     ports:', '> 6 |   →- https', '    |   ^', '  7 | ']);
  });

  it('the code frame of an over-indented key is on the key, not the line above', () => {
    const text = `${RULE_HEAD}  - from: any\n      ports: [https]\n`;
    const [d] = YamlSource.parse('x.yaml', text).diagnostics;
    expect(codeFrame(text, d!.span!)).toEqual(['  4 |   - from: any', '> 5 |       ports: [https]', '    |       ^^^^^', '  6 | ']);
  });

  const valid: Array<[string, string]> = [
    ['multi-line flow list closed at the key column', 'targets: [\n  a,\n  b\n]\nnext: 1\n'],
    ['anchor on its own line', 'rules:\n  - &base\n    from: office\n  - from: any\n'],
    ['list at its parent key column', 'ingress:\n- from: any\n  ports: [https]\nhosts: [a]\n'],
    ['block scalar with tabs and colons inside', 'description: |\n  a: b\n  \tindented: text\n  - not an item\nhosts: [a]\n'],
    ['multi-line plain scalar', 'description: the permit\n  portal of the city\nhosts: [a]\n'],
    ['multi-line plain scalar with a tab after the indentation', 'description: the permit\n  \tportal of the city\nhosts: [a]\n'],
    ['multi-line quoted scalar', 'description: "the permit\n  portal"\nhosts: [a]\n'],
    ['comments at any column', 'hosts:\n# a comment\n      # another\n  - a\n'],
    ['IPv6 addresses in a list', 'addresses:\n  - 2001:db8::1\n  - "2001:db8::2"\n'],
  ];

  it.each(valid)('finds no slip in valid YAML: %s', (_title, text) => {
    expect(YamlSource.parse('x.yaml', text).diagnostics).toEqual([]);
    expect(findSyntaxSlips(text)).toEqual([]);
  });
});

function validate(kind: LoadedDocument['kind'], text: string): string[] {
  const hosts = YamlSource.parse('hosts.yaml', 'hosts:\n  web-01:\n    addresses: [203.0.113.10]\n    backend: nftables\n');
  const doc = YamlSource.parse(`${kind}.yaml`, text);
  expect(doc.diagnostics).toEqual([]);
  const documents: LoadedDocument[] = [{ kind: 'hosts', source: hosts.source, data: hosts.data }, { kind, source: doc.source, data: doc.data }];
  return validatePolicies({ dir: 'policies', documents, diagnostics: [] }).diagnostics.map(show);
}

describe('schema messages for common slips', () => {
  const cases: Array<[string, LoadedDocument['kind'], string, string[]]> = [
    ['a port number without protocol', 'service', `${RULE_HEAD}  - from: any\n    ports: [5432]\n`, ['invalid-port 5:13 `5432` needs its protocol: write `tcp/5432` (or `udp/5432`)']],
    ['a DNS port number suggests udp first', 'service', `${RULE_HEAD}  - from: any\n    ports: [53]\n`, ['invalid-port 5:13 `53` needs its protocol: write `udp/53` (or `tcp/53`)']],
    ['a quoted port number', 'service', `${RULE_HEAD}  - from: any\n    ports: ["5432"]\n`, ['invalid-port 5:13 `5432` needs its protocol: write `tcp/5432` (or `udp/5432`)']],
    ['a port range without protocol', 'service', `${RULE_HEAD}  - from: any\n    ports: [8000-8100]\n`, ['invalid-port 5:13 `8000-8100` needs its protocol: write `tcp/8000-8100` (or `udp/8000-8100`)']],
    ['a port number in a port set', 'ports', 'ports:\n  db: [5432]\n', ['invalid-port 2:8 `5432` needs its protocol: write `tcp/5432` (or `udp/5432`)']],
    ['protocol last', 'service', `${RULE_HEAD}  - from: any\n    ports: [5432/tcp]\n`, ['invalid-port 5:13 `5432/tcp` is written protocol first: `tcp/5432`']],
    ['a colon for the slash', 'service', `${RULE_HEAD}  - from: any\n    ports: ["tcp:5432"]\n`, ['invalid-port 5:13 `tcp:5432` is not a port spec: did you mean `tcp/5432`?']],
    ['an upper-case protocol', 'service', `${RULE_HEAD}  - from: any\n    ports: [TCP/443]\n`, ['invalid-port 5:13 `TCP/443` is not a port spec: did you mean `tcp/443`?']],
    ['several ports in one item', 'service', `${RULE_HEAD}  - from: any\n    ports: ["tcp/80,443"]\n`, ['invalid-port 5:13 `tcp/80,443` is several ports in one item: write one item each, `[tcp/80, tcp/443]`']],
    ['an upper-case port set name', 'service', `${RULE_HEAD}  - from: any\n    ports: [HTTPS]\n`, ['invalid-port 5:13 `HTTPS` is not a port spec: port set names are lowercase, `https`']],
    [
      'an address range as a peer',
      'service',
      `${RULE_HEAD}  - from: 198.51.100.1-198.51.100.9\n`,
      ['invalid-peer 4:11 `198.51.100.1-198.51.100.9` is a range: peers are addresses or CIDR blocks; this range is the list `[198.51.100.1/32, 198.51.100.2/31, 198.51.100.4/30, 198.51.100.8/31]`'],
    ],
    ['an address range that is one block', 'service', `${RULE_HEAD}  - from: 198.51.100.0-198.51.100.255\n`, ['invalid-peer 4:11 `198.51.100.0-198.51.100.255` is a range: peers are addresses or CIDR blocks; this range is `198.51.100.0/24`']],
    ['ports as one value', 'service', `${RULE_HEAD}  - from: any\n    ports: 5432\n`, ['schema-type 5:12 `ports` must be a list, not the number `5432`: write `ports: [tcp/5432]`']],
    ['ports left empty', 'service', `${RULE_HEAD}  - from: any\n    ports:\n`, ['schema-type 5:11 `ports` must be a list, not null: write the list after `ports:` (e.g. `ports: [tcp/443]`) or remove the field']],
    [
      '`to` in an ingress rule',
      'service',
      `${RULE_HEAD}  - to: office\n    ports: [tcp/443]\n`,
      ["schema-wrong-direction 4:5 `to` belongs to egress rules: an ingress rule says where the traffic comes from with `from:` (its destination is this service's hosts); write `from:`, or move the rule under `egress:`"],
    ],
    [
      '`from` in an egress rule',
      'service',
      'service: portal\nhosts: [web-01]\negress:\n  - from: office\n',
      ["schema-wrong-direction 4:5 `from` belongs to ingress rules: an egress rule says where the traffic goes with `to:` (its source is this service's hosts); write `to:`, or move the rule under `ingress:`"],
    ],
    [
      '`to` next to `from` in an ingress rule',
      'service',
      `${RULE_HEAD}  - from: office\n    to: web-01\n`,
      ["schema-wrong-direction 5:5 an ingress rule has no `to`: its destination is always this service's hosts; remove `to`, or move the rule under `egress:`"],
    ],
    [
      '`destination` in a defaults ingress rule',
      'defaults',
      'defaults:\n  ingress:\n    - destination: office\n',
      ["schema-wrong-direction 3:7 `destination` belongs to egress rules: an ingress rule says where the traffic comes from with `from:` (its destination is this service's hosts); write `from:`, or move the rule under `egress:`"],
    ],
    ['`source` for `from`', 'service', `${RULE_HEAD}  - source: office\n`, ['schema-unknown-field 4:5 unknown field `source`: ingress rules name the peer with `from`']],
    ['`port` for `ports`', 'service', `${RULE_HEAD}  - from: office\n    port: [tcp/443]\n`, ['schema-unknown-field 5:5 unknown field `port`, did you mean `ports`? (a list such as `[tcp/443, udp/53]`)']],
    [
      'a separate protocol field',
      'service',
      `${RULE_HEAD}  - from: office\n    protocol: tcp\n`,
      ['schema-unknown-field 5:5 unknown field `protocol`: the protocol is part of each port, e.g. `ports: [tcp/443, udp/53]` (or `ports: [icmp]`)'],
    ],
    ['`allow` for accept', 'service', `${RULE_HEAD}  - from: office\n    action: allow\n`, ['schema-enum 5:13 `allow` is not one of accept, drop, reject: did you mean `accept`?']],
    ['`deny` for drop', 'service', `${RULE_HEAD}  - from: office\n    action: deny\n`, ['schema-enum 5:13 `deny` is not one of accept, drop, reject: did you mean `drop`?']],
    [
      '`yes` for true',
      'service',
      `${RULE_HEAD}  - from: office\n    log: yes\n`,
      ['schema-type 5:10 `log` must be true or false, not the string `yes`: write `true` (YAML 1.2 reads `yes`, `no` and quoted words as text)'],
    ],
    ['hosts as one name', 'service', 'service: portal\nhosts: web-01\n', ['schema-type 2:8 `hosts` must be a list, not the string `web-01`: write `hosts: [web-01]`']],
    ['rules written without dashes', 'service', `${RULE_HEAD}  from: office\n`, ['schema-type 4:3 `ingress` must be a list, not a mapping: start each item with `- `']],
    ['a dash without a space', 'service', `${RULE_HEAD}  -from: office\n`, ['schema-type 4:3 `ingress` must be a list, not a mapping: put a space after the `-` in `-from`']],
    [
      'peers separated by commas',
      'service',
      `${RULE_HEAD}  - from: 10.0.0.0/8, 198.51.100.0/24\n`,
      ['invalid-peer 4:11 `10.0.0.0/8, 198.51.100.0/24` is one text, not several peers: write a list, `[10.0.0.0/8, 198.51.100.0/24]`'],
    ],
    ['a misspelt key keeps its did-you-mean', 'service', 'service: portal\nhosts: [web-01]\ningres: []\n', ['schema-unknown-field 3:1 unknown field `ingres`, did you mean `ingress`?']],
  ];

  it.each(cases)('%s', (_title, kind, text, expected) => {
    expect(validate(kind, text)).toEqual(expected);
  });
});

describe('lint output for a file that does not parse', () => {
  it('shows the code frame of a YAML syntax error on the line to fix', async () => {
    const policies = tempPolicies();
    try {
      policies.write('services/broken.yaml', `${RULE_HEAD}  - from: office\n      ports: [https]\n`);
      const result = await runCli(['lint', '--policies', policies.dir]);
      expect(result.code).toBe(1);
      const lines = result.stdout.split('\n');
      const at = lines.indexOf(`${policies.dir}/services/broken.yaml`);
      expect(lines.slice(at + 1, at + 6)).toEqual([
        '  5:7     error `ports` is indented more than `from` on line 4, which already has a value: keys of one mapping start at the same column (column 5) [yaml-syntax]',
        '      4 |   - from: office',
        '    > 5 |       ports: [https]',
        '        |       ^^^^^',
        '      6 | ',
      ]);
    } finally {
      policies.dispose();
    }
  });
});

describe('slips made at random in valid policy files', () => {
  const bases = ['hosts.yaml', 'networks.yaml', 'defaults.yaml', 'services/portal.yaml'].map((f) => readFileSync(join(CORPUS_BASE, f), 'utf8'));
  const slips: Array<(line: string) => string> = [
    (l) => ` ${l}`,
    (l) => l.replace(/^ /, ''),
    (l) => `\t${l.trimStart()}`,
    (l) => l.replace(':', ''),
    (l) => l.replace(']', ''),
    (l) => l.replace('"', ''),
    (l) => l.replace('- ', '-'),
    (l) => l.replace(': ', ':'),
  ];

  it('never throws, reports every refused file with at least one error inside the text, each once', () => {
    fc.assert(
      fc.property(fc.nat(bases.length - 1), fc.nat(200), fc.nat(slips.length - 1), (b, at, kind) => {
        const lines = bases[b]!.split('\n');
        const i = at % lines.length;
        lines[i] = slips[kind]!(lines[i]!);
        const text = lines.join('\n');
        const { diagnostics, data } = YamlSource.parse('x.yaml', text);
        if (data === undefined) expect(diagnostics.length).toBeGreaterThan(0);
        for (const d of diagnostics) {
          expect(d.span!.start.offset).toBeGreaterThanOrEqual(0);
          expect(d.span!.end.offset).toBeLessThanOrEqual(text.length);
        }
        const keys = diagnostics.map((d) => `${d.span!.start.offset} ${d.message}`);
        expect(new Set(keys).size).toBe(keys.length);
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
