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
import { type BoxTable, boxTable, Pieces, subtractBox } from './box.js';
import { BoxIndex } from './box-index.js';

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

/** Box subtractions for one rule at a time, counting each piece processed against the budget. */
class Subtraction {
  spent = 0;

  constructor(
    private readonly table: BoxTable,
    private readonly budget: number,
  ) {}

  /** Writes `from` minus box `cut` to `to`; returns whether any piece overlapped the cut. */
  apply(from: Pieces, cut: number, to: Pieces): boolean {
    this.spent += from.length;
    if (this.spent > this.budget) throw new BudgetExceeded();
    return subtractBox(from, this.table, cut, to);
  }

  /**
   * Whether anything is left of boxes `from` to `to - 1` after subtracting, in order, boxes
   * `cuts[cutFrom..cutTo)` (or boxes `cutFrom` to `cutTo - 1` when `cuts` is null).
   */
  leavesSome(from: number, to: number, cuts: Int32Array | null, cutFrom: number, cutTo: number, work: Pieces, spare: Pieces): boolean {
    work.setBoxes(this.table, from, to);
    for (let k = cutFrom; k < cutTo; k++) {
      this.apply(work, cuts === null ? k : cuts[k]!, spare);
      const t = work;
      work = spare;
      spare = t;
    }
    return work.length > 0;
  }
}

/** A growable list of box numbers. */
class BoxList {
  boxes = new Int32Array(64);
  length = 0;

  push(box: number): void {
    if (this.length === this.boxes.length) {
      const grown = new Int32Array(this.length * 2);
      grown.set(this.boxes);
      this.boxes = grown;
    }
    this.boxes[this.length++] = box;
  }

  /** Sorts the list: by rule, then by box, as box numbers follow the chain. */
  sort(): void {
    if (this.length > 1) this.boxes.subarray(0, this.length).sort();
  }
}

/**
 * Analyses one ordered chain (first match wins). Near-linear when rules overlap few others: a rule whose
 * boxes overlap no other rule's is settled by one index query, without any subtraction.
 */
export function analyzeChain(rules: ReadonlyArray<Pick<ResolvedRule, 'peers' | 'protocols' | 'action'>>, options: AnalysisOptions = {}): ChainAnalysis {
  const budget = options.budget ?? DEFAULT_BUDGET;
  const table = boxTable(rules);
  const { rule: ruleOf, ruleStart } = table;
  const index = new BoxIndex(table);
  const verdicts = new Map<string, number>();
  const action = Int32Array.from(rules, (r) => verdicts.get(r.action) ?? verdicts.set(r.action, verdicts.size).size - 1);
  const seen = new Int32Array(table.count).fill(-1);
  const earlier = new BoxList();
  const later = new BoxList();
  const buffers = [new Pieces(), new Pieces(), new Pieces(), new Pieces()] as const;
  const anomalies: ChainAnomaly[] = [];
  const incomplete: number[] = [];

  for (let j = 0; j < rules.length; j++) {
    const from = ruleStart[j]!;
    const to = ruleStart[j + 1]!;
    if (from === to) continue;
    index.clear();
    for (let b = from; b < to; b++) index.query(b);
    earlier.length = 0;
    later.length = 0;
    for (let k = 0; k < index.foundCount; k++) {
      const c = index.found[k]!;
      const r = ruleOf[c]!;
      if (r === j || seen[c] === j) continue;
      seen[c] = j;
      (r < j ? earlier : later).push(c);
    }
    if (earlier.length === 0 && later.length === 0) continue; // overlaps nothing: no anomaly
    earlier.sort();
    const mine = action[j]!;
    const work = new Subtraction(table, budget);
    let [pieces, spare] = buffers;
    const [, , rest, restSpare] = buffers;
    try {
      pieces.setBoxes(table, from, to);
      const covering: number[] = [];
      const conflicting: number[] = [];
      for (let k = 0; k < earlier.length && pieces.length > 0; k++) {
        const c = earlier.boxes[k]!;
        const hit = work.apply(pieces, c, spare);
        [pieces, spare] = [spare, pieces];
        if (!hit) continue;
        const i = ruleOf[c]!;
        if (covering[covering.length - 1] !== i) covering.push(i);
        if (action[i] !== mine && conflicting[conflicting.length - 1] !== i) conflicting.push(i);
      }
      if (pieces.length === 0) {
        if (conflicting.length > 0) anomalies.push({ kind: 'shadowed', rule: j, others: conflicting });
        else anomalies.push({ kind: 'redundant', rule: j, others: covering, by: 'earlier' });
        continue;
      }

      const correlated: number[] = [];
      for (let k = 0; k < earlier.length; ) {
        const i = ruleOf[earlier.boxes[k]!]!;
        let end = k + 1;
        while (end < earlier.length && ruleOf[earlier.boxes[end]!] === i) end++;
        if (
          action[i] !== mine &&
          // j does not lie inside i, and i does not lie inside j (an exception before a general rule)
          work.leavesSome(from, to, earlier.boxes, k, end, rest, restSpare) &&
          work.leavesSome(ruleStart[i]!, ruleStart[i + 1]!, null, from, to, rest, restSpare)
        ) {
          correlated.push(i);
        }
        k = end;
      }
      if (correlated.length > 0) anomalies.push({ kind: 'correlated', rule: j, others: correlated });

      later.sort();
      const coveringLater: number[] = [];
      let conflict = false;
      for (let k = 0; k < later.length && pieces.length > 0; k++) {
        const c = later.boxes[k]!;
        if (!work.apply(pieces, c, spare)) continue;
        const i = ruleOf[c]!;
        if (action[i] !== mine) {
          conflict = true;
          break;
        }
        [pieces, spare] = [spare, pieces];
        if (coveringLater[coveringLater.length - 1] !== i) coveringLater.push(i);
      }
      if (!conflict && pieces.length === 0) anomalies.push({ kind: 'redundant', rule: j, others: coveringLater, by: 'later' });
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
