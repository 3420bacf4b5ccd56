import type { ErrorObject } from 'ajv';
import { type Diagnostic, diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import type { PathSegment, YamlSource } from '../load/index.js';
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

function formatMessage(format: string, value: unknown): { code: string; message: string } {
  if (typeof value === 'string' && format in POLICY_FORMATS) {
    const result = POLICY_FORMATS[format as PolicyFormat](value);
    const reason = result.ok ? `\`${value}\` is not valid here` : result.reason;
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
    case 'type':
      return diagnostic(
        'schema-type',
        'error',
        `${fieldName(path)} must be ${String(params.type).split('|').map((t) => TYPE_NAMES[t] ?? t).join(' or ')}, not ${describeValue(error.data)}`,
        source.spanOf(path),
      );
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return diagnostic(
        'schema-enum',
        'error',
        `\`${String(error.data)}\` is not one of ${allowed.join(', ')}${didYouMean(String(error.data), allowed)}`,
        source.spanOf(path),
      );
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

export function schemaDiagnostics(errors: readonly ErrorObject[], source: YamlSource): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const error of pruneAnyOf(errors)) {
    const d = toDiagnostic(error, source);
    if (!d) continue;
    const key = `${d.code}:${d.span?.start.offset}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
