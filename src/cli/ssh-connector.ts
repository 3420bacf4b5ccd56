/**
 * The SSH connector every command that reaches servers uses: `connectSsh`, with the first connection to
 * each host retried (3 attempts, 1 s then 2 s apart; only transient failures, never a wrong host key or
 * a refused login) and each retry shown on stderr. One connector per command run, so a host is retried
 * once however many times the command connects to it.
 */
import { connectSsh, type Connect, retryFirstConnection } from '../deploy/index.js';
import type { CliIo } from './io.js';

export function retryingConnector(io: CliIo): Connect {
  return retryFirstConnection(connectSsh, {
    onRetry: (host, message) => io.stderr(`${io.chalk.cyan(`[${host}]`)} ${io.chalk.yellow('retrying')} ${io.chalk.dim(message)}\n`),
  });
}
