/**
 * `npm run bench`: compile-and-lint timings per stage, the whole `benteng build` as a process, output
 * sizes, kernel load times and per-packet cost, on generated fleets of about 1,000, 10,000 and 100,000
 * resolved rules (issue 6). Figures are medians of several runs with min and max. Nothing here asserts a
 * time; `--quick` runs the smallest fleet once over so that the benchmark cannot rot in CI.
 * `benteng build` runs cold (empty build cache, `.benteng-cache/` removed before each run), then warm
 * with nothing changed, then warm after one service file is edited (a different one each run).
 *
 *   npm run bench                       all sizes, writes bench/RESULTS.md
 *   npm run bench -- --quick            1k only, short kernel runs, writes bench/out/RESULTS-quick.md
 *   npm run bench -- --sizes 1k,10k     chosen sizes; also --runs N, --no-kernel, --results FILE
 *
 * Then the single-host shapes (bench/single-host.ts; 2k only with a 60 s timeout under --quick) add
 * their section to the same results file, `query` / `diff` are timed (bench/query-diff.ts), the
 * incident fan-out (`block`/`blocks` on 20 lab servers, 2 under --quick; root only: bench/incident.ts)
 * and, unless
 * --quick, the single-host shapes are timed stage by stage (bench/single-host-stages.ts);
 * `--no-single-host` skips all three.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CACHE_DIR } from '../src/cache/store.js';
import { emitHost } from '../src/emit/index.js';
import { evaluate } from '../src/evaluate/index.js';
import { DEFAULTS_SERVICE } from '../src/resolve/index.js';
import type { FleetModel, HostModel, ResolvedRule } from '../src/model/index.js';
import { formatAddress } from '../src/net/address.js';
import { BENCH_TODAY, ensureCompiled, machineLine, OUT_ROOT, REPO_ROOT } from './common.js';
import { type FleetFeatures, FLEET_SIZES, type FleetSizeName, generateFleet, writeFleet } from './fleet-generator.js';
import { kernelUnavailable, type LoadKind, type LoadTiming, measurePerPacket, Namespaces, PER_PACKET_CONFIGS, type PerPacketConfig, type PerPacketPlan, type PerPacketResult, timeEmptyLoad, timeLoads } from './kernel.js';
import { runIncident } from './incident.js';
import { runQueryDiff } from './query-diff.js';
import { defaultOptions as singleHostDefaults, runSingleHost } from './single-host.js';
import { runSingleHostStages } from './single-host-stages.js';
import { freshState, pipelineStages, resolvedRuleCount, type Stage, type StageState } from './stages.js';

const SIZE_ORDER: readonly FleetSizeName[] = ['1k', '10k', '100k'];

interface Options {
  quick: boolean;
  sizes: FleetSizeName[];
  runs?: number;
  kernel: boolean;
  singleHost: boolean;
  results: string;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { quick: false, sizes: [...SIZE_ORDER], kernel: true, singleHost: true, results: join(REPO_ROOT, 'bench', 'RESULTS.md') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--no-kernel') options.kernel = false;
    else if (arg === '--no-single-host') options.singleHost = false;
    else if (arg === '--sizes') {
      options.sizes = value()
        .split(',')
        .map((s) => {
          if (!(s in FLEET_SIZES)) throw new Error(`unknown size \`${s}\` (known: ${SIZE_ORDER.join(', ')})`);
          return s as FleetSizeName;
        });
    } else if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--results') options.results = value();
    else throw new Error(`unknown option \`${arg}\` (known: --quick, --sizes 1k,10k,100k, --runs N, --no-kernel, --no-single-host, --results FILE)`);
  }
  if (options.quick) {
    options.sizes = ['1k'];
    if (!argv.includes('--results')) options.results = join(OUT_ROOT, 'RESULTS-quick.md');
  }
  options.sizes.sort((a, b) => SIZE_ORDER.indexOf(a) - SIZE_ORDER.indexOf(b));
  return options;
}

// ---------------------------------------------------------------------------------------------------
// Statistics

interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

// ---------------------------------------------------------------------------------------------------
// Measurements per size

interface BuildRun {
  wallMs: number;
  maxRssKb: number;
  exitCode: number;
}

interface SizeResult {
  size: FleetSizeName;
  fleet: { hosts: number; services: number; networks: number; portSets: number; files: number; policyBytes: number; generateMs: number; features: FleetFeatures };
  resolvedRules: number;
  rulesPerHost: { max: number; maxHost: string };
  diagnostics: StageState['counts'];
  lintCodes: Map<string, number>;
  /** `heapMb`: live heap after the stage in the last run (after a full GC), everything before it included. */
  stages: Array<{ name: string; unavailable?: string; ms: number[]; heapMb?: number }>;
  /** `runs`: cold (empty build cache); `unchanged` and `oneService`: warm cache, nothing changed / one service file edited. */
  build: { unavailable?: string; runs: BuildRun[]; unchanged: BuildRun[]; oneService: BuildRun[]; generatedBytes: number; generatedFiles: number; stderr: string };
  output: Record<'nftables' | 'iptables', { bytes: number; lines: number; files: number }>;
  kernel?: Partial<Record<LoadKind, LoadTiming[]>>;
  /** Time to load a trivial ruleset, per host: the process-start floor inside each host's load. */
  emptyLoad?: Partial<Record<LoadKind, number[]>>;
  model?: FleetModel;
  emitted?: StageState['emitted'];
}

function runsFor(size: FleetSizeName, options: Options): number {
  if (options.runs !== undefined) return options.runs;
  if (options.quick) return 2;
  return size === '100k' ? 3 : 5;
}

function buildAvailable(): string | undefined {
  const help = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'build', '--help'], { encoding: 'utf8' });
  return help.status === 0 ? undefined : 'not yet available (`benteng build --help` failed)';
}

/** `node dist/cli/main.js build` as a child process: wall time, and peak RSS from GNU time. */
function runBuildProcess(policies: string, out: string): BuildRun & { stderr: string } {
  const argv = [process.execPath, join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'build', '--policies', policies, '--out', out, '--today', BENCH_TODAY];
  const gnuTime = existsSync('/usr/bin/time');
  const start = performance.now();
  const result = gnuTime
    ? spawnSync('/usr/bin/time', ['-v', ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 })
    : spawnSync(process.execPath, ['--input-type=module', '-e', RSS_WRAPPER, ...argv.slice(1)], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const wallMs = performance.now() - start;
  const rss = gnuTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr) : /bench-max-rss-kb (\d+)/.exec(result.stderr);
  return { wallMs, maxRssKb: Number(rss?.[1] ?? NaN), exitCode: result.status ?? -1, stderr: result.stderr };
}

/** Without GNU time: runs the CLI (argv[1]) in this process and prints its `maxRSS` (kilobytes) on exit. */
const RSS_WRAPPER = `import { pathToFileURL } from 'node:url';
process.on('exit', () => process.stderr.write('bench-max-rss-kb ' + process.resourceUsage().maxRSS + '\\n'));
await import(pathToFileURL(process.argv[1]).href);`;

/** Edits the `n`-th service file (by name): its first single-port tcp rule also allows another port. */
async function editOneService(policies: string, n: number): Promise<void> {
  const dir = join(policies, 'services');
  const names = (await readdir(dir)).sort();
  for (let k = 0; k < names.length; k++) {
    const file = join(dir, names[(n + k) % names.length]!);
    const text = await readFile(file, 'utf8');
    const edited = text.replace(/ports: \[tcp\/(\d+)\]/, (_m, port: string) => `ports: [tcp/${port}, tcp/${(Number(port) % 60000) + 1000}]`);
    if (edited === text) continue;
    await writeFile(file, edited);
    return;
  }
  throw new Error('bench: no service file to edit');
}

async function directorySize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

const lineCount = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

async function measureSize(size: FleetSizeName, options: Options, stages: readonly Stage[]): Promise<SizeResult> {
  const base = join(OUT_ROOT, size);
  const policies = join(base, 'policies');
  let start = performance.now();
  const fleet = generateFleet(FLEET_SIZES[size]);
  await writeFleet(fleet, policies);
  const generateMs = performance.now() - start;
  const policySize = await directorySize(policies);
  process.stdout.write(`\n[${size}] ${fleet.hostCount} hosts, ${fleet.serviceCount} services, ${policySize.files} files (${(policySize.bytes / 1e6).toFixed(1)} MB), generated in ${generateMs.toFixed(0)} ms\n`);

  const runs = runsFor(size, options);
  const timings: SizeResult['stages'] = stages.map((s) => ({ name: s.name, ...(s.unavailable ? { unavailable: s.unavailable } : {}), ms: [] }));
  let state = freshState(policies, BENCH_TODAY);
  for (let r = 0; r < runs; r++) {
    state = freshState(policies, BENCH_TODAY);
    collectGarbage();
    for (const [i, stage] of stages.entries()) {
      if (stage.unavailable) continue;
      start = performance.now();
      await stage.run(state);
      timings[i]!.ms.push(performance.now() - start);
      if (r === runs - 1) {
        collectGarbage();
        timings[i]!.heapMb = process.memoryUsage().heapUsed / 1048576;
      }
    }
    process.stdout.write(`  in-process run ${r + 1}/${runs}: ${timings.map((t) => `${t.name} ${t.ms.at(-1)?.toFixed(0) ?? '-'}`).join(', ')} ms\n`);
  }
  const model = state.model!;

  const buildOut = join(base, 'generated');
  const build: SizeResult['build'] = { runs: [], unchanged: [], oneService: [], generatedBytes: 0, generatedFiles: 0, stderr: '' };
  const unavailable = buildAvailable();
  if (unavailable) build.unavailable = unavailable;
  else {
    const buildOnce = (label: string, into: BuildRun[], r: number) => {
      const { stderr, ...run } = runBuildProcess(policies, buildOut);
      into.push(run);
      if (run.exitCode !== 0) build.stderr = stderr.slice(0, 2000);
      process.stdout.write(`  benteng build ${label} run ${r + 1}/${runs}: ${run.wallMs.toFixed(0)} ms, peak RSS ${(run.maxRssKb / 1024).toFixed(0)} MB, exit ${run.exitCode}\n`);
    };
    for (let r = 0; r < runs; r++) {
      await rm(buildOut, { recursive: true, force: true });
      await rm(join(policies, CACHE_DIR), { recursive: true, force: true });
      buildOnce('cold', build.runs, r);
    }
    if (existsSync(buildOut)) Object.assign(build, Object.fromEntries(Object.entries(await directorySize(buildOut)).map(([k, v]) => [k === 'bytes' ? 'generatedBytes' : 'generatedFiles', v])));
    const warmRuns = options.quick ? 1 : runs;
    for (let r = 0; r < warmRuns; r++) buildOnce('warm, unchanged', build.unchanged, r);
    for (let r = 0; r < warmRuns; r++) {
      await editOneService(policies, r);
      buildOnce('warm, one service edited', build.oneService, r);
    }
  }

  const sizeOf = (...maps: Array<Map<string, string>>) => ({
    bytes: maps.reduce((n, m) => n + [...m.values()].reduce((k, t) => k + Buffer.byteLength(t), 0), 0),
    lines: maps.reduce((n, m) => n + [...m.values()].reduce((k, t) => k + lineCount(t), 0), 0),
    files: maps.reduce((n, m) => n + m.size, 0),
  });
  let maxHost = model.hosts[0]!;
  for (const h of model.hosts) if (h.input.length + h.output.length > maxHost.input.length + maxHost.output.length) maxHost = h;

  return {
    size,
    fleet: { hosts: fleet.hostCount, services: fleet.serviceCount, networks: fleet.networkCount, portSets: fleet.portSetCount, files: policySize.files, policyBytes: policySize.bytes, generateMs, features: fleet.features },
    resolvedRules: resolvedRuleCount(model),
    rulesPerHost: { max: maxHost.input.length + maxHost.output.length, maxHost: maxHost.name },
    diagnostics: state.counts,
    lintCodes: state.lintCodes,
    stages: timings,
    build,
    output: { nftables: sizeOf(state.emitted.nftables), iptables: sizeOf(state.emitted.iptablesV4, state.emitted.iptablesV6) },
    model,
    emitted: state.emitted,
  };
}

async function writeEmitted(size: FleetSizeName, emitted: StageState['emitted']): Promise<Record<LoadKind, Map<string, string>>> {
  const dir = join(OUT_ROOT, size, 'emitted');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files: Record<LoadKind, Map<string, string>> = { nft: new Map(), 'iptables-restore': new Map(), 'ip6tables-restore': new Map() };
  const write = async (kind: LoadKind, texts: Map<string, string>, suffix: string) => {
    for (const [host, text] of texts) {
      const file = join(dir, `${host}${suffix}`);
      await writeFile(file, text);
      files[kind].set(host, file);
    }
  };
  await write('nft', emitted.nftables, '.nft');
  await write('iptables-restore', emitted.iptablesV4, '.rules.v4');
  await write('ip6tables-restore', emitted.iptablesV6, '.rules.v6');
  return files;
}

function kernelRunsFor(size: FleetSizeName, options: Options): number {
  if (options.quick) return 1;
  return size === '100k' ? 2 : 3;
}

// ---------------------------------------------------------------------------------------------------
// Per-packet plan: the host with the most input rules, and a client the ruleset accepts late in its chain

async function planPerPacket(model: FleetModel, files: Record<LoadKind, Map<string, string>>, workDir: string): Promise<PerPacketPlan> {
  const hosts = model.hosts.filter((h) => h.addresses.ipv4.length > 0);
  let host: HostModel = hosts[0]!;
  for (const h of hosts) if (h.input.length > host.input.length) host = h;
  const serverV4 = formatAddress('ipv4', host.addresses.ipv4[0]!.start);
  const candidate = (rule: ResolvedRule): { client: string; port: number } | undefined => {
    if (rule.action !== 'accept' || rule.log) return undefined;
    const tcp = rule.protocols.find((p) => p.protocol === 'tcp');
    const range = rule.peers.ipv4.find((r) => r.end > r.start || r.start !== host.addresses.ipv4[0]!.start);
    if (!tcp || tcp.protocol !== 'tcp' || !range || tcp.ports.length === 0) return undefined;
    const value = range.end - range.start >= 2n ? range.start + 1n : range.start;
    return { client: formatAddress('ipv4', value), port: tcp.ports[0]!.from };
  };
  for (let i = host.input.length - 1; i >= 0; i--) {
    const pick = candidate(host.input[i]!);
    if (!pick || pick.client === serverV4) continue;
    const decision = evaluate(host, model.baseline, { direction: 'ingress', family: 'ipv4', source: pick.client, destination: serverV4, protocol: 'tcp', port: pick.port, state: 'new' });
    if (decision.verdict !== 'accept' || !decision.rule) continue;
    const oneRule: HostModel = { ...host, input: host.input.filter((r) => r.service === DEFAULTS_SERVICE || r === decision.rule), output: host.output.filter((r) => r.service === DEFAULTS_SERVICE) };
    const { ruleset } = emitHost(oneRule, model.baseline, ['nftables', 'iptables']);
    const oneRuleNftFile = join(workDir, `${host.name}-one-rule.nft`);
    const oneRuleIptablesV4File = join(workDir, `${host.name}-one-rule.rules.v4`);
    await writeFile(oneRuleNftFile, ruleset.nft!);
    await writeFile(oneRuleIptablesV4File, ruleset.rulesV4!);
    return {
      host: host.name,
      serverV4,
      clientV4: pick.client,
      port: pick.port,
      nftFile: files.nft.get(host.name)!,
      iptablesV4File: files['iptables-restore'].get(host.name)!,
      oneRuleNftFile,
      oneRuleIptablesV4File,
      decidingRule: decision.rule.id,
      decidingPosition: host.input.indexOf(decision.rule) + 1,
      inputRules: host.input.length,
    };
  }
  throw new Error(`no accepted TCP client found in ${host.name}'s input rules`);
}

// ---------------------------------------------------------------------------------------------------
// Report

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const cell = (s: Summary | undefined, unit = ''): string => (s ? `${ms(s.median)}${unit} (${ms(s.min)}–${ms(s.max)})` : 'n/a');
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB`;
const thousands = (n: number): string => n.toLocaleString('en-US');

interface Report {
  results: SizeResult[];
  perPacket?: { plan: PerPacketPlan; result: PerPacketResult; size: FleetSizeName; seconds: number; parallel: number } | { skipped: string };
  kernelSkipped?: string;
  command: string;
  machine: string;
  quick: boolean;
  /** `benteng --version` as a process: the start-up floor of every CLI run. */
  cliStartMs: Summary | undefined;
}

function scaling(results: readonly SizeResult[], pick: (r: SizeResult) => number | undefined): string {
  const small = results.find((r) => r.size === '10k');
  const large = results.find((r) => r.size === '100k');
  const a = small && pick(small);
  const b = large && pick(large);
  if (a === undefined || b === undefined || a === 0) return '';
  const ratio = b / a;
  return `${ratio.toFixed(1)}${ratio > 15 ? ' ⚠' : ''}`;
}

function renderReport(report: Report): string {
  const { results } = report;
  const header = `| | ${results.map((r) => r.size).join(' | ')} |${results.some((r) => r.size === '100k') && results.some((r) => r.size === '10k') ? ' 100k/10k |' : ''}`;
  const hasRatio = header.endsWith('100k/10k |');
  const sep = `|---|${results.map(() => '---').join('|')}|${hasRatio ? '---|' : ''}`;
  const row = (label: string, values: (r: SizeResult) => string, ratio?: (r: SizeResult) => number | undefined) =>
    `| ${label} | ${results.map(values).join(' | ')} |${hasRatio ? ` ${ratio ? scaling(results, ratio) : ''} |` : ''}`;

  const lines: string[] = [];
  lines.push('# benteng benchmark results', '');
  lines.push(`Machine: ${report.machine}`, '');
  lines.push(`Command: \`${report.command}\``, '');
  lines.push(`CLI start-up floor (\`node dist/cli/main.js --version\`): ${cell(report.cliStartMs)} ms.`, '');
  if (report.quick) lines.push('Quick mode (smallest fleet, few runs): a smoke test of the benchmark, not figures to quote.', '');
  lines.push('Times in milliseconds: median (min–max) of the runs shown. Stages run in-process on the same fleet, in pipeline order; `benteng build` is the compiled CLI as a child process (cold start, writes every file). Ratio column: time at 100k over time at 10k (≈10 is linear; ⚠ above 15).', '');

  lines.push('## Fleets', '');
  lines.push(header.replace(' 100k/10k |', ''), sep.replace(/---\|$/, hasRatio ? '' : '---|'));
  const fleetRow = (label: string, values: (r: SizeResult) => string) => `| ${label} | ${results.map(values).join(' | ')} |`;
  lines.push(
    fleetRow('resolved rules (Σ hosts input+output)', (r) => thousands(r.resolvedRules)),
    fleetRow('hosts / services', (r) => `${r.fleet.hosts} / ${thousands(r.fleet.services)}`),
    fleetRow('networks / port sets', (r) => `${r.fleet.networks} / ${thousands(r.fleet.portSets)}`),
    fleetRow('policy files (size)', (r) => `${thousands(r.fleet.files)} (${mb(r.fleet.policyBytes)})`),
    fleetRow('largest host (rules)', (r) => `${r.rulesPerHost.maxHost} (${thousands(r.rulesPerHost.max)})`),
    fleetRow('diagnostics error / warning / info', (r) => `${r.diagnostics.error} / ${r.diagnostics.warning} / ${r.diagnostics.info}`),
    fleetRow('generated services\' rules as written', (r) => thousands(r.fleet.features.rules)),
  );
  const FEATURES: Array<[keyof FleetFeatures, string]> = [
    ['namedNetworkPeer', 'peer: a named network'],
    ['literalPeer', 'peer: literal CIDRs (v4 + v6 pair)'],
    ['servicePeer', 'peer: `service:`'],
    ['hostPeer', 'peer: `host:`'],
    ['anyPeer', 'peer: `any`'],
    ['multiplePeers', 'several peers'],
    ['namedPortSet', 'ports: a named port set'],
    ['portRange', 'ports: a range'],
    ['udp', 'ports: udp'],
    ['icmp', 'ports: icmp / icmpv6'],
    ['expiring', '`expires` (all in the future)'],
    ['logged', '`log: true`'],
    ['dropOrReject', '`drop` / `reject`'],
  ];
  lines.push(...FEATURES.map(([key, label]) => fleetRow(`… ${label}`, (r) => `${((100 * r.fleet.features[key]) / r.fleet.features.rules).toFixed(1)} %`)), '');

  lines.push('## Compile and lint', '');
  lines.push(header, sep);
  const stageNames = results[0]?.stages.map((s) => s.name) ?? [];
  for (const name of stageNames) {
    const stage = (r: SizeResult) => r.stages.find((s) => s.name === name)!;
    lines.push(
      row(name, (r) => (stage(r).unavailable ? 'not yet available' : cell(summarize(stage(r).ms))), (r) => summarize(stage(r).ms)?.median),
    );
  }
  const total = (r: SizeResult) => r.stages.reduce((n, s) => n + (summarize(s.ms)?.median ?? 0), 0);
  lines.push(row('**sum of stage medians**', (r) => `**${ms(total(r))}**`, total));
  lines.push(
    row('live heap after each stage, in order (MB)', (r) =>
      r.stages
        .filter((s) => s.heapMb !== undefined)
        .map((s) => s.heapMb!.toFixed(0))
        .join(' → '),
    ),
  );
  const buildCell = (r: SizeResult, pick: (b: BuildRun) => number, unit: string, scale = 1) =>
    r.build.unavailable ? 'not yet available' : cell(summarize(r.build.runs.map((b) => pick(b) / scale)), unit);
  lines.push(
    row('**`benteng build` process, wall** (cold: empty build cache)', (r) => `**${buildCell(r, (b) => b.wallMs, '')}**`, (r) => summarize(r.build.runs.map((b) => b.wallMs))?.median),
    row('`benteng build` peak RSS (MB)', (r) => buildCell(r, (b) => b.maxRssKb, '', 1024), (r) => summarize(r.build.runs.map((b) => b.maxRssKb))?.median),
    row('`benteng build`, warm cache, nothing changed: wall', (r) => (r.build.unavailable ? 'n/a' : cell(summarize(r.build.unchanged.map((b) => b.wallMs))))),
    row('`benteng build`, warm cache, one service file edited: wall', (r) => (r.build.unavailable ? 'n/a' : cell(summarize(r.build.oneService.map((b) => b.wallMs)))), (r) => summarize(r.build.oneService.map((b) => b.wallMs))?.median),
    row('… its peak RSS (MB)', (r) => (r.build.unavailable ? 'n/a' : cell(summarize(r.build.oneService.map((b) => b.maxRssKb / 1024))))),
    row('`benteng build` exit code', (r) => (r.build.unavailable ? 'n/a' : [...new Set([...r.build.runs, ...r.build.unchanged, ...r.build.oneService].map((b) => b.exitCode))].join(', '))),
    row('`generated/` (host\'s own backend)', (r) => (r.build.unavailable ? 'n/a' : `${r.build.generatedFiles} files, ${mb(r.build.generatedBytes)}`)),
    row('nftables output, every host', (r) => `${mb(r.output.nftables.bytes)}, ${thousands(r.output.nftables.lines)} lines`, (r) => r.output.nftables.bytes),
    row('iptables output (v4+v6), every host', (r) => `${mb(r.output.iptables.bytes)}, ${thousands(r.output.iptables.lines)} lines`, (r) => r.output.iptables.bytes),
    '',
  );

  if (results.some((r) => r.kernel)) {
    lines.push('## Kernel load time', '');
    lines.push(
      'Each host\'s file loaded into an empty namespace (flushed between hosts), every host of the fleet for each backend (the in-process emitters\' output, both backends for every host). Milliseconds: sum over hosts, median (min–max) of the runs. Each load includes starting `nft`/`iptables-restore`; the "trivial ruleset" row is that floor for one host. "largest" is the slowest single host.',
      '',
    );
    lines.push(header, sep);
    for (const kind of ['nft', 'iptables-restore', 'ip6tables-restore'] as const) {
      const total = (r: SizeResult) => summarize((r.kernel?.[kind] ?? []).map((t) => t.totalMs));
      const max = (r: SizeResult) => summarize((r.kernel?.[kind] ?? []).map((t) => t.maxMs));
      lines.push(row(`\`${kind === 'nft' ? 'nft -f' : kind}\`, all hosts`, (r) => cell(total(r)), (r) => total(r)?.median));
      const empty = (r: SizeResult) => summarize(r.emptyLoad?.[kind] ?? []);
      lines.push(row(`\`${kind === 'nft' ? 'nft -f' : kind}\`, largest host`, (r) => (max(r) ? `${cell(max(r))} ${r.kernel?.[kind]?.[0]?.maxHost ?? ''}` : 'n/a'), (r) => max(r)?.median));
      lines.push(row(`\`${kind === 'nft' ? 'nft -f' : kind}\`, trivial ruleset (floor per host)`, (r) => cell(empty(r))));
    }
    lines.push('');
  } else if (report.kernelSkipped) lines.push('## Kernel', '', `Skipped: ${report.kernelSkipped}.`, '');

  if (report.perPacket && 'plan' in report.perPacket) {
    const { plan, result, size, seconds, parallel } = report.perPacket;
    lines.push('## Per-packet cost (new TCP connections per second)', '');
    lines.push(
      `Fleet ${size}, host \`${plan.host}\` (${thousands(plan.inputRules)} input rules). Client ${plan.clientV4} → server ${plan.serverV4} tcp/${plan.port}, decided by \`${plan.decidingRule}\`, rule ${plan.decidingPosition} of ${plan.inputRules} in first-match order. ` +
        `Each trial runs the ${PER_PACKET_CONFIGS.length} rulesets in turn (rotating which goes first), ${seconds} s each, ${parallel} connections in flight, every connection new (conntrack state new walks the input chain); same run, same namespaces. Connections per second: median (min–max) of ${result.rates['nftables minimal'].length} trials.`,
      '',
    );
    lines.push(
      '"minimal": a hand-written ruleset accepting the same traffic (input chain only). "one rule": benteng\'s emitter on the same host reduced to the fleet defaults and the deciding rule (same chains, blocklist, output chain and log rules; tiny maps), so generated / one rule is the cost of the host\'s many services alone.',
      '',
      '| ruleset | conn/s | failed connects | ÷ minimal (paired per trial) | ÷ one rule (paired per trial) |',
      '|---|---|---|---|---|',
    );
    for (const config of PER_PACKET_CONFIGS) {
      const rate = summarize(result.rates[config])!;
      const ratio = (base: 'minimal' | 'one rule') => (config.endsWith('minimal') || config.endsWith(base) ? '' : cell2(pairedRatios(result, config, base)));
      lines.push(`| ${config} | ${rate.median.toFixed(0)} (${rate.min.toFixed(0)}–${rate.max.toFixed(0)}) | ${result.failures[config]} | ${ratio('minimal')} | ${ratio('one rule')} |`);
    }
    lines.push(
      '',
      'The load generator is a Node.js client and server on the same 2 cores as the kernel, so a connection costs far more in user space than one ruleset lookup; differences of a few per cent are within the run-to-run noise shown by min–max.',
      '',
    );
  } else if (report.perPacket) lines.push('## Per-packet cost', '', `Skipped: ${report.perPacket.skipped}.`, '');

  const lintCodes = results.at(-1)?.lintCodes;
  if (lintCodes && lintCodes.size > 0) {
    lines.push(`## Lint findings on the ${results.at(-1)!.size} fleet`, '');
    lines.push([...lintCodes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, n]) => `\`${code}\` ${thousands(n)}`).join(', '), '');
  }

  const large = results.find((r) => r.size === '100k');
  if (large) {
    lines.push('## Targets at 100,000 rules', '');
    const wall = summarize(large.build.runs.map((b) => b.wallMs));
    const rss = summarize(large.build.runs.map((b) => b.maxRssKb / 1024));
    const nftLoad = summarize((large.kernel?.nft ?? []).map((t) => t.totalMs));
    const lintReady = !large.stages.find((s) => s.name === 'lint')?.unavailable;
    const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');
    lines.push(`- \`benteng build\` incl. lint < 1.5 s wall: ${wall ? `${ms(wall.median)} ms` : 'n/a'}: ${verdict(wall && lintReady ? wall.median < 1500 : undefined)}${lintReady ? '' : ' (lint not yet in the build)'}`);
    lines.push(`- peak RSS < 500 MB: ${rss ? `${rss.median.toFixed(0)} MB` : 'n/a'}: ${verdict(rss ? rss.median < 500 : undefined)}`);
    const warm = summarize(large.build.oneService.map((b) => b.wallMs));
    lines.push(`- \`benteng build\` < 300 ms after one service file changes (warm cache): ${warm ? `${ms(warm.median)} ms` : 'n/a'}: ${verdict(warm ? warm.median < 300 : undefined)}`);
    const small = results.find((r) => r.size === '10k');
    const coldSmall = small && summarize(small.build.runs.map((b) => b.wallMs));
    if (wall && coldSmall) lines.push(`- 10k → 100k ratio of the whole build < 12: ${(wall.median / coldSmall.median).toFixed(1)}: ${verdict(wall.median / coldSmall.median < 12)}`);
    if (report.perPacket && 'plan' in report.perPacket) {
      const ratio = pairedRatios(report.perPacket.result, 'nftables generated')!;
      const growth = pairedRatios(report.perPacket.result, 'nftables generated', 'one rule')!;
      lines.push(`- nftables per-packet ≥ 0.9 of minimal: ${cell2(ratio)}: ${verdict(ratio.median >= 0.9)} (÷ the same emitter's one-rule ruleset: ${cell2(growth)})`);
    } else lines.push('- nftables per-packet ≥ 0.9 of minimal: not measured');
    const nftMax = summarize((large.kernel?.nft ?? []).map((t) => t.maxMs));
    lines.push(
      `- kernel load of the nftables output < 2 s: ${nftLoad && nftMax ? `${ms(nftLoad.median)} ms for all ${large.fleet.hosts} hosts one after another (largest host ${ms(nftMax.median)} ms)` : 'n/a'}: ${verdict(nftLoad ? nftLoad.median < 2000 : undefined)} for the whole output${nftMax ? `, ${verdict(nftMax.median < 2000)} per host` : ''}`,
    );
    lines.push('');
  }
  return lines.join('\n');
}

/** generated/minimal of each trial: the two ran back to back, so machine drift cancels out. */
function pairedRatios(result: PerPacketResult, config: PerPacketConfig, base: 'minimal' | 'one rule' = 'minimal'): Summary | undefined {
  const baseline = result.rates[`${config.startsWith('nftables') ? 'nftables' : 'iptables'} ${base}`];
  return summarize(result.rates[config].map((rate, i) => rate / baseline[i]!));
}

const cell2 = (s: Summary | undefined): string => (s ? `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : 'n/a');

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await ensureCompiled();
  const stages = pipelineStages();
  for (const stage of stages.filter((s) => s.unavailable)) process.stdout.write(`bench: stage ${stage.name}: ${stage.unavailable}\n`);
  const kernelSkipped = options.kernel ? kernelUnavailable() : 'run with --no-kernel';

  const results: SizeResult[] = [];
  const namespaces = new Namespaces();
  let perPacket: Report['perPacket'];
  try {
    for (const size of options.sizes) {
      const result = await measureSize(size, options, stages);
      results.push(result);
      if (kernelSkipped) continue;
      const files = await writeEmitted(size, result.emitted!);
      result.kernel = {};
      result.emptyLoad = {};
      for (const kind of ['nft', 'iptables-restore', 'ip6tables-restore'] as const) result.emptyLoad[kind] = await timeEmptyLoad(namespaces, kind, join(OUT_ROOT, size));
      for (let r = 0; r < kernelRunsFor(size, options); r++) {
        for (const kind of ['nft', 'iptables-restore', 'ip6tables-restore'] as const) {
          const timing = timeLoads(namespaces, kind, files[kind]);
          (result.kernel[kind] ??= []).push(timing);
          process.stdout.write(`  kernel load ${kind}: ${timing.totalMs.toFixed(0)} ms for ${timing.files} hosts (largest ${timing.maxHost} ${timing.maxMs.toFixed(0)} ms)\n`);
        }
      }
      if (size === options.sizes.at(-1)) {
        const plan = await planPerPacket(result.model!, files, join(OUT_ROOT, size));
        const seconds = options.quick ? 1 : 1.5;
        const parallel = 8;
        process.stdout.write(`  per-packet: ${plan.host}, ${plan.clientV4} → ${plan.serverV4}:${plan.port} (rule ${plan.decidingPosition}/${plan.inputRules})\n`);
        const measured = await measurePerPacket(namespaces, plan, { trials: options.quick ? 1 : 10, seconds, parallel, workDir: join(OUT_ROOT, size), repoRoot: REPO_ROOT });
        perPacket = { plan, result: measured, size, seconds, parallel };
        for (const config of PER_PACKET_CONFIGS) process.stdout.write(`    ${config}: ${measured.rates[config].map((r) => r.toFixed(0)).join(', ')} conn/s, ${measured.failures[config]} failed\n`);
      }
      delete result.model;
      delete result.emitted;
    }
  } finally {
    namespaces.removeAll();
  }
  if (kernelSkipped) perPacket = { skipped: kernelSkipped };

  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const cliStartMs = summarize(
    Array.from({ length: 5 }, () => {
      const start = performance.now();
      spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), '--version']);
      return performance.now() - start;
    }),
  );
  const report = renderReport({ results, perPacket, kernelSkipped, command, machine: machineLine(), quick: options.quick, cliStartMs });
  await mkdir(dirname(options.results), { recursive: true });
  await writeFile(options.results, `${report}\n`);
  process.stdout.write(`\n${report}\nbench: wrote ${relative(process.cwd(), options.results)}\n`);

  let singleHostFailed = false;
  if (options.singleHost) {
    const singleHost = { ...singleHostDefaults(options.quick), results: options.results, command };
    if (!options.kernel) singleHost.kernelSizes = [];
    singleHostFailed = (await runSingleHost(singleHost)).failed;
    if (singleHostFailed) process.stderr.write('bench: a single-host build or kernel load failed, or its policy has lint errors\n');
    process.stdout.write(`${await runQueryDiff(options.quick ? 200 : 2000, options.results)}\n`);
    if (options.kernel && process.getuid?.() === 0) process.stdout.write(`${await runIncident(options.quick ? 2 : 20, options.quick ? 1 : 3, options.results)}\n`);
    if (!options.quick) process.stdout.write(`${await runSingleHostStages(['2k', '10k', '20k', '100k'], options.results)}\n`);
  }

  const failed = results.filter((r) => [...r.build.runs, ...r.build.unchanged, ...r.build.oneService].some((b) => b.exitCode !== 0));
  for (const r of failed) process.stderr.write(`bench: \`benteng build\` failed on the ${r.size} fleet:\n${r.build.stderr}\n`);
  const broken = results.filter((r) => r.diagnostics.error > 0);
  for (const r of broken) process.stderr.write(`bench: the generated ${r.size} fleet has ${r.diagnostics.error} error diagnostics\n`);
  const blocked = perPacket && 'result' in perPacket && PER_PACKET_CONFIGS.some((c) => perPacket.result.rates[c].some((rate) => rate === 0));
  if (blocked) process.stderr.write('bench: a ruleset accepted no connection from a client the model accepts\n');
  if (failed.length > 0 || broken.length > 0 || blocked || singleHostFailed) process.exitCode = 1;
}

await main();
