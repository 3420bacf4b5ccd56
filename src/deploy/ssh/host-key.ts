import { createHash, createHmac } from 'node:crypto';

/** OpenSSH-style fingerprint of a raw (wire-format) public key: `SHA256:<base64, no padding>`. */
export function fingerprintOf(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

export interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
}

/** Parses known_hosts text (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"); malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, keyText] = fields;
    if (!patterns || !keyType || !keyText) continue;
    entries.push({ marker, patterns, keyType, key: Buffer.from(keyText, 'base64') });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** True when the comma-separated pattern list names `name` (negations with `!` win). */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { ok: true }
  | { ok: false; reason: 'unknown' | 'changed' | 'revoked'; seen: string; expected?: string };

/** The trust source for one host: a pinned fingerprint from the inventory, or known_hosts text. */
export type HostKeyPolicy = { pinned: string } | { knownHosts: string };

/**
 * Decides whether `key` is the host's key. Pinned fingerprint: exact match. known_hosts: an entry for
 * `[host]:port` (or `host` on 22) with the same key bytes; entries for the host with other keys of the
 * same type mean the key changed; none at all mean it is unknown. Nothing is ever trusted blindly.
 */
export function verifyHostKey(policy: HostKeyPolicy, host: string, port: number, key: Buffer): HostKeyVerdict {
  const seen = fingerprintOf(key);
  if ('pinned' in policy) {
    return seen === policy.pinned ? { ok: true } : { ok: false, reason: 'changed', seen, expected: policy.pinned };
  }
  const name = knownHostsName(host, port);
  const keyType = wireKeyType(key);
  const forHost = parseKnownHosts(policy.knownHosts).filter((e) => e.marker !== '@cert-authority' && patternsMatch(e.patterns, name));
  if (forHost.some((e) => e.marker === '@revoked' && e.key.equals(key))) return { ok: false, reason: 'revoked', seen };
  if (forHost.some((e) => e.marker === undefined && e.key.equals(key))) return { ok: true };
  const sameType = forHost.filter((e) => e.marker === undefined && e.keyType === keyType);
  if (sameType.length > 0) return { ok: false, reason: 'changed', seen, expected: fingerprintOf(sameType[0]!.key) };
  return { ok: false, reason: 'unknown', seen };
}

/** The key type name at the head of an SSH wire-format public key (RFC 4253 §6.6). */
export function wireKeyType(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}
