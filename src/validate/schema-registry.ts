/**
 * The policy schemas (`schemas/*.schema.json`, JSON Schema 2020-12) compiled into one ajv, with benteng's
 * string formats. Each schema carries a stable `$id` under `SCHEMA_BASE_URL`; the cross-schema `$ref`s
 * are relative (`common.schema.json#/$defs/Peer`), so they resolve against those ids inside this
 * registry, offline: nothing is ever fetched. `SCHEMA_DIR` is where the schemas are installed with the
 * package (editors' modelines written by `benteng init` point there).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parseAddress, parseCidr } from '../net/address.js';
import { parsePeer } from '../net/peer.js';
import { parsePortSpec } from '../net/port.js';
import type { DocumentKind } from '../load/index.js';

/** The schemas directory of this installation (`<package>/schemas`). */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

/** The base of every schema's `$id`: `${SCHEMA_BASE_URL}hosts.schema.json`. Versioned: a breaking change gets v2. */
export const SCHEMA_BASE_URL = 'https://benteng.dev/schemas/v1/';

/** Schema file names by document kind (`common` holds the shared definitions). */
const SCHEMA_FILES: Record<DocumentKind | 'common', string> = {
  common: 'common.schema.json',
  hosts: 'hosts.schema.json',
  networks: 'networks.schema.json',
  ports: 'ports.schema.json',
  defaults: 'defaults.schema.json',
  service: 'service.schema.json',
  blocklist: 'blocklist.schema.json',
};

/** Our string formats; each has a parser in `src/net` that also explains a failure. */
export const POLICY_FORMATS = {
  'benteng-address': (text: string) => parseAddress(text),
  'benteng-cidr': (text: string) => parseCidr(text),
  'benteng-peer': (text: string) => parsePeer(text),
  'benteng-port': (text: string) => parsePortSpec(text),
} as const;

export type PolicyFormat = keyof typeof POLICY_FORMATS;

let validators: Map<DocumentKind, ValidateFunction> | undefined;

/** One ajv (JSON Schema 2020-12, allErrors) compiled once per process for all document kinds. */
export function schemaValidators(): Map<DocumentKind, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, useDefaults: false });
  addFormats.default(ajv, ['date']);
  for (const [name, parse] of Object.entries(POLICY_FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate: (text: string) => parse(text).ok });
  }
  for (const file of Object.values(SCHEMA_FILES)) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
    if (schema.$id !== SCHEMA_BASE_URL + file) throw new Error(`schemas/${file}: $id must be ${SCHEMA_BASE_URL + file}`);
    ajv.addSchema(schema);
  }
  validators = new Map();
  for (const [kind, file] of Object.entries(SCHEMA_FILES)) {
    if (kind === 'common') continue;
    validators.set(kind as DocumentKind, ajv.getSchema(SCHEMA_BASE_URL + file)!);
  }
  return validators;
}
