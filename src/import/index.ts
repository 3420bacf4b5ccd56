/**
 * `benteng import`: a live ruleset (iptables-save, ip6tables-save, `nft -j list ruleset`) → a
 * policies directory benteng accepts as is, a report of everything it could not express, and the
 * proof that the two decide the same.
 *
 *   text ─parse─▶ ImportedRuleset (chain graph, lines kept)          iptables-save.ts, nft-json.ts
 *        ─flatten─▶ per family and hook, a first-match list of boxes  flatten.ts, rule-box.ts, space.ts
 *        ─baseline─▶ established / loopback / icmp, and differences   baseline.ts
 *        ─translate─▶ draft rules, both families merged               translate.ts
 *        ─write─▶ hosts, defaults, networks, ports, services (YAML)   policy-files.ts
 *        ─check─▶ validate, resolve, lint in memory                    policy-check.ts
 *        ─prove─▶ source evaluator vs benteng's evaluator             evaluate-source.ts, equivalence.ts
 *
 * Pure: nothing here reads or writes files or talks to servers (the CLI and `src/deploy` do).
 * The design and its limits are in docs/import.md.
 */
import { parseAddress } from '../net/address.js';
import type { FleetModel } from '../model/index.js';
import { type BaselineDifference, chooseBaseline, type ImportBaseline } from './baseline.js';
import { compareVerdicts, type EquivalenceOptions, type EquivalenceResult, type Explanations } from './equivalence.js';
import { type FlatList, Flattener, isFilterBase } from './flatten.js';
import { foreignChainOwner, foreignRuleOwner } from './foreign.js';
import { parseIptablesSave } from './iptables-save.js';
import { parseNftJson } from './nft-json.js';
import { checkPolicyFiles } from './policy-check.js';
import { type HostOptions, writePolicyFiles } from './policy-files.js';
import type { HostSide } from './rule-box.js';
import type { ImportedChain, ImportedRuleset, ImportFamily, SourceLocation } from './ruleset.js';
import { type DraftRule, mergeFamilies, type TranslationProblem, translateList } from './translate.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { evaluateSource } from './evaluate-source.js';
import { boxContains } from './space.js';

export type { ImportedRuleset, ImportFamily } from './ruleset.js';
export type { EquivalenceResult } from './equivalence.js';
export { parseIptablesSave } from './iptables-save.js';
export { parseNftJson } from './nft-json.js';

/** One line of the import report. */
export interface ImportReportEntry {
  /**
   * `not-imported`: the rule is left out (benteng cannot express it); `approximated`: imported, but
   * benteng decides some packets differently (said which); `left-out`: another program's rules, on
   * purpose; `note`: for information (logging rules, suppressed lint findings).
   */
  kind: 'not-imported' | 'approximated' | 'left-out' | 'note';
  location?: SourceLocation;
  /** The rule as written in the source, or what the entry is about. */
  text: string;
  reason: string;
}

export interface ImportOptions {
  /** Host name in hosts.yaml (default `imported-host`). */
  host?: string;
  /** The host's addresses; guessed from the rules (single addresses matched as the host's side) when absent. */
  addresses?: string[];
  backend?: 'nftables' | 'iptables';
  ssh?: { address: string; port: number; user: string; hostKey?: string };
  /** Directory the files will be written to, for diagnostics (default `policies`). */
  dir?: string;
  equivalence?: EquivalenceOptions;
}

export interface ImportResult {
  /** Policy files to write, path relative to the out directory → YAML text, sorted by path. */
  files: Map<string, string>;
  report: ImportReportEntry[];
  equivalence: EquivalenceResult;
  baseline: ImportBaseline;
  services: string[];
  /** Rules written in the services. */
  rulesImported: number;
  /** Diagnostics of the imported policy (warnings and infos; errors mean a bug in the import). */
  diagnostics: Diagnostic[];
  host: HostOptions;
}

/** Reads one source text: JSON (`nft -j list ruleset`) or iptables-save text. */
export function readRulesetText(text: string, file: string): ImportedRuleset {
  return /^\s*\{/.test(text) ? parseNftJson(text, file) : parseIptablesSave(text, file);
}

/** Joins rulesets read from several files (iptables-save and ip6tables-save of one host). */
export function mergeRulesets(...rulesets: ImportedRuleset[]): ImportedRuleset {
  const skipped = rulesets.flatMap((r) => r.skipped ?? []);
  return {
    format: rulesets[0]?.format ?? 'iptables-save',
    sources: rulesets.flatMap((r) => r.sources),
    chains: rulesets.flatMap((r) => r.chains),
    errors: rulesets.flatMap((r) => r.errors),
    ...(skipped.length > 0 ? { skipped } : {}),
  };
}

/** Families the source filters (has any chain of). */
function familiesOf(ruleset: ImportedRuleset): ImportFamily[] {
  return (['ipv4', 'ipv6'] as const).filter((f) => ruleset.chains.some((c) => c.family === f));
}

const PLACEHOLDER: Record<ImportFamily, string> = { ipv4: '192.0.2.1', ipv6: '2001:db8::1' };

/** The host's addresses: given, or the single addresses the input rules match as destination (output: source). */
export function guessAddresses(ruleset: ImportedRuleset): Record<ImportFamily, string[]> {
  const counts = new Map<string, { family: ImportFamily; n: number }>();
  for (const chain of ruleset.chains) {
    if (!isFilterBase(chain, chain.family, 'input') && !isFilterBase(chain, chain.family, 'output') && chain.hook !== undefined) continue;
    for (const rule of chain.rules) {
      const match = chain.hook === 'output' ? rule.source : rule.destination;
      if (!match || match.negated) continue;
      for (const cidr of match.cidrs) {
        const [address, prefix] = cidr.split('/');
        if (prefix !== undefined && prefix !== (rule.family === 'ipv4' ? '32' : '128')) continue;
        const parsed = parseAddress(address!);
        if (!parsed.ok || (rule.family === 'ipv4' && address!.startsWith('127.')) || address === '::1') continue;
        counts.set(address!, { family: rule.family, n: (counts.get(address!)?.n ?? 0) + 1 });
      }
    }
  }
  const out: Record<ImportFamily, string[]> = { ipv4: [], ipv6: [] };
  for (const [address, { family }] of [...counts].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1))) out[family].push(address);
  return out;
}

function hostSide(addresses: string[]): HostSide {
  const side: HostSide = { addresses: { ipv4: [], ipv6: [] } };
  for (const text of addresses) {
    const parsed = parseAddress(text);
    if (parsed.ok) side.addresses[parsed.value.family].push(parsed.value.value);
  }
  return side;
}

interface Analysis {
  flattener: Flattener;
  lists: FlatList[];
  baseline: ImportBaseline;
  differences: BaselineDifference[];
  drafts: { ingress: DraftRule[]; egress: DraftRule[] };
  problems: Array<TranslationProblem & { family: ImportFamily; hook: 'input' | 'output' }>;
  families: ImportFamily[];
}

function analyze(ruleset: ImportedRuleset, addresses: string[]): Analysis {
  const flattener = new Flattener(ruleset, hostSide(addresses));
  const families = familiesOf(ruleset);
  const lists = families.flatMap((family) => (['input', 'output'] as const).map((hook) => flattener.flatten(family, hook)));
  const { baseline, differences } = chooseBaseline(lists, hostSide(addresses).addresses);
  const problems: Analysis['problems'] = [];
  const drafts: Analysis['drafts'] = { ingress: [], egress: [] };
  for (const hook of ['input', 'output'] as const) {
    const perFamily: Record<ImportFamily, DraftRule[]> = { ipv4: [], ipv6: [] };
    for (const list of lists.filter((l) => l.hook === hook)) {
      const translated = translateList(list, baseline);
      perFamily[list.family] = translated.rules;
      problems.push(...translated.problems.map((p) => ({ ...p, family: list.family, hook })));
    }
    drafts[hook === 'input' ? 'ingress' : 'egress'] = mergeFamilies(perFamily.ipv4, perFamily.ipv6);
  }
  return { flattener, lists, baseline, differences, drafts, problems, families };
}

function explanations(analysis: Analysis): Explanations {
  return {
    regions: [
      ...analysis.differences.map((d) => ({ family: d.family, hook: d.hook, boxes: d.boxes })),
      ...analysis.problems.map((p) => ({ family: p.family, hook: p.hook, boxes: p.rule.boxes })),
    ],
  };
}

const TABLE_REASONS: Record<string, string> = {
  nat: 'NAT (the nat table)',
  mangle: 'packet alteration (the mangle table)',
  raw: 'conntrack exemptions (the raw table)',
  security: 'security marks (the security table)',
};

/** Entries for rules outside the input and output filter hooks, and for other software's chains. */
function outsideEntries(ruleset: ImportedRuleset, flattener: Flattener): ImportReportEntry[] {
  const entries: ImportReportEntry[] = [];
  const reach = new Map<ImportedChain, string>();
  const visit = (chain: ImportedChain, context: string) => {
    if (reach.has(chain)) return;
    reach.set(chain, context);
    for (const rule of chain.rules) {
      if (rule.verdict.kind === 'jump' || rule.verdict.kind === 'goto') {
        const target = flattener.chain(chain.family, chain.table, rule.verdict.chain);
        if (target) visit(target, context);
      }
    }
  };
  for (const chain of ruleset.chains) {
    if (chain.hook === undefined) continue;
    const hook = chain.hook;
    if ((hook === 'input' || hook === 'output') && isFilterBase(chain, chain.family, hook)) visit(chain, 'imported');
  }
  for (const chain of ruleset.chains) {
    if (chain.hook === undefined || reach.has(chain)) continue;
    const reason = TABLE_REASONS[chain.table] ?? (chain.chainType === 'nat' ? 'NAT' : chain.chainType === 'route' ? 'rerouting (a route chain)' : chain.hook === 'forward' ? 'forwarded traffic (the host routing for others) is not part of a host policy' : `the ${chain.hook} hook (benteng filters input and output)`);
    visit(chain, reason);
  }
  const foreignCounts = new Map<string, { chains: Set<string>; rules: number; first?: SourceLocation }>();
  const forwarded = new Map<ImportFamily, { rules: number; chains: Set<string>; location: SourceLocation }>();
  for (const chain of ruleset.chains) {
    const context = reach.get(chain);
    const owner = foreignChainOwner(chain);
    if (owner) {
      const entry = foreignCounts.get(owner) ?? { chains: new Set(), rules: 0 };
      entry.chains.add(`${chain.table} ${chain.name}`);
      entry.rules += chain.rules.length;
      entry.first ??= chain.location;
      foreignCounts.set(owner, entry);
      continue;
    }
    if (!context || context === 'imported') continue;
    for (const rule of chain.rules) {
      const ruleOwner = foreignRuleOwner(rule);
      if (ruleOwner) {
        const entry = foreignCounts.get(ruleOwner) ?? { chains: new Set(), rules: 0 };
        entry.rules++;
        entry.first ??= rule.location;
        foreignCounts.set(ruleOwner, entry);
        continue;
      }
      if (rule.verdict.kind === 'continue' && rule.unsupported.length === 0) continue;
      if (context.startsWith('forwarded')) {
        const summary = forwarded.get(chain.family) ?? { rules: 0, chains: new Set<string>(), location: rule.location };
        summary.rules++;
        summary.chains.add(chain.name);
        forwarded.set(chain.family, summary);
        continue;
      }
      entries.push({ kind: 'not-imported', location: rule.location, text: rule.text, reason: context });
    }
  }
  for (const [family, summary] of forwarded) {
    entries.push({
      kind: 'not-imported',
      location: summary.location,
      text: `${summary.rules} ${family === 'ipv4' ? 'IPv4' : 'IPv6'} forwarding rule${summary.rules === 1 ? '' : 's'} (${[...summary.chains].join(', ')})`,
      reason: 'forwarded traffic (the host routing for others) is not part of a host policy',
    });
  }
  for (const [owner, { chains, rules, first }] of [...foreignCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    entries.push({
      kind: 'left-out',
      ...(first ? { location: first } : {}),
      text: `${owner}: ${rules} rule${rules === 1 ? '' : 's'}${chains.size > 0 ? ` in ${[...chains].sort().join(', ')}` : ''}`,
      reason: `managed by ${owner} at run time; left out on purpose (the program keeps adding and removing these rules)`,
    });
  }
  for (const skipped of ruleset.skipped ?? []) entries.push({ kind: 'not-imported', location: skipped.location, text: skipped.text, reason: skipped.reason });
  return entries;
}

function reportEntries(ruleset: ImportedRuleset, analysis: Analysis): ImportReportEntry[] {
  const entries: ImportReportEntry[] = [];
  let logging = 0;
  let firstLog: SourceLocation | undefined;
  for (const finding of analysis.flattener.findings) {
    const base = { location: finding.rule.location, text: finding.rule.text };
    switch (finding.kind) {
      case 'inexpressible':
        entries.push({ ...base, kind: 'not-imported', reason: `benteng cannot express ${finding.reasons.join('; ')}; the rule is left out` });
        break;
      case 'foreign':
        entries.push({ ...base, kind: 'left-out', reason: `belongs to ${finding.owner}; left out on purpose` });
        break;
      case 'never':
        entries.push({ ...base, kind: 'note', reason: `never decides a packet to or from the host: ${finding.reason}` });
        break;
      case 'logging':
        logging++;
        firstLog ??= finding.rule.location;
        break;
      case 'loop':
        entries.push({ ...base, kind: 'not-imported', reason: `jumps to \`${finding.chain}\`, which is already on the path (a loop)` });
        break;
      default: {
        const never: never = finding;
        throw new Error(`unexpected finding ${JSON.stringify(never)}`);
      }
    }
  }
  if (logging > 0) entries.push({ kind: 'note', ...(firstLog ? { location: firstLog } : {}), text: `${logging} logging rule${logging === 1 ? '' : 's'} (LOG, NFLOG)`, reason: 'not imported: benteng logs its drops itself (`logDrops` in defaults.yaml)' });
  for (const difference of analysis.differences) {
    const origin = difference.rule.origin;
    const where = 'rule' in origin ? { location: origin.rule.location, text: origin.rule.text } : { location: origin.chain.location, text: `${origin.chain.table} ${origin.chain.name} policy ${origin.chain.policy ?? 'accept'}` };
    entries.push({ ...where, kind: 'approximated', reason: `benteng's baseline accepts ${difference.what} (${difference.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${difference.hook}) before any rule; this source rule refused some of them` });
  }
  for (const problem of analysis.problems) {
    const origin = problem.rule.origin;
    const where = 'rule' in origin ? { location: origin.rule.location, text: origin.rule.text } : { location: origin.chain.location, text: `${origin.chain.table} ${origin.chain.name} policy` };
    entries.push({ ...where, kind: 'not-imported', reason: `not translated: ${problem.reason}` });
  }
  entries.push(...outsideEntries(ruleset, analysis.flattener));
  const seen = new Set<string>();
  return entries
    .filter((e) => {
      const key = `${e.kind}\0${e.location?.file}\0${e.location?.line}\0${e.location?.handle ?? ''}\0${e.text}\0${e.reason}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.location?.file ?? '').localeCompare(b.location?.file ?? '') || (a.location?.line ?? 0) - (b.location?.line ?? 0) || a.kind.localeCompare(b.kind));
}

/** Inserts `benteng-disable-next-line` comments for lint errors the source's own rules cause. */
function suppressLintErrors(files: Map<string, string>, diagnostics: Diagnostic[], dir: string): ImportReportEntry[] {
  const notes: ImportReportEntry[] = [];
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (d.severity !== 'error' || !d.span) continue;
    const path = d.span.file.startsWith(`${dir}/`) ? d.span.file.slice(dir.length + 1) : d.span.file;
    if (!files.has(path)) continue;
    byFile.set(path, [...(byFile.get(path) ?? []), d]);
  }
  for (const [path, list] of byFile) {
    const lines = files.get(path)!.split('\n');
    const byLine = new Map<number, Set<string>>();
    for (const d of list) byLine.set(d.span!.start.line, (byLine.get(d.span!.start.line) ?? new Set()).add(d.code));
    for (const [line, codes] of [...byLine].sort((a, b) => b[0] - a[0])) {
      const indent = /^\s*(-\s+)?/.exec(lines[line - 1] ?? '')?.[0].replace(/-\s+$/, '').length ?? 0;
      lines.splice(line - 1, 0, `${' '.repeat(indent)}# benteng-disable-next-line ${[...codes].sort().join(', ')} -- imported as the source ruleset decides it; review (IMPORT-REPORT.md)`);
      for (const code of [...codes].sort()) notes.push({ kind: 'note', text: `${path}:${line}`, reason: `lint \`${code}\` (an error) suppressed with a comment: the source ruleset allows this; decide whether it should` });
    }
    files.set(path, lines.join('\n'));
  }
  return notes;
}

/**
 * Imports a parsed ruleset: the policy files, the report and the equivalence check. Errors in the
 * source (`ruleset.errors`) are the caller's to report first; rules on those lines are absent.
 */
export function importRuleset(ruleset: ImportedRuleset, options: ImportOptions = {}): ImportResult {
  const families = familiesOf(ruleset);
  const guessed = guessAddresses(ruleset);
  const given = options.addresses ?? [];
  const familyOf = (text: string): ImportFamily | undefined => {
    const parsed = parseAddress(text);
    return parsed.ok ? parsed.value.family : undefined;
  };
  const addresses: string[] = [...given];
  let addressesAreTodo = false;
  for (const family of families.length > 0 ? families : (['ipv4'] as const)) {
    if (given.some((a) => familyOf(a) === family)) continue;
    if (given.length === 0 && guessed[family].length > 0) addresses.push(guessed[family][0]!);
    else {
      addresses.push(PLACEHOLDER[family]);
      addressesAreTodo = true;
    }
  }
  const unfiltered = (['ipv4', 'ipv6'] as const).filter((f) => !families.includes(f) && given.some((a) => familyOf(a) === f));
  const analysis = analyze(ruleset, addressesAreTodo ? addresses.filter((a) => !Object.values(PLACEHOLDER).includes(a)) : addresses);
  const host: HostOptions = {
    name: options.host ?? 'imported-host',
    addresses,
    addressesAreTodo,
    backend: options.backend ?? (ruleset.format === 'nft-json' ? 'nftables' : 'iptables'),
    ...(options.ssh ? { ssh: options.ssh } : {}),
  };
  const dir = options.dir ?? 'policies';
  const written = writePolicyFiles(analysis.drafts, analysis.baseline, host, ruleset.sources);
  const files = written.files;
  let check = checkPolicyFiles(files, dir);
  const notes = suppressLintErrors(files, check.diagnostics, dir);
  if (notes.length > 0) check = checkPolicyFiles(files, dir);
  const report = [
    ...reportEntries(ruleset, analysis),
    ...unfiltered.map((family): ImportReportEntry => ({
      kind: 'note',
      text: `no ${family === 'ipv4' ? 'iptables-save (IPv4)' : 'ip6tables-save (IPv6)'} ruleset was given`,
      reason: `the host has ${family === 'ipv4' ? 'IPv4' : 'IPv6'} addresses but the source says nothing about that family: the imported policy drops its traffic except the baseline; import that ruleset too`,
    })),
    ...notes,
  ];
  const equivalence: EquivalenceResult = check.model
    ? compareVerdicts({ ruleset, flattener: analysis.flattener, model: check.model, families: analysis.families, explanations: explanations(analysis) }, options.equivalence)
    : { packets: 0, seed: options.equivalence?.seed ?? 1, explained: 0, unexplained: 0, examples: [] };
  return {
    files,
    report,
    equivalence,
    baseline: analysis.baseline,
    services: written.services,
    rulesImported: written.placed.length,
    diagnostics: check.diagnostics,
    host,
  };
}

/**
 * Checks a policy against a source ruleset on random packets, on its own: `target` is a resolved
 * model (its first host is the imported one) or policy files (path → text). Differences explained by
 * what the import reports (rules benteng cannot express, other software's rules, baseline
 * differences) are counted apart from the unexplained ones.
 */
export function checkEquivalence(ruleset: ImportedRuleset, target: FleetModel | ReadonlyMap<string, string>, options: EquivalenceOptions = {}): EquivalenceResult {
  const model = target instanceof Map ? checkPolicyFiles(target, 'policies', { lint: false }).model : (target as FleetModel);
  if (!model || model.hosts.length === 0) throw new Error('checkEquivalence: the policy has no resolved host');
  const host = model.hosts[0]!;
  const addresses = (['ipv4', 'ipv6'] as const).flatMap((family) => host.addresses[family].filter((r) => r.start === r.end).map((r) => formatRange(family, r.start)));
  const analysis = analyze(ruleset, addresses);
  return compareVerdicts({ ruleset, flattener: analysis.flattener, model, families: analysis.families, explanations: explanations(analysis) }, options);
}

function formatRange(family: ImportFamily, value: bigint): string {
  return family === 'ipv4' ? [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.') : value.toString(16).padStart(32, '0').match(/.{4}/g)!.join(':');
}

/** One packet as the import's checks see it: a family, a hook and the packet's fields. */
export interface OraclePacket {
  family: ImportFamily;
  hook: 'input' | 'output';
  peer: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'other';
  port?: number;
  icmpType?: number;
  state?: 'new' | 'established' | 'related';
  loopback?: boolean;
}

/**
 * The source ruleset's verdict for single packets, and whether a difference from the import on that
 * packet is explained by the report (for kernel round-trip tests and for H2's nft tests).
 */
export function sourceOracle(ruleset: ImportedRuleset, addresses: string[]): (packet: OraclePacket) => { verdict: 'accept' | 'drop' | 'reject'; explained: boolean } {
  const analysis = analyze(ruleset, addresses);
  const regions = explanations(analysis).regions;
  return (packet) => {
    const parsed = parseAddress(packet.peer);
    if (!parsed.ok) throw new Error(`sourceOracle: ${packet.peer}: ${parsed.reason}`);
    const space = {
      peer: parsed.value.value,
      protocol: packet.protocol,
      state: packet.state ?? 'new',
      loopback: packet.loopback ?? false,
      ...(packet.port !== undefined ? { port: packet.port } : {}),
      ...(packet.icmpType !== undefined ? { icmpType: packet.icmpType } : {}),
    } as const;
    const result = evaluateSource(analysis.flattener, packet.family, packet.hook, space);
    const explained = result.touched.length > 0 || result.foreign.length > 0 || regions.some((r) => r.family === packet.family && r.hook === packet.hook && r.boxes.some((b) => boxContains(b, space)));
    return { verdict: result.verdict, explained };
  };
}
