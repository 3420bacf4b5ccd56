/**
 * Worker thread entry of `parse-workers.ts`: parses the files it is sent and posts back their data,
 * diagnostics and position indexes (the indexes' arrays transferred, not copied).
 */
import { parentPort } from 'node:worker_threads';
import { parseIndexed } from './parse-file.js';

parentPort!.on('message', (files: Array<{ file: string; text: string }>) => {
  const results = files.map(({ file, text }) => parseIndexed(file, text).result);
  const transfer = results.flatMap((r) => (r.index ? [r.index.nodes.buffer, r.index.lineStarts.buffer] : []));
  parentPort!.postMessage(results, transfer as ArrayBuffer[]);
});
