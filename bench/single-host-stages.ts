/**
 * The single-host shapes stage by stage, in-process: load, validate, resolve, access, lint, emit
 * (both backends), with the 100k/10k ratio per stage (linear ≈ 10). Never asserted; written to
 * bench/RESULTS.md between its own markers. Usage: npx tsx bench/single-host-stages.ts [--sizes 10k,100k]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_TODAY, machineLine, REPO_ROOT } from './common.js';
import { SINGLE_HOST_SIZES, generateSingleHost, writePolicy } from './single-host-generator.js';
import { replaceSection } from './single-host-report.js';
import { freshState, pipelineStages } from './stages.js';

const MARKERS = { start: '<!-- single-host-stages:start -->', end: '<!-- single-host-stages:end -->' };
type Size = keyof typeof SINGLE_HOST_SIZES;

async function timeStages(size: Size): Promise<Map<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'benteng-bench-stages-'));
  try {
    await writePolicy(generateSingleHost({ services: SINGLE_HOST_SIZES[size], backend: 'nftables' }), dir);
    const state = freshState(dir, BENCH_TODAY);
    const times = new Map<string, number>();
    for (const stage of pipelineStages()) {
      const start = performance.now();
      await stage.run(state);
      times.set(stage.name, performance.now() - start);
    }
    return times;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runSingleHostStages(sizes: readonly Size[], results: string | undefined): Promise<string> {
  const measured = new Map<Size, Map<string, number>>();
  for (const size of sizes) {
    process.stderr.write(`single-host stages: ${size}…\n`);
    measured.set(size, await timeStages(size));
  }
  const names = [...(measured.get(sizes[0]!)?.keys() ?? [])];
  const ratio = sizes.includes('10k') && sizes.includes('100k');
  const header = `| stage | ${sizes.join(' | ')} |${ratio ? ' 100k/10k |' : ''}`;
  const rows = [...names, 'total'].map((name) => {
    const at = (size: Size) => (name === 'total' ? [...measured.get(size)!.values()].reduce((a, b) => a + b, 0) : measured.get(size)!.get(name)!);
    const cells = sizes.map((size) => at(size).toFixed(0));
    const r = ratio ? ` ${(at('100k') / at('10k')).toFixed(1)} |` : '';
    return `| ${name} | ${cells.join(' | ')} |${r}`;
  });
  const section = [
    MARKERS.start,
    '### Single host, stage by stage (in-process)',
    '',
    `Machine: ${machineLine()}`,
    '',
    `Command: \`npx tsx bench/single-host-stages.ts --sizes ${sizes.join(',')}\`. Milliseconds, one run each, warm process (the stages of \`benteng build\` without start-up, printing and writing).`,
    '',
    header,
    `|---|${sizes.map(() => '---|').join('')}${ratio ? '---|' : ''}`,
    ...rows,
    MARKERS.end,
  ].join('\n');
  if (results) await replaceSection(results, section, MARKERS);
  return section;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--sizes');
  const sizes = (at === -1 ? '10k,100k' : args[at + 1]!).split(',') as Size[];
  for (const s of sizes) if (!(s in SINGLE_HOST_SIZES)) throw new Error(`unknown size ${s} (known: ${Object.keys(SINGLE_HOST_SIZES).join(', ')})`);
  console.log(await runSingleHostStages(sizes, args.includes('--no-results') ? undefined : join(REPO_ROOT, 'bench', 'RESULTS.md')));
}
