/**
 * Cache keys: each hashes everything that can change the cached value, so a hit is always exact.
 * Every key starts from the code fingerprint: benteng's version and the name and content of each of
 * its own code and schema files (an edited or upgraded benteng never reads entries of another). The check key adds the fingerprint of every input file and the options; a host's key adds
 * the host's resolved model, the baseline and the backends, which are everything its emitted text is
 * computed from (`emitHost`).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../build/compiled-host.js';
import type { BaselineSettings, HostModel } from '../model/index.js';
import { sha256 } from './store.js';

let codeFingerprintMemo: string | undefined;

/** benteng's version and the identity of its code and schema files (src or dist, whichever runs). */
export function codeFingerprint(): string {
  if (codeFingerprintMemo) return codeFingerprintMemo;
  const codeDir = fileURLToPath(new URL('..', import.meta.url));
  const root = join(codeDir, '..');
  const hash = createHash('sha256');
  try {
    hash.update(`version ${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? ''}\0`);
  } catch {
    hash.update('no package.json\0');
  }
  for (const dir of [codeDir, join(root, 'schemas')]) {
    let entries: string[] = [];
    try {
      entries = (readdirSync(dir, { recursive: true }) as string[]).sort();
    } catch {
      hash.update(`missing ${dir}\0`);
    }
    for (const entry of entries) {
      if (!/\.(ts|js|json|sh)$/.test(entry)) continue;
      try {
        hash.update(`${entry}\0`).update(readFileSync(join(dir, entry))).update('\0');
      } catch {
        hash.update(`${entry} unreadable\0`);
      }
    }
  }
  return (codeFingerprintMemo = hash.digest('hex'));
}

/** The key of a check (load → lint): the inputs' fingerprint and every option that changes the result. */
export function checkKey(inputsFingerprint: string, options: { today: string; lint: boolean }): string {
  return sha256(`check\0${codeFingerprint()}\0${inputsFingerprint}\0${options.today}\0${options.lint}`);
}

const bigintAsHex = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? `0x${value.toString(16)}` : value);

/** The key of one host's emitted files. */
export function hostKey(host: HostModel, baseline: BaselineSettings, backends: readonly Backend[]): string {
  return sha256(`host\0${codeFingerprint()}\0${backends.join(',')}\0${JSON.stringify(baseline)}\0${JSON.stringify(host, bigintAsHex)}`);
}
