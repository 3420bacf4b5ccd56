import type { ErrorObject } from 'ajv';
import { type Diagnostic, diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import type { PathSegment, YamlSource } from '../load/index.js';
import { parseAddress, rangeToCidrs } from '../net/address.js';
import { POLICY_FORMATS, type PolicyFormat } from './schema-registry.js';

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string \`${value.length > 40 ? `${value.slice(0, 40)}…` : value}\``;
  return `${typeof value === 'number' ? 'the number' : 'the boolean'} \`${String(value)}\``;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function fieldName(path: readonly PathSegment[]): string {
  const last = path[path.length - 1];
  return last === undefined ? 'the document' : typeof last === 'number' ? `item ${last + 1}` : `\`${last}\``;
}

/** Ports usually spoken over UDP: a bare number among them is suggested as `udp/…` first. */
const UDP_FIRST = new Set([53, 67, 68, 69, 123, 137, 138, 161, 162, 500, 514, 1194, 1812, 1813, 4500, 51820]);

/** `tcp/5432 (or udp/5432)` for a port number or range written without its protocol. */
function protocolChoices(ports: string): string {
  const first = Number(ports.split('-')[0]);
  const [a, b] = UDP_FIRST.has(first) ? ['udp', 'tcp'] : ['tcp', 'udp'];
  return `\`${a}/${ports}\` (or \`${b}/${ports}\`)`;
}

/**
 * A likely intended spelling of a port spec the grammar refused: a bare number or range needs its
 * protocol; `tcp:5432`, `5432/tcp`, `TCP/443` and `tcp 443` are common ways of writing `tcp/5432`.
 */
export function portSuggestion(value: string | number): string | undefined {
  const text = String(value).trim();
  const shown = `\`${String(value)}\``;
  if (/^\d{1,5}(-\d{1,5})?$/.test(text)) return `${shown} needs its protocol: write ${protocolChoices(text)}`;
  const swapped = /^(\d{1,5}(?:-\d{1,5})?)\s*[/:]\s*(tcp|udp)$/i.exec(text);
  if (swapped) return `${shown} is written protocol first: \`${swapped[2]!.toLowerCase()}/${swapped[1]}\``;
  const list = /^(tcp|udp)\/(\d{1,5}(?:-\d{1,5})?(?:\s*,\s*\d{1,5}(?:-\d{1,5})?)+)$/i.exec(text);
  if (list) {
    const protocol = list[1]!.toLowerCase();
    return `${shown} is several ports in one item: write one item each, \`[${list[2]!.split(',').map((p) => `${protocol}/${p.trim()}`).join(', ')}]\``;
  }
  const other = /^(tcp|udp|icmp|icmpv6)\s*(?:[:\s]|\/\s)\s*(\S+)$/i.exec(text) ?? (/[A-Z]/.test(text) ? /^(tcp|udp|icmp|icmpv6)\/(\S+)$/i.exec(text) : null);
  if (other) return `${shown} is not a port spec: did you mean \`${other[1]!.toLowerCase()}/${other[2]}\`?`;
  if (/^[A-Za-z][A-Za-z0-9-]*$/.test(text) && /[A-Z]/.test(text)) return `${shown} is not a port spec: port set names are lowercase, \`${text.toLowerCase()}\``;
  return undefined;
}

function formatMessage(format: string, value: unknown): { code: string; message: string } {
  if (typeof value === 'string' && format in POLICY_FORMATS) {
    const result = POLICY_FORMATS[format as PolicyFormat](value);
    let reason = result.ok ? `\`${value}\` is not valid here` : result.reason;
    if (format === 'benteng-port') {
      const hint = portSuggestion(value);
      if (hint) reason = hint;
    } else if (format === 'benteng-peer' && /^[0-9a-fA-F.:]+\s*-\s*[0-9a-fA-F.:]+$/.test(value)) {
      const [from, to] = value.split('-').map((v) => parseAddress(v.trim()));
      if (from?.ok && to?.ok && from.value.family === to.value.family && from.value.value <= to.value.value) {
        const cidrs = rangeToCidrs(from.value.family, { start: from.value.value, end: to.value.value });
        const shown = cidrs.length <= 4 ? cidrs.join(', ') : `${cidrs.slice(0, 4).join(', ')}, … (${cidrs.length} blocks)`;
        return { code: 'invalid-peer', message: `\`${value}\` is a range: peers are addresses or CIDR blocks; this range is ${cidrs.length === 1 ? '' : 'the list '}\`${cidrs.length === 1 ? cidrs[0] : `[${shown}]`}\`` };
      }
    } else if (format === 'benteng-peer' && /,/.test(value)) {
      const items = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
      return { code: 'invalid-peer', message: `\`${value}\` is one text, not several peers: write a list, \`[${items.join(', ')}]\`` };
    }
    const code = format === 'benteng-port' ? 'invalid-port' : /address|prefix|octet|IPv/.test(reason) ? 'invalid-address' : 'invalid-peer';
    return { code, message: reason };
  }
  if (format === 'date') return { code: 'invalid-date', message: `\`${String(value)}\` is not a date: write YYYY-MM-DD` };
  return { code: 'schema-format', message: `\`${String(value)}\` does not match format ${format}` };
}

/** Turns one ajv error into a diagnostic at the key or value it is about, in words a person understands. */
function toDiagnostic(error: ErrorObject, source: YamlSource): Diagnostic | undefined {
  const path = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.propertyName !== undefined && error.keyword !== 'propertyNames') {
    const name = error.propertyName;
    return diagnostic(
      'schema-invalid-name',
      'error',
      `\`${name}\` is not a valid name: use lowercase letters, digits and hyphens, starting with a letter (at most 48)`,
      source.spanOf([...path, name], 'key'),
    );
  }
  switch (error.keyword) {
    case 'propertyNames':
    case 'anyOf':
    case 'if':
      return undefined;
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const misplaced = misplacedRuleField(field, known, error.data);
      if (misplaced) return diagnostic(misplaced.code, 'error', misplaced.message, source.spanOf([...path, field], 'key'));
      return diagnostic(
        'schema-unknown-field',
        'error',
        `unknown field \`${field}\`${didYouMean(field, known)}${known.length > 0 && !didYouMean(field, known) ? ` (expected one of ${known.join(', ')})` : ''}`,
        source.spanOf([...path, field], 'key'),
      );
    }
    case 'required':
      return diagnostic(
        'schema-missing-field',
        'error',
        `missing required field \`${String(params.missingProperty)}\` in ${fieldName(path)}`,
        source.spanOf(path, path.length === 0 ? 'value' : 'key'),
      );
    case 'type': {
      const expected = String(params.type);
      if ((error.parentSchema as { format?: string } | undefined)?.format === 'benteng-port' && typeof error.data === 'number') {
        return diagnostic('invalid-port', 'error', portSuggestion(error.data)!, source.spanOf(path));
      }
      return diagnostic(
        'schema-type',
        'error',
        `${fieldName(path)} must be ${expected.split('|').map((t) => TYPE_NAMES[t] ?? t).join(' or ')}, not ${describeValue(error.data)}${typeHint(expected, error.data, path)}`,
        source.spanOf(path),
      );
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const synonym = ENUM_SYNONYMS[String(error.data).toLowerCase()];
      const hint = synonym && allowed.includes(synonym) ? `: did you mean \`${synonym}\`?` : didYouMean(String(error.data), allowed);
      return diagnostic('schema-enum', 'error', `\`${String(error.data)}\` is not one of ${allowed.join(', ')}${hint}`, source.spanOf(path));
    }
    case 'format': {
      const { code, message } = formatMessage(String(params.format), error.data);
      return diagnostic(code, 'error', message, source.spanOf(path));
    }
    case 'pattern':
      if (typeof error.data === 'string' && error.data.trim() === '') {
        return diagnostic('schema-empty', 'error', `${fieldName(path)} must not be empty or blank`, source.spanOf(path));
      }
      return diagnostic(
        'schema-pattern',
        'error',
        `${describeValue(error.data)} is not valid for ${fieldName(path)}${error.parentSchema && typeof (error.parentSchema as { description?: string }).description === 'string' ? `: ${(error.parentSchema as { description: string }).description}` : ''}`,
        source.spanOf(path),
      );
    case 'minimum':
    case 'maximum':
      return diagnostic(
        'schema-range',
        'error',
        `${fieldName(path)} is ${String(error.data)}, out of range ${String((error.parentSchema as { minimum?: number }).minimum ?? '')}-${String((error.parentSchema as { maximum?: number }).maximum ?? '')}`,
        source.spanOf(path),
      );
    case 'minItems':
      return diagnostic('schema-empty', 'error', `${fieldName(path)} must not be empty`, source.spanOf(path));
    case 'minProperties':
      return diagnostic('schema-empty', 'error', `${fieldName(path)} must list at least one entry`, source.spanOf(path));
    case 'uniqueItems':
      return diagnostic(
        'schema-duplicate-item',
        'error',
        `${fieldName(path)} lists the same item twice (items ${Number(params.j) + 1} and ${Number(params.i) + 1})`,
        source.spanOf([...path, Number(params.i)]),
      );
    case 'minLength':
      return diagnostic('schema-empty', 'error', `${fieldName(path)} must not be empty`, source.spanOf(path));
    case 'maxLength':
      return diagnostic(
        'schema-too-long',
        'error',
        `${fieldName(path)} is longer than ${String(params.limit)} characters`,
        source.spanOf(path),
      );
    default:
      return diagnostic('schema-invalid', 'error', `${fieldName(path)} ${error.message ?? 'is invalid'}`, source.spanOf(path));
  }
}

/** Words from other firewalls for the values of `action`. */
const ENUM_SYNONYMS: Record<string, string> = { allow: 'accept', permit: 'accept', pass: 'accept', deny: 'drop', block: 'drop', refuse: 'reject' };

/** Other names people give a rule's fields, by the field benteng uses. */
const RULE_FIELD_SYNONYMS: Record<string, string> = {
  source: 'from',
  sources: 'from',
  src: 'from',
  peer: 'from',
  destination: 'to',
  destinations: 'to',
  dest: 'to',
  dst: 'to',
  port: 'ports',
  dport: 'ports',
  dports: 'ports',
};

/**
 * A field of an ingress or egress rule that belongs elsewhere: `to` in ingress or `from` in egress
 * (each direction names only the other side; this host is the other end), another firewall's name for
 * `from`, `to` or `ports`, or a separate `protocol`.
 */
function misplacedRuleField(field: string, known: readonly string[], data: unknown): { code: string; message: string } | undefined {
  const direction = known.includes('from') && !known.includes('to') ? 'ingress' : known.includes('to') && !known.includes('from') ? 'egress' : undefined;
  if (!direction) return undefined;
  const own = direction === 'ingress' ? 'from' : 'to';
  const meant = RULE_FIELD_SYNONYMS[field.toLowerCase()] ?? field.toLowerCase();
  const hasOwn = typeof data === 'object' && data !== null && own in data;
  if (meant === 'from' || meant === 'to') {
    if (meant === own) return { code: 'schema-unknown-field', message: `unknown field \`${field}\`: ${direction} rules name the peer with \`${own}\`` };
    const peerSide = direction === 'ingress' ? 'where the traffic comes from' : 'where the traffic goes';
    const hostSide = direction === 'ingress' ? 'destination' : 'source';
    const other = direction === 'ingress' ? 'egress' : 'ingress';
    return {
      code: 'schema-wrong-direction',
      message: hasOwn
        ? `an ${direction} rule has no \`${field}\`: its ${hostSide} is always this service's hosts; remove \`${field}\`, or move the rule under \`${other}:\``
        : `\`${field}\` belongs to ${other} rules: an ${direction} rule says ${peerSide} with \`${own}:\` (its ${hostSide} is this service's hosts); write \`${own}:\`, or move the rule under \`${other}:\``,
    };
  }
  if (meant === 'ports' && field !== 'ports') return { code: 'schema-unknown-field', message: `unknown field \`${field}\`, did you mean \`ports\`? (a list such as \`[tcp/443, udp/53]\`)` };
  if (/^(protocol|proto|protocols)$/i.test(field)) {
    return { code: 'schema-unknown-field', message: `unknown field \`${field}\`: the protocol is part of each port, e.g. \`ports: [tcp/443, udp/53]\` (or \`ports: [icmp]\`)` };
  }
  return undefined;
}

/** How to write the value the type error is about, when the slip is a common one. */
function typeHint(expected: string, data: unknown, path: readonly PathSegment[]): string {
  const field = path[path.length - 1];
  if (expected === 'array' && (typeof data === 'string' || typeof data === 'number') && typeof field === 'string') {
    const item = field === 'ports' ? (typeof data === 'number' || /^\d+(-\d+)?$/.test(data) ? `tcp/${data}` : data) : data;
    return `: write \`${field}: [${String(item)}]\``;
  }
  if (expected === 'array' && typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const dashed = Object.keys(data).find((k) => /^-\S/.test(k));
    if (dashed) return `: put a space after the \`-\` in \`${dashed}\``;
    return `: start each item with \`- \``;
  }
  if (expected === 'boolean' && typeof data === 'string' && /^(yes|no|on|off|y|n|true|false)$/i.test(data)) {
    return `: write \`${/^(yes|on|y|true)$/i.test(data) ? 'true' : 'false'}\` (YAML 1.2 reads \`yes\`, \`no\` and quoted words as text)`;
  }
  if (expected === 'array' && data === null && typeof field === 'string') return `: write the list after \`${field}:\` (e.g. \`${field}: [${field === 'ports' ? 'tcp/443' : '…'}]\`) or remove the field`;
  return '';
}

/**
 * Keeps, under each `anyOf`, only the errors of the branches whose shape fits the data (a string peer
 * or a list of peers), so a wrong peer reports one clear problem rather than one per branch. When no
 * branch fits, one type error names every accepted shape.
 */
function pruneAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const added: ErrorObject[] = [];
  for (const anyOf of errors.filter((e) => e.keyword === 'anyOf')) {
    const branchCount = Array.isArray(anyOf.schema) ? anyOf.schema.length : 0;
    const typeErrors = errors.filter(
      (e) => e.keyword === 'type' && e.instancePath === anyOf.instancePath,
    );
    typeErrors.forEach((e) => dropped.add(e));
    if (typeErrors.length >= branchCount && typeErrors[0]) {
      const types = typeErrors.map((e) => String((e.params as { type: string }).type));
      added.push({ ...typeErrors[0], params: { type: types.join('|') } });
    }
  }
  return [...errors.filter((e) => !dropped.has(e)), ...added];
}

/** A missing `from`/`to` is not reported where a misplaced field in the same rule already says what to write. */
function explainedMissing(errors: readonly ErrorObject[]): Set<ErrorObject> {
  const out = new Set<ErrorObject>();
  for (const error of errors) {
    if (error.keyword !== 'required') continue;
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    if (missing !== 'from' && missing !== 'to') continue;
    const explained = errors.some(
      (e) =>
        e.keyword === 'additionalProperties' &&
        e.instancePath === error.instancePath &&
        ['from', 'to'].includes(RULE_FIELD_SYNONYMS[String((e.params as { additionalProperty?: string }).additionalProperty).toLowerCase()] ?? String((e.params as { additionalProperty?: string }).additionalProperty).toLowerCase()),
    );
    if (explained) out.add(error);
  }
  return out;
}

export function schemaDiagnostics(errors: readonly ErrorObject[], source: YamlSource): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  const explained = explainedMissing(errors);
  for (const error of pruneAnyOf(errors).filter((e) => !explained.has(e))) {
    const d = toDiagnostic(error, source);
    if (!d) continue;
    const key = `${d.code}:${d.span?.start.offset}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
