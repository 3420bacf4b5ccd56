/**
 * Times `query` and `diff` in-process (the access model's consumers), never asserted:
 * - `diff` of the example fleet against an edited copy (one rule narrowed, one opened), whole pipeline
 *   on both trees included;
 * - `query` on the single-host shape (20k rules by default): the first answer after the policy is
 *   loaded (it builds the host's access model) and then the median of 200 further answers.
 * Usage: npx tsx bench/query-diff.ts [--services 2000] [--no-results]
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { diffAccess } from '../src/diff/index.js';
import { checkPolicies } from '../src/pipeline.js';
import { queryAccess } from '../src/query/index.js';
import { parseQuestion } from '../src/query/parse.js';
import { BENCH_TODAY, machineLine, REPO_ROOT } from './common.js';
import { generateSingleHost, writePolicy } from './single-host-generator.js';
import { replaceSection } from './single-host-report.js';

const MARKERS = { start: '<!-- query-diff:start -->', end: '<!-- query-diff:end -->' };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timeDiff(): Promise<{ ms: number; changes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'benteng-bench-diff-'));
  try {
    await cp(join(REPO_ROOT, 'policies'), dir, { recursive: true });
    const file = join(dir, 'services', 'permit-db.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/ingress:\n/, 'ingress:\n  - from: any\n    ports: [tcp/5432]\n'));
    const runs: number[] = [];
    let changes = 0;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const before = await checkPolicies(join(REPO_ROOT, 'policies'), { today: BENCH_TODAY, lint: false });
      const after = await checkPolicies(dir, { today: BENCH_TODAY, lint: false });
      const diff = diffAccess(before, after);
      runs.push(performance.now() - start);
      changes = diff.hosts.reduce((n, h) => n + h.chains.reduce((m, c) => m + c.changes.length, 0), 0);
    }
    return { ms: median(runs), changes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timeQuery(services: number): Promise<{ rules: number; firstMs: number; nextMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'benteng-bench-query-'));
  try {
    const policy = generateSingleHost({ services, backend: 'nftables', seed: 1 });
    await writePolicy(policy, dir);
    const checked = await checkPolicies(dir, { today: BENCH_TODAY, lint: false });
    if (!checked.model || !checked.access) throw new Error('the generated policy has errors');
    const host = checked.model.hosts[0]!;
    const fleet = { model: checked.model, access: checked.access };
    const ask = (from: string, port: number) => {
      const question = parseQuestion(from, `host:${host.name}`, `tcp/${port}`);
      if (!question.ok) throw new Error(question.reasons.join('; '));
      return queryAccess(fleet, question.value);
    };
    let start = performance.now();
    ask('10.1.2.3', 443);
    const firstMs = performance.now() - start;
    const runs: number[] = [];
    for (let i = 0; i < 200; i++) {
      start = performance.now();
      ask(`10.${i % 250}.${(i * 7) % 250}.${(i * 13) % 250}`, 1 + ((i * 331) % 65535));
      runs.push(performance.now() - start);
    }
    return { rules: host.input.length + host.output.length, firstMs, nextMs: median(runs) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Measures and (unless `results` is undefined) writes the section; returns its text. */
export async function runQueryDiff(services: number, results: string | undefined): Promise<string> {
  const diff = await timeDiff();
  const query = await timeQuery(services);
  const section = [
    MARKERS.start,
    '## Query and diff',
    '',
    `Machine: ${machineLine()}`,
    '',
    'Command: `npx tsx bench/query-diff.ts` (in-process; median of the runs).',
    '',
    '| measure | ms |',
    '|---|---|',
    `| \`diff\` of the example fleet against an edited copy (both pipelines included; ${diff.changes} changes) | ${diff.ms.toFixed(0)} |`,
    `| \`query\` on one host of ${query.rules.toLocaleString('en')} rules: first answer after load (the host's chains are set up; unbuilt classes answer from their terms) | ${query.firstMs.toFixed(0)} |`,
    `| \`query\` on the same host: each further answer | ${query.nextMs.toFixed(2)} |`,
    MARKERS.end,
  ].join('\n');
  if (results) await replaceSection(results, section, MARKERS);
  return section;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const servicesAt = args.indexOf('--services');
  const services = servicesAt === -1 ? 2000 : Number(args[servicesAt + 1]);
  console.log(await runQueryDiff(services, args.includes('--no-results') ? undefined : join(REPO_ROOT, 'bench', 'RESULTS.md')));
}
