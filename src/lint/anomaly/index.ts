/**
 * Rule anomalies within one chain, after Al-Shaer & Hamed ("Firewall policy advisor for anomaly
 * discovery and rule editing", 2003), decided exactly over the union of rules rather than pairwise, and
 * read from the same structure as the access model (src/access): the first-match partition of the
 * chain per family and protocol class, computed with the runner-up of every region.
 *
 * - shadowed: the rule decides no packet (every packet it matches is decided by earlier rules) and
 *   some of them are decided by an earlier rule with a different action; `others` are those rules;
 * - redundant: removing the rule changes no verdict: it decides no packet and every decider has its
 *   action (`by: 'earlier'`), or for every packet it decides, the first later rule matching it (the
 *   region's runner-up) exists and has the same action (`by: 'later'`; the chain's default policy is
 *   not counted as a rule);
 * - correlated: an earlier rule with a different action decides part of the rule's packets while the
 *   rule decides others, and that earlier rule does not lie inside the rule (an exception written
 *   before a general rule is the usual idiom, not an anomaly);
 * - overridden (when rules carry their service): an earlier rule of another service decides part of
 *   the rule's packets the other way (accept against drop or reject), exception or not: one agency's
 *   rule undoes another's.
 *
 * Cost: one runner-up sweep per family and class (see sweep.ts), then, only for rules that lose part
 * of their area, a query of the partition's k-d tree (box-tree.ts) over the rule's boxes; rules of the
 * same geometry reuse the first one's answer. A partition past its region budget, or decider queries
 * past their visit budget, leave the rules concerned unanalysed (reported by
 * `anomaly-analysis-incomplete`), never a hang.
 */
import { ACCESS_CLASSES, type ChainAccess, classTerms, type FleetAccess } from '../../access/index.js';
import { compressTerms, type LayerTerm } from '../../access/layers.js';
import { type SweepBox, type SweepTerm, sweepFirstMatch } from '../../access/sweep.js';
import type { Direction, FleetModel, ResolvedRule } from '../../model/index.js';
import { BoxTree } from './box-tree.js';

export type AnomalyKind = 'shadowed' | 'redundant' | 'correlated' | 'overridden';

/** One anomaly of the rule at `rule` (its position in the chain). */
export interface ChainAnomaly {
  kind: AnomalyKind;
  rule: number;
  /** Positions of the rules involved, in chain order: the earlier deciders, the later runners-up, or the correlated earlier rules (at most `MAX_OTHERS`). */
  others: number[];
  /** For `redundant`: whether earlier or later rules make it so. */
  by?: 'earlier' | 'later';
}

export interface ChainAnalysis {
  anomalies: ChainAnomaly[];
  /** Positions of rules whose analysis ran out of budget. */
  incomplete: number[];
}

export interface AnalysisOptions {
  /** Regions a family and class's partition may hold before its rules are reported as not analysed (default: `REGIONS_PER_BOX` per rule box, at least `DEFAULT_BUDGET`). */
  budget?: number;
  /** The access model of this very chain (its rules are the chain's rule objects): its terms and their compression are reused, not recomputed. */
  access?: ChainAccess;
}

export const DEFAULT_BUDGET = 20_000;
const REGIONS_PER_BOX = 16;
/** Most rules named as `others` of one anomaly. */
export const MAX_OTHERS = 16;
/** Box visits the decider queries of one chain may make (at least; or this many per region). */
const DECIDER_VISITS = 2_000_000;
const VISITS_PER_BOX = 64;

type ChainRule = Pick<ResolvedRule, 'peers' | 'protocols' | 'action'> & { service?: string };

const allows = (rule: ChainRule) => rule.action === 'accept';

/** One family and class of the chain: its terms (labelled by rule position), partition and index. */
interface ClassPartition {
  positions: number[];
  terms: SweepTerm[];
  /** Term index by rule position. */
  termOf: Map<number, number>;
  tree?: BoxTree;
  boxes: SweepBox[];
}

const sizeOf = (t: SweepTerm) => {
  let leaves = 0;
  for (let k = 0; k < t.leaves.length; k += 2) leaves += t.leaves[k + 1]! - t.leaves[k]! + 1;
  let values = 0;
  for (const v of t.values) values += v.to - v.from + 1;
  return leaves * values;
};

/** Whether sorted disjoint inclusive intervals `inner` lie inside `outer`. */
function inside(inner: ReadonlyArray<{ from: number; to: number }>, outer: ReadonlyArray<{ from: number; to: number }>): boolean {
  let j = 0;
  for (const r of inner) {
    while (j < outer.length && outer[j]!.to < r.from) j++;
    if (j === outer.length || outer[j]!.from > r.from || outer[j]!.to < r.to) return false;
  }
  return true;
}

const leafIntervals = (t: SweepTerm) => {
  const out: Array<{ from: number; to: number }> = [];
  for (let k = 0; k < t.leaves.length; k += 2) out.push({ from: t.leaves[k]!, to: t.leaves[k + 1]! });
  return out;
};

/** Analyses one ordered chain (first match wins). */
export function analyzeChain(rules: ReadonlyArray<ChainRule>, options: AnalysisOptions = {}): ChainAnalysis {
  const n = rules.length;
  const area = new Float64Array(n);
  const won = new Float64Array(n);
  const laterSame = new Uint8Array(n).fill(1);
  const laterOthers: Array<Set<number> | undefined> = new Array(n);
  const incomplete = new Set<number>();
  const partitions: ClassPartition[] = [];
  const labelled = rules.map((rule, position) => ({ peers: rule.peers, protocols: rule.protocols, position }));

  // The access model's terms and compression of this chain, when given, label terms by rule object.
  const positionOf = options.access ? new Map(rules.map((rule, position) => [rule as ResolvedRule, position])) : undefined;
  const shared = options.access && positionOf!.size === n ? options.access : undefined;
  for (const family of ['ipv4', 'ipv6'] as const) {
    const byClass = shared ? undefined : classTerms(labelled, family);
    for (const cls of ACCESS_CLASSES) {
      const known = shared?.families[family].classes[cls];
      const list: ReadonlyArray<LayerTerm<unknown>> = known ? known.terms : byClass![cls];
      if (list.length === 0) continue;
      const compressed = known ? known.compressed : compressTerms(list);
      const positions = known ? known.terms.map((t) => positionOf!.get(t.label)!) : byClass![cls].map((t) => t.label.position);
      const natural = compressed.terms.reduce((total, t) => total + (t.leaves.length / 2) * t.values.length, 0);
      const budget = options.budget ?? Math.max(DEFAULT_BUDGET, REGIONS_PER_BOX * natural);
      const boxes = sweepFirstMatch(compressed.leafCount, compressed.terms, { runnerUp: true, budget });
      if (!boxes) {
        for (const p of positions) incomplete.add(p);
        continue;
      }
      compressed.terms.forEach((t, k) => {
        const p = positions[k]!;
        area[p] = area[p]! + sizeOf(t);
      });
      for (const box of boxes) {
        const j = positions[box.term]!;
        won[j] = won[j]! + (box.hi - box.lo + 1) * (box.to - box.from + 1);
        const next = box.second === -1 ? -1 : positions[box.second]!;
        if (next === -1 || rules[next]!.action !== rules[j]!.action) laterSame[j] = 0;
        else (laterOthers[j] ??= new Set()).add(next);
      }
      partitions.push({ positions, terms: compressed.terms, termOf: new Map(positions.map((p, k) => [p, k])), boxes });
    }
  }

  /** Whether rule `i` lies inside rule `j` in every family and class it matches. */
  const liesInside = (i: number, j: number): boolean =>
    partitions.every((part) => {
      const ti = part.termOf.get(i);
      if (ti === undefined) return true;
      const tj = part.termOf.get(j);
      if (tj === undefined) return false;
      const a = part.terms[ti]!;
      const b = part.terms[tj]!;
      return inside(leafIntervals(a), leafIntervals(b)) && inside(a.values, b.values);
    });

  // Decider queries share one budget of box visits per chain; rules of identical geometry (the same
  // rule in many services) are answered from the first one's query instead of walking it again.
  const totalBoxes = partitions.reduce((total, part) => total + part.boxes.length, 0);
  let visitsLeft = Math.max(DECIDER_VISITS, VISITS_PER_BOX * totalBoxes);
  const bySignature = new Map<string, { first: number; sorted: number[] }>();
  const signature = (j: number): string =>
    partitions
      .map((part) => {
        const t = part.termOf.get(j);
        if (t === undefined) return '';
        const term = part.terms[t]!;
        return `${term.leaves.join(',')}|${term.values.map((v) => `${v.from}-${v.to}`).join(',')}`;
      })
      .join(';');

  /**
   * Every earlier rule deciding part of rule j's packets, in chain order, or `undefined` when the
   * budget ran out. A rule with the geometry of an earlier one gets that one's answer, plus that one
   * when it decides something itself (nothing between them can decide inside their common area).
   */
  const decidersOf = (j: number, key = signature(j)): { sorted: number[]; last?: number } | undefined => {
    const same = bySignature.get(key);
    if (same) return won[same.first]! > 0 ? { sorted: same.sorted, last: same.first } : { sorted: same.sorted };
    const found = new Set<number>();
    for (const part of partitions) {
      const tj = part.termOf.get(j);
      if (tj === undefined) continue;
      part.tree ??= new BoxTree(part.boxes);
      const term = part.terms[tj]!;
      for (let k = 0; k < term.leaves.length; k += 2) {
        for (const v of term.values) {
          part.tree.query(
            term.leaves[k]!,
            term.leaves[k + 1]!,
            v.from,
            v.to,
            (box) => {
              if (--visitsLeft < 0) return true;
              const i = part.positions[box.term]!;
              if (i !== j) found.add(i);
              return false;
            },
            (t) => t === tj || found.has(part.positions[t]!),
          );
          if (visitsLeft < 0) return undefined;
        }
      }
    }
    const sorted = [...found].sort((a, b) => a - b);
    bySignature.set(key, { first: j, sorted });
    return { sorted };
  };
  /** The first MAX_OTHERS deciders, in chain order, for which `wanted` holds. */
  const pick = (deciders: { sorted: number[]; last?: number }, wanted: (i: number) => boolean): number[] => {
    const out: number[] = [];
    for (const i of deciders.last === undefined ? deciders.sorted : [...deciders.sorted, deciders.last]) {
      if (!wanted(i)) continue;
      out.push(i);
      if (out.length === MAX_OTHERS) break;
    }
    return out;
  };
  // Rules that decide nothing and share geometry and action get the same finding: decide it once.
  const deadBySignature = new Map<string, ChainAnomaly>();

  const anomalies: ChainAnomaly[] = [];
  for (let j = 0; j < n; j++) {
    if (incomplete.has(j) || area[j] === 0) continue;
    const action = rules[j]!.action;
    if (won[j] === 0) {
      const sig = signature(j);
      const key = `${sig}\n${action}`;
      const known = deadBySignature.get(key);
      if (known) {
        anomalies.push({ ...known, rule: j });
        continue;
      }
      const found = decidersOf(j, sig);
      if (!found) {
        incomplete.add(j);
        continue;
      }
      const conflicting = pick(found, (i) => rules[i]!.action !== action);
      const anomaly: ChainAnomaly =
        conflicting.length > 0 ? { kind: 'shadowed', rule: j, others: conflicting } : { kind: 'redundant', rule: j, others: pick(found, () => true), by: 'earlier' };
      anomalies.push(anomaly);
      if (bySignature.get(sig)?.first !== j) deadBySignature.set(key, anomaly);
      continue;
    }
    const found = won[j]! < area[j]! ? decidersOf(j) : { sorted: [] };
    if (!found) {
      incomplete.add(j);
      continue;
    }
    const correlated = pick(found, (i) => rules[i]!.action !== action && !liesInside(i, j));
    if (correlated.length > 0) anomalies.push({ kind: 'correlated', rule: j, others: correlated });
    const service = rules[j]!.service;
    if (service !== undefined) {
      const others = pick(found, (i) => rules[i]!.service !== undefined && rules[i]!.service !== service && allows(rules[i]!) !== allows(rules[j]!));
      if (others.length > 0) anomalies.push({ kind: 'overridden', rule: j, others });
    }
    if (laterSame[j] === 1) {
      const others = [...(laterOthers[j] ?? [])].sort((a, b) => a - b).slice(0, MAX_OTHERS);
      anomalies.push({ kind: 'redundant', rule: j, others, by: 'later' });
    }
  }
  return { anomalies, incomplete: [...incomplete].sort((a, b) => a - b) };
}

/** An anomaly of one policy rule, merged over every host and chain where it shows. */
export interface RuleAnomaly {
  kind: AnomalyKind;
  rule: ResolvedRule;
  others: ResolvedRule[];
  by?: 'earlier' | 'later';
  hosts: string[];
}

export interface IncompleteChain {
  host: string;
  direction: Direction;
  rules: ResolvedRule[];
}

export interface AnomalyAnalysis {
  anomalies: RuleAnomaly[];
  incomplete: IncompleteChain[];
}

/**
 * Analyses every host's input and output chains. Chains with the same rules (hosts running the same
 * services) are analysed once; findings are merged per policy rule and kind, naming the hosts. A policy
 * rule is redundant only when it is redundant on every host it lands on (removing it from the policy
 * changes no verdict anywhere); shadowed and correlated show wherever they happen.
 */
export function analyzeFleet(model: FleetModel, options: AnalysisOptions = {}, access?: FleetAccess): AnomalyAnalysis {
  const byKey = new Map<string, RuleAnomaly>();
  const incomplete: IncompleteChain[] = [];
  const cache = new Map<string, ChainAnalysis>();
  const landsOn = new Map<string, number>();
  for (const host of model.hosts) {
    for (const rule of [...host.input, ...host.output]) landsOn.set(rule.id, (landsOn.get(rule.id) ?? 0) + 1);
  }
  for (const host of model.hosts) {
    for (const direction of ['ingress', 'egress'] as const) {
      const chain = direction === 'ingress' ? host.input : host.output;
      const signature = chain.map((r) => r.id).join('\n');
      let result = cache.get(signature);
      if (!result) {
        result = analyzeChain(chain, access ? { ...options, access: access.chain(host, direction) } : options);
        cache.set(signature, result);
      }
      if (result.incomplete.length > 0) incomplete.push({ host: host.name, direction, rules: result.incomplete.map((i) => chain[i]!) });
      for (const a of result.anomalies) {
        const rule = chain[a.rule]!;
        // A host's `ssh.allowFrom` (service `hosts`, src/resolve/ssh-narrowing.ts) narrows the defaults' SSH on purpose.
        if (rule.service === 'defaults' && a.others.length > 0 && a.others.every((i) => chain[i]!.service === 'hosts')) continue;
        const key = `${a.kind}\n${rule.id}`;
        const merged = byKey.get(key);
        const others = a.others.map((i) => chain[i]!);
        if (merged) {
          merged.hosts.push(host.name);
          for (const o of others) if (!merged.others.some((m) => m.id === o.id)) merged.others.push(o);
        } else {
          const anomaly: RuleAnomaly = { kind: a.kind, rule, others, hosts: [host.name] };
          if (a.by) anomaly.by = a.by;
          byKey.set(key, anomaly);
        }
      }
    }
  }
  const anomalies = [...byKey.values()].filter((a) => a.kind !== 'redundant' || a.hosts.length === landsOn.get(a.rule.id));
  return { anomalies, incomplete };
}
