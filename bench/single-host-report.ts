/**
 * Markdown for the single-host benchmark: one table per backend, sizes as columns, and growth ratios
 * of the largest size over the 20k and 10k sizes. `replaceSection` puts the section between the
 * `<!-- single-host:start -->` / `<!-- single-host:end -->` markers of a results file (appended when
 * the markers are missing), so re-runs replace it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChildRun } from './child-run.js';
import type { Backend } from './single-host-generator.js';
import type { Measurement } from './single-host-measure.js';

export const SECTION_START = '<!-- single-host:start -->';
export const SECTION_END = '<!-- single-host:end -->';

export interface ReportInput {
  measurements: Measurement[];
  machine: string;
  command: string;
  timeoutS: number;
  quick: boolean;
}

const thousands = (n: number): string => n.toLocaleString('en-US');
const mb = (v: number): string => v.toFixed(0);
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Median (min–max) of the completed runs, or why there is no figure. */
function runsCell(runs: readonly ChildRun[], pick: (r: ChildRun) => number | undefined, format = ms): string {
  const timedOut = runs.find((r) => r.timedOut);
  const values = runs.filter((r) => !r.timedOut && r.exitCode === 0).map(pick).filter((v): v is number => v !== undefined);
  if (values.length === 0) {
    if (timedOut) return `timed out after ${Math.round(timedOut.wallMs / 1000)} s`;
    return runs.length === 0 ? 'not run' : `failed (exit ${runs.at(-1)!.exitCode ?? runs.at(-1)!.signal})`;
  }
  const text = values.length === 1 ? format(values[0]!) : `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
  return timedOut ? `${text}; 1 run timed out` : text;
}

/** `large / small` of a figure; a lower bound when the large size timed out. */
function ratio(small: Measurement | undefined, large: Measurement | undefined, pick: (m: Measurement) => { value?: number; timedOutAt?: number }): string {
  if (!small || !large) return '';
  const a = pick(small).value;
  const b = pick(large);
  if (a === undefined || a === 0) return '';
  if (b.value !== undefined) return (b.value / a).toFixed(1);
  return b.timedOutAt !== undefined ? `> ${(b.timedOutAt / a).toFixed(1)}` : '';
}

const wall = (runs: readonly ChildRun[]) => {
  const done = runs.filter((r) => !r.timedOut && r.exitCode === 0).map((r) => r.wallMs);
  const timedOut = runs.find((r) => r.timedOut);
  return { ...(done.length > 0 ? { value: median(done) } : {}), ...(timedOut ? { timedOutAt: timedOut.wallMs } : {}) };
};

const rss = (runs: readonly ChildRun[]) => {
  const done = runs.filter((r) => !r.timedOut && r.exitCode === 0 && r.maxRssKb !== undefined).map((r) => r.maxRssKb!);
  return done.length > 0 ? { value: median(done) } : {};
};

function backendTable(backend: Backend, rows: readonly Measurement[]): string[] {
  const large = rows.find((m) => m.size.name === '100k');
  const bases = ['20k', '10k'].map((name) => rows.find((m) => m.size.name === name)).filter((m): m is Measurement => m !== undefined && large !== undefined);
  const header = `| | ${rows.map((m) => m.size.name).join(' | ')} |${bases.map((b) => ` 100k/${b.size.name} |`).join('')}`;
  const sep = `|---|${rows.map(() => '---|').join('')}${bases.map(() => '---|').join('')}`;
  const row = (label: string, cell: (m: Measurement) => string, pick?: (m: Measurement) => { value?: number; timedOutAt?: number }) =>
    `| ${label} | ${rows.map(cell).join(' | ')} |${bases.map((b) => ` ${pick ? ratio(b, large, pick) : ''} |`).join('')}`;
  const rules = (m: Measurement) => m.policy.serviceRules + m.policy.defaultRules;
  const lines = [header, sep];
  lines.push(
    row('policy rules (services × 10 + defaults)', (m) => `${thousands(m.policy.services)} × 10 + ${m.policy.defaultRules} = ${thousands(rules(m))}`),
    row('networks (zones, with `exclude`)', (m) => `${m.policy.networks.total} (${m.policy.networks.zones}, ${m.policy.networks.withExclude})`),
    row('services\' rules naming a network / a literal CIDR pair / several peers', (m) => {
      const pct = (n: number) => `${((100 * n) / m.policy.serviceRules).toFixed(0)} %`;
      return `${pct(m.policy.features.namedPeer)} / ${pct(m.policy.features.literalPeer)} / ${pct(m.policy.features.multiplePeers)}`;
    }),
    row('policy files (size)', (m) => `${thousands(m.policy.files)} (${(m.policy.bytes / 1e6).toFixed(1)} MB)`),
  );
  if (rows.some((m) => m.lint)) {
    // Exit 1 is a finished lint that found errors.
    const lint = (m: Measurement) => (m.lint ? [{ ...m.lint.run, exitCode: m.lint.run.exitCode === 1 ? 0 : m.lint.run.exitCode }] : []);
    lines.push(
      row('`benteng lint` wall (ms)', (m) => (m.lint ? runsCell(lint(m), (r) => r.wallMs) : 'not run'), (m) => wall(lint(m))),
      row('`benteng lint` peak RSS (MB)', (m) => (m.lint ? runsCell(lint(m), (r) => r.maxRssKb && r.maxRssKb / 1024, mb) : 'not run')),
      row('lint error / warning / info', (m) => (m.lint?.counts ? `${m.lint.counts.error} / ${thousands(m.lint.counts.warning)} / ${thousands(m.lint.counts.info)}` : 'n/a')),
    );
  }
  lines.push(
    row('**`benteng build` wall (ms)**', (m) => `**${runsCell(m.builds, (r) => r.wallMs)}**`, (m) => wall(m.builds)),
    row('`benteng build` peak RSS (MB)', (m) => runsCell(m.builds, (r) => r.maxRssKb && r.maxRssKb / 1024, mb), (m) => rss(m.builds)),
    row('output (size, lines)', (m) => (m.output ? `${(m.output.bytes / 1e6).toFixed(1)} MB, ${thousands(m.output.lines)} lines` : 'n/a')),
  );
  const per = (n: number, m: Measurement) => (n / rules(m)).toFixed(2);
  if (backend === 'nftables') {
    lines.push(
      row('verdict-map elements (maps)', (m) => (m.output?.nft ? `${thousands(m.output.nft.vmapElements)} (${m.output.nft.vmaps.length})` : 'n/a'), (m) => ({ ...(m.output?.nft ? { value: m.output.nft.vmapElements } : {}) })),
      row('**elements per policy rule**', (m) => (m.output?.nft ? `**${per(m.output.nft.vmapElements, m)}**` : 'n/a')),
      row('largest map (elements)', (m) => {
        const top = m.output?.nft?.vmaps.reduce((a, b) => (b.elements > a.elements ? b : a), { name: '-', elements: 0 });
        return top ? `${top.name} (${thousands(top.elements)})` : 'n/a';
      }),
      row('chain rules / other set elements', (m) => (m.output?.nft ? `${m.output.nft.chainRules} / ${m.output.nft.setElements}` : 'n/a')),
    );
  } else {
    lines.push(
      row('iptables rules, v4 + v6 (chains)', (m) => (m.output?.iptables ? `${thousands(m.output.iptables.rules)} (${m.output.iptables.chains})` : 'n/a'), (m) => ({ ...(m.output?.iptables ? { value: m.output.iptables.rules } : {}) })),
      row('**iptables rules per policy rule**', (m) => (m.output?.iptables ? `**${per(m.output.iptables.rules, m)}**` : 'n/a')),
    );
  }
  lines.push(row(`kernel load (${backend === 'nftables' ? '`nft -f`' : '`iptables-restore` + `ip6tables-restore`'}, ms)`, kernelCell));
  return lines;
}

function kernelCell(m: Measurement): string {
  if (!m.kernel) return 'not loaded';
  if ('skipped' in m.kernel) return `skipped: ${m.kernel.skipped}`;
  const runs = m.kernel.map((k) => k.run);
  const bad = runs.find((r) => r.timedOut || r.exitCode !== 0);
  if (bad) return bad.timedOut ? `timed out after ${Math.round(bad.wallMs / 1000)} s` : `failed (exit ${bad.exitCode ?? bad.signal}): ${bad.stderr.trim().split('\n')[0]?.slice(0, 120) ?? ''}`;
  return runs.map((r) => ms(r.wallMs)).join(' + ');
}

/**
 * The access-model issue's targets for these shapes, each with the measured figure and whether it is
 * met ("not measured" when the size did not run): reported, never asserted.
 */
function targetsTable(rows: readonly Measurement[]): string[] {
  const at = (name: string) => rows.find((m) => m.size.name === name && m.backend === 'nftables');
  const buildMs = (name: string) => wall(at(name)?.builds ?? []).value;
  const buildRss = (name: string) => rss(at(name)?.builds ?? []).value;
  const elements = rows.filter((m) => m.output?.nft).map((m) => m.output!.nft!.vmapElements / (m.policy.serviceRules + m.policy.defaultRules));
  const kernel = at('20k')?.kernel;
  const kernelMs = Array.isArray(kernel) && kernel.every((k) => !k.run.timedOut && k.run.exitCode === 0) ? kernel.reduce((n, k) => n + k.run.wallMs, 0) : undefined;
  const b10 = buildMs('10k');
  const b100 = buildMs('100k');
  const line = (target: string, value: number | undefined, shown: (v: number) => string, met: (v: number) => boolean) =>
    `| ${target} | ${value === undefined ? 'not measured' : shown(value)} | ${value === undefined ? '' : met(value) ? 'yes' : '**no**'} |`;
  return [
    '### Targets (access-model issue), nftables',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    line('20,000 rules: `benteng build` (lint included) under 2 s', buildMs('20k'), (v) => `${ms(v)} ms`, (v) => v < 2000),
    line('20,000 rules: peak RSS under 400 MB', buildRss('20k'), (v) => `${mb(v / 1024)} MB`, (v) => v / 1024 < 400),
    line('100,000 rules: `benteng build` under 10 s', b100, (v) => `${ms(v)} ms`, (v) => v < 10_000),
    line('10k → 100k build time ratio under 15', b10 !== undefined && b100 !== undefined ? b100 / b10 : undefined, (v) => v.toFixed(1), (v) => v < 15),
    line('at most 4 map elements per policy rule', elements.length > 0 ? Math.max(...elements) : undefined, (v) => `${v.toFixed(2)} (largest over the sizes)`, (v) => v <= 4),
    line('`nft -f` of the 20,000-rule host under 2 s', kernelMs, (v) => `${ms(v)} ms`, (v) => v < 2000),
    '',
    'Where the time goes: the stage-by-stage table below (`bench/single-host-stages.ts`, same shapes, in-process).',
    '',
  ];
}

export function renderSection(input: ReportInput): string {
  const lines = [SECTION_START, '## Single host', ''];
  lines.push(`Machine: ${input.machine}`, '', `Command: \`${input.command}\``, '');
  if (input.quick) lines.push('Quick mode (2,000 rules only, short timeout): a smoke test of the benchmark, not figures to quote.', '');
  lines.push(
    'One dual-stack host (`bench/single-host-generator.ts`, seeded): N services × 10 rules, every service on the host. Client networks overlap heavily (random prefixes in the same private and documentation blocks, IPv6 mirroring IPv4), zones nest zones and some subtract CIDRs, `campus` excludes `guest-wifi`. Per service: a `drop` first, four specific tcp rules and a udp rule from networks, literal CIDR pairs or several peers (ports from common ones and 1–65535), a `tcp/1024-65535` + `udp/1024-65535` rule among them, ICMP echo, two egress rules.',
    '',
    `\`benteng lint\` and \`benteng build\` are the compiled CLI as child processes (cold start; peak RSS from GNU time); every run, kernel loads included, is killed after ${input.timeoutS} s. Elements per policy rule: verdict-map elements in the \`.nft\` file over the policy's rules. Ratio columns: the 100k figure over the 20k one (linear ≈ 5) and over the 10k one (linear ≈ 10); "> x" when 100k timed out. The kernel load is one run in a fresh network namespace.`,
    '',
  );
  const backends = [...new Set(input.measurements.map((m) => m.backend))];
  for (const backend of backends) {
    if (backends.length > 1) lines.push(`### ${backend}`, '');
    lines.push(...backendTable(backend, input.measurements.filter((m) => m.backend === backend)), '');
  }
  if (!input.quick && backends.includes('nftables')) lines.push(...targetsTable(input.measurements));
  lines.push(SECTION_END);
  return lines.join('\n');
}

/** Replaces the section between `markers` in `file`, or appends it (creating the file when needed). */
export async function replaceSection(file: string, section: string, markers: { start: string; end: string } = { start: SECTION_START, end: SECTION_END }): Promise<void> {
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end, start);
  const next =
    start !== -1 && end !== -1
      ? `${text.slice(0, start)}${section}${text.slice(end + markers.end.length)}`
      : `${text}${text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n'}${section}\n`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, next);
}
