/**
 * Parses many policy files with `yaml` on worker threads, one per core (at most `MAX_WORKERS`), each
 * given a contiguous share of the files balanced by size. Results come back in file order. Only the
 * files that the fast parser (`fast-yaml.ts`) declines come here: it parses plain policy YAML more than
 * ten times faster on the main thread than `yaml` does on the workers, so a fleet of such files starts
 * no worker at all. Workers are used only when many files are declined (`WORKER_MIN_FILES`): a worker
 * costs a thread and a module load, a few files parse faster on the main thread. Only the compiled code
 * (`dist/`) starts workers: a worker does not inherit the TypeScript loaders of `tsx` or a test runner,
 * so from the sources (`src/`) parsing stays here.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IndexedParse } from './parse-file.js';

/** Below this many files for `yaml` to parse (declined by the fast parser), workers do not pay for their start-up. */
export const WORKER_MIN_FILES = 2000;
const MAX_WORKERS = 8;

function workerUrl(): URL | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  const url = new URL('./parse-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/** How many workers to use for `files` files: one per core, none for small fleets or one core. */
export function workerCount(files: number): number {
  if (files < WORKER_MIN_FILES) return 0;
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(cores, MAX_WORKERS);
}

export async function parseOnWorkers(files: ReadonlyArray<{ file: string; text: string }>, workers: number): Promise<IndexedParse[] | undefined> {
  const url = workerUrl();
  if (!url || workers < 1) return undefined;
  const total = files.reduce((n, f) => n + f.text.length, 0);
  const shares: Array<Array<{ file: string; text: string }>> = [];
  let share: Array<{ file: string; text: string }> = [];
  let bytes = 0;
  for (const f of files) {
    share.push(f);
    bytes += f.text.length;
    if (bytes >= (total * (shares.length + 1)) / workers && shares.length < workers - 1) {
      shares.push(share);
      share = [];
    }
  }
  shares.push(share);
  const results = await Promise.all(
    shares.map(
      (chunk) =>
        new Promise<IndexedParse[]>((resolve, reject) => {
          const worker = new Worker(url);
          worker.once('message', (parsed: IndexedParse[]) => {
            resolve(parsed);
            void worker.terminate();
          });
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`parse worker exited with code ${code}`)));
          worker.postMessage(chunk);
        }),
    ),
  );
  return results.flat();
}
