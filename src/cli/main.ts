#!/usr/bin/env node
import { readFileSync } from 'node:fs';

// A reader that stops early (`benteng lint | head`) closes the pipe: the rest of the output has nowhere
// to go, which is no error of ours. The command still runs to its end (a deploy is never cut short by
// a closed pager) and exits with its own code; anything else on these streams stays an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // The one answer scripts ask for most: printed before commander, chalk or any command is loaded
  // (as commander's `.version()` prints it; `run.ts` reads the same package.json).
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`${version}\n`);
} else {
  const { processIo } = await import('./io.js');
  const { run } = await import('./run.js');
  process.exitCode = await run(argv, processIo(argv));
}
