/**
 * The string formats the policy schemas use: benteng's own (`benteng-address`, `-cidr`, `-peer`,
 * `-port`), each checked by its parser in `src/net`, and ajv-formats' `date`. Both ajv paths check
 * every format with the same function: the run-time compiler registers `SCHEMA_FORMATS` with
 * `addFormat`, and `schema-registry.ts` hands `SCHEMA_FORMATS` to the validators generated at build
 * time (`dist/validate/validators.cjs`), whose code reads `schemaFormats[name]`. Loads no ajv.
 */
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { Format } from 'ajv';
import { parseAddress, parseCidr } from '../net/address.js';
import { parsePeer } from '../net/peer.js';
import { parsePortSpec } from '../net/port.js';

/** Our string formats; each has a parser in `src/net` that also explains a failure. */
export const POLICY_FORMATS = {
  'benteng-address': (text: string) => parseAddress(text),
  'benteng-cidr': (text: string) => parseCidr(text),
  'benteng-peer': (text: string) => parsePeer(text),
  'benteng-port': (text: string) => parsePortSpec(text),
} as const;

export type PolicyFormat = keyof typeof POLICY_FORMATS;

function policyFormat(name: PolicyFormat): Format {
  const parse = POLICY_FORMATS[name];
  return { type: 'string', validate: (text: string) => parse(text).ok };
}

/** Every format the schemas name, as ajv format definitions, by name. */
export const SCHEMA_FORMATS: Readonly<Record<string, Format>> = {
  date: fullFormats.date,
  'benteng-address': policyFormat('benteng-address'),
  'benteng-cidr': policyFormat('benteng-cidr'),
  'benteng-peer': policyFormat('benteng-peer'),
  'benteng-port': policyFormat('benteng-port'),
};
