/**
 * The connection-rate load generator of the per-packet benchmark, run inside a network namespace with
 * `ip netns exec … node --import tsx bench/connect-load.ts`:
 *
 *   serve <port>                                  accept and close every connection; prints "ready"
 *   connect <address> <port> <seconds> <parallel> open new TCP connections for `seconds`, `parallel`
 *                                                 at a time, each closed at once; prints JSON counts
 *
 * Every connection is a new socket from a new ephemeral port, so its SYN is conntrack state `new` and
 * walks the server's whole input chain.
 */
import { connect, createServer } from 'node:net';

export interface ConnectResult {
  connections: number;
  failures: number;
  seconds: number;
}

function serve(port: number): void {
  const server = createServer((socket) => socket.destroy());
  server.on('error', (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
  server.listen({ port, host: '0.0.0.0', backlog: 4096 }, () => process.stdout.write('ready\n'));
}

async function hammer(host: string, port: number, seconds: number, parallel: number): Promise<ConnectResult> {
  let connections = 0;
  let failures = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const once = () =>
    new Promise<void>((resolve) => {
      const socket = connect({ host, port });
      socket.setTimeout(1000);
      const done = (ok: boolean) => {
        if (ok) connections++;
        else failures++;
        socket.destroy();
        resolve();
      };
      socket.once('connect', () => done(true));
      socket.once('timeout', () => done(false));
      socket.once('error', () => done(false));
    });
  const loop = async () => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: parallel }, loop));
  return { connections, failures, seconds: (performance.now() - start) / 1000 };
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') serve(Number(args[0]));
else if (mode === 'connect') {
  const [host, port, seconds, parallel] = args;
  process.stdout.write(`${JSON.stringify(await hammer(host!, Number(port), Number(seconds), Number(parallel ?? 8)))}\n`);
} else {
  process.stderr.write('usage: connect-load.ts serve <port> | connect <address> <port> <seconds> <parallel>\n');
  process.exitCode = 2;
}
