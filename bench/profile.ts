/**
 * Profiles one pipeline stage on a generated fleet and prints where its time goes, by function and
 * file:line of the compiled `dist/` (run `npm run bench` once first so the fleet exists; `dist/` must be
 * current). Writes the V8 CPU profile to bench/out/<size>-<stage>.cpuprofile for Chrome DevTools.
 *
 *   npx tsx bench/profile.ts --size 100k --stage lint [--top 25]
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Profiler } from 'node:inspector';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAGES = ['load', 'validate', 'resolve', 'lint', 'emit-nftables', 'emit-iptables'] as const;
type StageName = (typeof STAGES)[number];

const dist = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(REPO_ROOT, 'dist', path)).href)) as T;

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

interface FunctionCost {
  name: string;
  self: number;
  total: number;
}

/** Self and inclusive samples per function (recursive frames counted once per stack). */
function costs(profile: Profiler.Profile): { byFunction: FunctionCost[]; samples: number } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: Profiler.ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*?\/(dist|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const table = new Map<string, FunctionCost>();
  const entry = (name: string) => table.get(name) ?? table.set(name, { name, self: 0, total: 0 }).get(name)!;
  let samples = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    samples += hits;
    entry(label(n)).self += hits;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const name = label(nodes.get(id)!);
      if (seen.has(name)) continue;
      seen.add(name);
      entry(name).total += hits;
    }
  }
  return { byFunction: [...table.values()], samples };
}

async function main(): Promise<void> {
  const size = argument('size', '100k');
  const stage = argument('stage', 'lint') as StageName;
  const top = Number(argument('top', '25'));
  if (!STAGES.includes(stage)) throw new Error(`--stage must be one of ${STAGES.join(', ')}`);
  const dir = join(REPO_ROOT, 'bench', 'out', size, 'policies');

  const { loadPolicies } = await dist<typeof import('../src/load/index.js')>('load/index.js');
  const { validatePolicies } = await dist<typeof import('../src/validate/index.js')>('validate/index.js');
  const { resolvePolicy } = await dist<typeof import('../src/resolve/index.js')>('resolve/index.js');
  const { lintPolicy } = await dist<typeof import('../src/lint/index.js')>('lint/index.js');
  const { emitHost } = await dist<typeof import('../src/emit/index.js')>('emit/index.js');

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  const profiled = async <T>(name: StageName, work: () => Promise<T> | T): Promise<T> => {
    if (name !== stage) return work();
    await session.post('Profiler.start');
    const start = performance.now();
    const value = await work();
    const ms = performance.now() - start;
    const { profile } = await session.post('Profiler.stop');
    const file = join(REPO_ROOT, 'bench', 'out', `${size}-${stage}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    const { byFunction, samples } = costs(profile);
    const pct = (n: number) => `${((100 * n) / samples).toFixed(1).padStart(5)}%`;
    process.stdout.write(`${stage} on ${size}: ${ms.toFixed(0)} ms; profile in ${file}\n\nself time:\n`);
    for (const f of [...byFunction].sort((a, b) => b.self - a.self).slice(0, top)) process.stdout.write(`${pct(f.self)}  ${f.name}\n`);
    process.stdout.write('\ninclusive time (benteng functions):\n');
    for (const f of byFunction.filter((f) => f.name.includes(' dist/')).sort((a, b) => b.total - a.total).slice(0, top)) process.stdout.write(`${pct(f.total)}  ${f.name}\n`);
    return value;
  };

  const loaded = await profiled('load', () => loadPolicies(dir));
  const { policy } = stage === 'load' ? { policy: undefined } : await profiled('validate', () => validatePolicies(loaded));
  if (policy && STAGES.indexOf(stage) >= STAGES.indexOf('resolve')) {
    const { model } = await profiled('resolve', () => resolvePolicy(policy, { today: '2026-11-22' }));
    const sources = new Map(loaded.documents.map((d) => [d.source.file, d.source.text]));
    if (stage === 'lint') await profiled('lint', () => lintPolicy({ policy, model, sources }));
    if (stage === 'emit-nftables') await profiled('emit-nftables', () => model.hosts.map((h) => emitHost(h, model.baseline, ['nftables'])));
    if (stage === 'emit-iptables') await profiled('emit-iptables', () => model.hosts.map((h) => emitHost(h, model.baseline, ['iptables'])));
  }
  session.disconnect();
}

await main();
