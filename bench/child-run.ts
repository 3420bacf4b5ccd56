/**
 * Runs one command as a child process with a hard timeout, measuring wall time and (for Node commands)
 * peak RSS. Peak RSS comes from GNU time (`/usr/bin/time -f %M -o FILE`) when it works here, otherwise
 * from a small Node wrapper that runs the script in-process and prints `process.resourceUsage().maxRSS`.
 * The child gets its own process group, so a timeout kills it and everything it started (GNU time
 * would not pass SIGTERM on); `killActiveChildren` does the same on Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ChildRun {
  wallMs: number;
  /** Peak resident set size in kilobytes, when measured. */
  maxRssKb?: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last few kilobytes of stderr. */
  stderr: string;
}

export interface ChildOptions {
  timeoutMs: number;
  /** Measure peak RSS; `argv[0]` must then be `process.execPath` when GNU time is missing. */
  rss?: boolean;
  /** Write stdout to this file; discarded otherwise. */
  stdoutFile?: string;
}

const STDERR_TAIL = 4096;
/** Running children: process group id → their GNU time output file. */
const active = new Map<number, string>();
let rssFiles = 0;

let gnuTimeWorks: boolean | undefined;
/** Whether `/usr/bin/time -f %M` is GNU time and runs here (BusyBox and BSD time lack `-f`/`-o`). */
export function hasGnuTime(): boolean {
  gnuTimeWorks ??= existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0;
  return gnuTimeWorks;
}

/** Without GNU time: runs the script (argv[1]) in this process and prints its `maxRSS` (kilobytes) on exit. */
const RSS_WRAPPER = `import { pathToFileURL } from 'node:url';
process.on('exit', () => process.stderr.write('\\nbench-max-rss-kb ' + process.resourceUsage().maxRSS + '\\n'));
await import(pathToFileURL(process.argv[1]).href);`;

export async function runChild(argv: readonly string[], options: ChildOptions): Promise<ChildRun> {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${rssFiles++}`);
  let command = [...argv];
  if (options.rss && hasGnuTime()) command = ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...argv];
  else if (options.rss) {
    if (argv[0] !== process.execPath) throw new Error('peak RSS without GNU time needs a Node command');
    command = [process.execPath, '--input-type=module', '-e', RSS_WRAPPER, '--', ...argv.slice(1)];
  }
  const stdoutFd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore';
  const start = performance.now();
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', stdoutFd, 'pipe'], detached: true });
  if (typeof stdoutFd === 'number') closeSync(stdoutFd);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  let timedOut = false;
  if (child.pid !== undefined) active.set(child.pid, rssFile);
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, options.timeoutMs);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve([code, sig]));
  }).finally(() => {
    clearTimeout(timer);
    if (child.pid !== undefined) active.delete(child.pid);
  });
  const wallMs = performance.now() - start;

  let maxRssKb: number | undefined;
  if (options.rss && hasGnuTime()) {
    const text = await readFile(rssFile, 'utf8').catch(() => '');
    const match = /(\d+)\s*$/.exec(text.trim());
    if (match && !timedOut) maxRssKb = Number(match[1]);
    await rm(rssFile, { force: true });
  } else if (options.rss) {
    const match = /bench-max-rss-kb (\d+)/.exec(stderr);
    if (match) maxRssKb = Number(match[1]);
    stderr = stderr.replace(/\n?bench-max-rss-kb \d+\n/, '');
  }
  return { wallMs, ...(maxRssKb !== undefined ? { maxRssKb } : {}), exitCode, signal, timedOut, stderr };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kills every child still running (their whole process groups): for interrupt handlers. */
export function killActiveChildren(): void {
  for (const [pid, rssFile] of active) {
    killGroup(pid);
    rmSync(rssFile, { force: true });
  }
  active.clear();
}
