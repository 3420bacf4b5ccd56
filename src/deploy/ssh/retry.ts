/**
 * Bounded retries of the first connection to each host: a server that is rebooting, an sshd that
 * is restarting or a path that is not up yet gets a few more attempts, with a message for each.
 * Only transient failures are retried (refused, timed out, unreachable host, handshake timeout);
 * a host-key mismatch or an authentication failure never is. Later connections to the same host (a
 * deploy's confirmation, its wait for the rollback) keep their own timing and go through once.
 */
import type { Connect } from './transport.js';

export interface RetryPolicy {
  /** Attempts in all, the first included; default 3. */
  attempts?: number;
  /** Wait before the 2nd, 3rd, … attempt (the last value repeats); default 1 s, 2 s. */
  delaysMs?: number[];
  /** Told of each failed attempt that will be retried: the host and one line. */
  onRetry?: (host: string, message: string) => void;
}

const seconds = (ms: number) => `${ms >= 1000 ? (ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1) : (ms / 1000).toFixed(2)} s`;

/** Wraps `connect` so that the first call per host (by name, else address and port) is retried. */
export function retryFirstConnection(connect: Connect, policy: RetryPolicy = {}): Connect {
  const attempts = Math.max(1, policy.attempts ?? 3);
  const delays = policy.delaysMs && policy.delaysMs.length > 0 ? policy.delaysMs : [1000, 2000];
  const seen = new Set<string>();
  return async (endpoint, options) => {
    const host = endpoint.name ?? `${endpoint.address}:${endpoint.port}`;
    if (seen.has(host)) return connect(endpoint, options);
    seen.add(host);
    const waited: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const result = await connect(endpoint, options);
      if (result.ok || result.error.transient !== true) return result;
      if (attempt >= attempts) {
        const gaps = waited.map(seconds).join(', ');
        const message = attempt > 1 ? `${result.error.message} (gave up after ${attempt} attempts, ${gaps} apart)` : result.error.message;
        return { ok: false, error: { ...result.error, message } };
      }
      const delay = delays[Math.min(attempt - 1, delays.length - 1)]!;
      waited.push(delay);
      policy.onRetry?.(host, `attempt ${attempt} of ${attempts} failed: ${result.error.message}; retrying in ${seconds(delay)}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
}
