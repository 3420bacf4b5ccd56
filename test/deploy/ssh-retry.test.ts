import { describe, expect, it } from 'vitest';
import type { SshEndpoint } from '../../src/build/compiled-host.js';
import type { DeployError } from '../../src/deploy/index.js';
import { retryFirstConnection } from '../../src/deploy/ssh/retry.js';
import type { Connect, Transport } from '../../src/deploy/ssh/transport.js';

/** The retry policy against a scripted connect: which failures are retried, how often, and only the first time per host. */
const endpoint = (name: string): SshEndpoint => ({ name, address: '203.0.113.9', port: 22, user: 'root' });
const transport: Transport = { viaSudo: false, exec: async () => ({ code: 0, stdout: '', stderr: '' }), close: () => undefined };

function scripted(outcomes: (DeployError | 'ok')[]): { connect: Connect; calls: () => number } {
  let calls = 0;
  const connect: Connect = async () => {
    const next = outcomes[Math.min(calls++, outcomes.length - 1)]!;
    return next === 'ok' ? { ok: true, value: transport } : { ok: false, error: next };
  };
  return { connect, calls: () => calls };
}

const refused: DeployError = { code: 'unreachable', message: 'cannot reach root@203.0.113.9:22: connect ECONNREFUSED', transient: true };

describe('retryFirstConnection', () => {
  it('retries transient failures until one succeeds, with one message per retry', async () => {
    const { connect, calls } = scripted([refused, refused, 'ok']);
    const messages: string[] = [];
    const result = await retryFirstConnection(connect, { delaysMs: [5, 10], onRetry: (h, m) => messages.push(`${h} ${m}`) })(endpoint('web-01'), {});
    expect(result.ok).toBe(true);
    expect(calls()).toBe(3);
    expect(messages).toEqual([
      'web-01 attempt 1 of 3 failed: cannot reach root@203.0.113.9:22: connect ECONNREFUSED; retrying in 0.01 s',
      'web-01 attempt 2 of 3 failed: cannot reach root@203.0.113.9:22: connect ECONNREFUSED; retrying in 0.01 s',
    ]);
  });

  it('stops after the bounded number of attempts and says so in the error', async () => {
    const { connect, calls } = scripted([refused]);
    const result = await retryFirstConnection(connect, { attempts: 4, delaysMs: [5] })(endpoint('web-01'), {});
    expect(calls()).toBe(4);
    expect(!result.ok && result.error).toEqual({ ...refused, message: `${refused.message} (gave up after 4 attempts, 0.01 s, 0.01 s, 0.01 s apart)` });
  });

  it.each([
    [{ code: 'host-key-changed', message: 'host key … does not match' }],
    [{ code: 'host-key-unknown', message: 'host key … is unknown' }],
    [{ code: 'auth-failed', message: 'authentication … failed' }],
    [{ code: 'unreachable', message: 'getaddrinfo ENOTFOUND' }],
  ] as [DeployError][])('never retries %j', async (error) => {
    const { connect, calls } = scripted([error, 'ok']);
    const messages: string[] = [];
    const result = await retryFirstConnection(connect, { delaysMs: [5], onRetry: (_, m) => messages.push(m) })(endpoint('web-01'), {});
    expect(!result.ok && result.error).toEqual(error);
    expect(calls()).toBe(1);
    expect(messages).toEqual([]);
  });

  it('retries only the first connection to each host', async () => {
    const { connect, calls } = scripted([refused]);
    const wrapped = retryFirstConnection(connect, { attempts: 2, delaysMs: [5] });
    await wrapped(endpoint('web-01'), {});
    expect(calls()).toBe(2);
    await wrapped(endpoint('web-01'), {});
    expect(calls()).toBe(3);
    await wrapped(endpoint('web-02'), {});
    expect(calls()).toBe(5);
  });
});
