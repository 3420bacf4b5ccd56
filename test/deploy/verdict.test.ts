import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/deploy/types.js';
import { verdictFrom } from '../../src/deploy/verdict.js';

const record = (outcome: string, reason: string, detail = ''): AuditRecord => ({
  time: '2026-11-23T10:42:07Z',
  id: 'x',
  action: 'deploy',
  outcome,
  reason,
  detail,
  backend: 'nftables',
  user: 'root',
  client: '198.51.100.1',
  commit: 'none',
  oldHash: 'old',
  newHash: 'new',
});

describe('verdictFrom: the server decides, the client says only what it saw', () => {
  it('new connections failed while the old session lived: the rules block new SSH', () => {
    const v = verdictFrom(
      { state: 'decided', record: record('rolled-back', 'confirm-timeout'), liveHash: 'old' },
      { newConnectionOpened: false, existingSessionAlive: true, confirmError: 'timed out', oldHash: 'old', clientAddress: '198.51.100.1' },
    );
    expect(v).toEqual({
      outcome: 'rolled-back',
      rolledBackAt: '2026-11-23T10:42:07Z',
      message:
        'new SSH connections failed (timed out) while the existing session stayed up: the new rules block new SSH from 198.51.100.1; the server rolled back at 10:42:07 UTC (server clock) because its timer expired',
    });
  });

  it('both paths dead: the link or the host, never "the rules" alone', () => {
    const v = verdictFrom({ state: 'decided', record: record('rolled-back', 'confirm-timeout') }, { newConnectionOpened: false, existingSessionAlive: false });
    expect(v.message).toMatch(/^new SSH connections failed and the existing session dropped too: the link or the host failed, or the new rules block established traffic; the server rolled back/);
  });

  it('a live hash other than the old one is said', () => {
    const v = verdictFrom({ state: 'decided', record: record('rolled-back', 'confirm-timeout'), liveHash: 'other' }, { newConnectionOpened: true, oldHash: 'old' });
    expect(v.message).toMatch(/^new SSH connections worked but the confirmation failed; .* but the live ruleset differs from the one before the deploy$/);
  });

  it('rollback-failed is a failure, loudly, with the server\'s detail', () => {
    const v = verdictFrom({ state: 'decided', record: record('rollback-failed', 'confirm-timeout', 'nft: Error: x') }, { newConnectionOpened: false });
    expect(v.outcome).toBe('rollback-failed');
    expect(v.message).toMatch(/^ROLLBACK FAILED: .* and failed: nft: Error: x\. The new rules may still be live/);
  });

  it('an outcome directory without an audit record (full disk) still reports the rollback', () => {
    const v = verdictFrom({ state: 'rolled-back', reason: 'confirm-timeout' }, { newConnectionOpened: false, lostDuringApply: true });
    expect(v.outcome).toBe('rolled-back');
    expect(v.message).toBe(
      'the connection dropped during the apply, so no confirmation was sent; the server rolled back (the audit record could not be written yet: state filesystem full?) because its timer expired',
    );
  });

  it('a confirmation that arrived before the link failed is a success', () => {
    expect(verdictFrom({ state: 'decided', record: record('confirmed', 'confirmed') }, { newConnectionOpened: true }).outcome).toBe('confirmed');
  });
});
