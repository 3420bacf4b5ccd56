import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, knownHostsName, verifyHostKey } from '../../src/deploy/ssh/host-key.js';

function wireKey(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, body]);
}

const key = wireKey('ssh-ed25519', randomBytes(36));
const other = wireKey('ssh-ed25519', randomBytes(36));
const b64 = (k: Buffer) => k.toString('base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('host key verification', () => {
  it('fingerprints like ssh-keygen -l -E sha256', () => {
    expect(fingerprintOf(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it.each([
    ['plain entry', `198.51.100.2 ssh-ed25519 ${b64(key)}`, 22],
    ['[host]:port entry', `[198.51.100.2]:2222 ssh-ed25519 ${b64(key)}`, 2222],
    ['hashed entry', `${hashed('198.51.100.2')} ssh-ed25519 ${b64(key)}`, 22],
    ['hashed [host]:port entry', `${hashed('[198.51.100.2]:2222')} ssh-ed25519 ${b64(key)}`, 2222],
    ['pattern list with wildcard', `db-01,198.51.100.* ssh-ed25519 ${b64(key)}`, 22],
  ])('accepts a matching %s', (_name, line, port) => {
    expect(verifyHostKey({ knownHosts: `# comment\n${line}\n` }, '198.51.100.2', port, key)).toEqual({ ok: true });
  });

  it('reports a changed key with both fingerprints', () => {
    const verdict = verifyHostKey({ knownHosts: `198.51.100.2 ssh-ed25519 ${b64(other)}` }, '198.51.100.2', 22, key);
    expect(verdict).toEqual({ ok: false, reason: 'changed', seen: fingerprintOf(key), expected: fingerprintOf(other) });
  });

  it('reports an unknown host, also for a port mismatch and a negated pattern', () => {
    expect(verifyHostKey({ knownHosts: '' }, '198.51.100.2', 22, key)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(verifyHostKey({ knownHosts: `198.51.100.2 ssh-ed25519 ${b64(key)}` }, '198.51.100.2', 2222, key)).toMatchObject({ reason: 'unknown' });
    expect(verifyHostKey({ knownHosts: `198.51.100.*,!198.51.100.2 ssh-ed25519 ${b64(key)}` }, '198.51.100.2', 22, key)).toMatchObject({ reason: 'unknown' });
  });

  it('refuses a revoked key', () => {
    const text = `@revoked * ssh-ed25519 ${b64(key)}\n198.51.100.2 ssh-ed25519 ${b64(key)}`;
    expect(verifyHostKey({ knownHosts: text }, '198.51.100.2', 22, key)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('checks a pinned fingerprint exactly', () => {
    expect(verifyHostKey({ pinned: fingerprintOf(key) }, 'x', 22, key)).toEqual({ ok: true });
    expect(verifyHostKey({ pinned: fingerprintOf(other) }, 'x', 22, key)).toMatchObject({ ok: false, seen: fingerprintOf(key) });
  });

  it('names hosts like OpenSSH', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2200)).toBe('[h]:2200');
  });
});
