/**
 * Rule anomalies within one chain, after Al-Shaer & Hamed ("Firewall policy advisor for anomaly
 * discovery and rule editing", 2003), decided exactly over the union of rules rather than pairwise:
 *
 * - shadowed: every packet the rule matches is matched by earlier rules, and some of them by an earlier
 *   rule with a different action (the rule never decides, and its intent is overridden);
 * - redundant: removing the rule changes no verdict: every packet it matches is matched by earlier
 *   rules of the same action, or the first later rule that matches each packet the rule decides has the
 *   same action (the chain's default policy is not counted as a rule);
 * - correlated: an earlier rule with a different action overlaps the rule partially (neither contains
 *   the other), so their order decides the overlap.
 *
 * Rules are unions of boxes (family, protocol, peer address interval, port or ICMP type interval);
 * coverage is decided by subtracting the overlapping candidates that a `BoxIndex` finds, within a budget
 * of box operations per rule so that a pathological chain is reported incomplete instead of hanging.
 */
import type { Direction, FleetModel, ResolvedRule } from '../../model/index.js';
import { type Box, compressBoxes, overlaps, ruleBoxes, subtractBox } from './box.js';
import { BoxIndex, type IndexedBox } from './box-index.js';

export type AnomalyKind = 'shadowed' | 'redundant' | 'correlated';

/** One anomaly of the rule at `rule` (its position in the chain). */
export interface ChainAnomaly {
  kind: AnomalyKind;
  rule: number;
  /** Positions of the rules involved: the earlier rules that shadow or cover it, the later rules that make it redundant, the correlated earlier rules. */
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
  /** Box operations allowed per rule before it is reported as not analysed. */
  budget?: number;
}

export const DEFAULT_BUDGET = 20_000;

class BudgetExceeded extends Error {}



/** Analyses one ordered chain (first match wins). Near-linear when rules overlap few others. */
export function analyzeChain(rules: ReadonlyArray<Pick<ResolvedRule, 'peers' | 'protocols' | 'action'>>, options: AnalysisOptions = {}): ChainAnalysis {
  const budget = options.budget ?? DEFAULT_BUDGET;
  const { boxes: boxesOf, addressRanks, portRanks } = compressBoxes(rules.map((r) => ruleBoxes(r)));
  const all: IndexedBox[] = [];
  boxesOf.forEach((boxes, rule) => boxes.forEach((b) => all.push({ ...b, rule, id: all.length })));
  const byAddress = new BoxIndex(all, 'address');
  const byPort = new BoxIndex(all, 'port');
  const stamp = new Int32Array(all.length).fill(-1);
  const anomalies: ChainAnomaly[] = [];
  const incomplete: number[] = [];

  /** The boxes of other rules overlapping rule `j`, split into earlier and later ones, each in chain order. */
  const candidates = (j: number): { earlier: IndexedBox[]; later: IndexedBox[] } => {
    const earlier: IndexedBox[] = [];
    const later: IndexedBox[] = [];
    for (const box of boxesOf[j]!) {
      const addressShare = (box.aHi - box.aLo + 1) / addressRanks[box.group < 5 ? 0 : 1];
      const index = addressShare <= (box.pHi - box.pLo + 1) / portRanks ? byAddress : byPort;
      index.query(box, 0, rules.length - 1, (c) => {
        if (c.rule === j || stamp[c.id] === j) return;
        stamp[c.id] = j;
        (c.rule < j ? earlier : later).push(c);
      });
    }
    const order = (a: IndexedBox, b: IndexedBox) => a.rule - b.rule || a.id - b.id;
    return { earlier: earlier.sort(order), later: later.sort(order) };
  };

  for (let j = 0; j < rules.length; j++) {
    const own = boxesOf[j]!;
    if (own.length === 0) continue;
    const action = rules[j]!.action;
    let spent = 0;
    /** Subtracts `cut` from every piece; returns whether any piece overlapped it. */
    const subtract = (pieces: Box[], cut: Box): { pieces: Box[]; hit: boolean } => {
      let hit = false;
      const out: Box[] = [];
      for (const piece of pieces) {
        if (++spent > budget) throw new BudgetExceeded();
        if (overlaps(piece, cut)) {
          hit = true;
          subtractBox(piece, cut, out);
        } else {
          out.push(piece);
        }
      }
      return { pieces: out, hit };
    };
    try {
      const { earlier, later } = candidates(j);
      let pieces = own;
      const conflicting = new Set<number>();
      const covering = new Set<number>();
      for (const c of earlier) {
        if (pieces.length === 0) break;
        const step = subtract(pieces, c);
        pieces = step.pieces;
        if (!step.hit) continue;
        covering.add(c.rule);
        if (rules[c.rule]!.action !== action) conflicting.add(c.rule);
      }
      if (pieces.length === 0) {
        if (conflicting.size > 0) anomalies.push({ kind: 'shadowed', rule: j, others: [...conflicting] });
        else anomalies.push({ kind: 'redundant', rule: j, others: [...covering], by: 'earlier' });
        continue;
      }

      const correlated: number[] = [];
      const byRule = new Map<number, Box[]>();
      for (const c of earlier) if (rules[c.rule]!.action !== action) byRule.set(c.rule, [...(byRule.get(c.rule) ?? []), c]);
      for (const [i, theirs] of byRule) {
        let rest = own;
        for (const c of theirs) rest = subtract(rest, c).pieces;
        if (rest.length === 0) continue; // j lies inside i
        let mine = boxesOf[i]!;
        for (const b of own) mine = subtract(mine, b).pieces;
        if (mine.length === 0) continue; // i lies inside j: an exception before a general rule
        correlated.push(i);
      }
      if (correlated.length > 0) anomalies.push({ kind: 'correlated', rule: j, others: correlated });

      const coveringLater = new Set<number>();
      let conflict = false;
      for (const c of later) {
        if (pieces.length === 0) break;
        const step = subtract(pieces, c);
        if (!step.hit) continue;
        if (rules[c.rule]!.action !== action) {
          conflict = true;
          break;
        }
        pieces = step.pieces;
        coveringLater.add(c.rule);
      }
      if (!conflict && pieces.length === 0) anomalies.push({ kind: 'redundant', rule: j, others: [...coveringLater], by: 'later' });
    } catch (error) {
      if (!(error instanceof BudgetExceeded)) throw error;
      incomplete.push(j);
    }
  }
  return { anomalies, incomplete };
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
export function analyzeFleet(model: FleetModel, options: AnalysisOptions = {}): AnomalyAnalysis {
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
        result = analyzeChain(chain, options);
        cache.set(signature, result);
      }
      if (result.incomplete.length > 0) incomplete.push({ host: host.name, direction, rules: result.incomplete.map((i) => chain[i]!) });
      for (const a of result.anomalies) {
        const rule = chain[a.rule]!;
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
