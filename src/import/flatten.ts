/**
 * Flattening: one family's `input` or `output` hook of a parsed ruleset → one first-match list of
 * boxes with a terminal verdict (accept, drop, reject), ending in the base chain's policy. Jumps are
 * inlined (their match intersected with the called chain's rules); a `RETURN` or a `-g` is
 * subtracted from the rules after it in its chain; several base chains on one hook (nft) compose by
 * priority: an accept in an earlier chain goes on to the next base chain, a drop ends the packet.
 *
 * Left out, and recorded in `findings` for the report: rules benteng cannot express (`rule-box.ts`),
 * jumps to chains and base chains of other software (`foreign.ts`), rules that never see a packet to
 * or from the host. The result is exact for everything it keeps.
 */
import type { ImportedChain, ImportedRule, ImportedRuleset, ImportFamily } from './ruleset.js';
import { foreignChainOwner, foreignRuleOwner } from './foreign.js';
import { type Hook, type HostSide, type RuleView, viewRule } from './rule-box.js';
import { type Box, fullBox, intersectBox, subtractAll } from './space.js';

export type TerminalVerdict = 'accept' | 'drop' | 'reject';

export interface FlatRule {
  /** Disjoint pieces of the rule's region that earlier `RETURN`s and gotos left to it. */
  boxes: Box[];
  verdict: TerminalVerdict;
  /** The source rule that decides, or the base chain whose policy does. */
  origin: { rule: ImportedRule } | { chain: ImportedChain };
  /** The jumps that led to the rule, outermost first. */
  path: ImportedRule[];
}

export interface FlatList {
  family: ImportFamily;
  hook: Hook;
  rules: FlatRule[];
  /** The base chains that were flattened, in priority order (empty: no filter chain, all accepted). */
  bases: ImportedChain[];
  /** Every translatable rule a packet can reach, with the box of its own match (for the baseline's choice). */
  reached: Array<{ rule: ImportedRule; box: Box }>;
}

export type Finding =
  | { kind: 'inexpressible'; rule: ImportedRule; reasons: string[] }
  | { kind: 'foreign'; rule: ImportedRule; owner: string }
  | { kind: 'never'; rule: ImportedRule; reason: string }
  | { kind: 'logging'; rule: ImportedRule }
  | { kind: 'loop'; rule: ImportedRule; chain: string };

/** Whether a chain filters packets of this hook in benteng's sense (not NAT, not mangle). */
export function isFilterBase(chain: ImportedChain, family: ImportFamily, hook: Hook): boolean {
  if (chain.family !== family || chain.hook !== hook) return false;
  if (chain.chainType !== undefined) return chain.chainType === 'filter' && !isIptablesSpecialTable(chain.table);
  return chain.table === 'filter' || !isIptablesSpecialTable(chain.table);
}

function isIptablesSpecialTable(table: string): boolean {
  return ['nat', 'mangle', 'raw', 'security'].includes(table);
}

export class Flattener {
  private readonly views = new Map<ImportedRule, RuleView>();
  private readonly chains = new Map<string, ImportedChain>();
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private reached: FlatList['reached'] = [];

  constructor(
    private readonly ruleset: ImportedRuleset,
    private readonly host: HostSide,
  ) {
    for (const chain of ruleset.chains) this.chains.set(`${chain.family}\0${chain.table}\0${chain.name}`, chain);
  }

  view(rule: ImportedRule, hook: Hook): RuleView {
    let view = this.views.get(rule);
    if (!view) {
      view = viewRule(rule, hook, this.host);
      this.views.set(rule, view);
    }
    return view;
  }

  chain(family: ImportFamily, table: string, name: string): ImportedChain | undefined {
    return this.chains.get(`${family}\0${table}\0${name}`);
  }

  private note(finding: Finding): void {
    const key = `${finding.kind}\0${finding.rule.location.file}\0${finding.rule.location.line}\0${finding.rule.location.handle ?? ''}\0${finding.rule.text}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push(finding);
  }

  /** The base chains that decide this hook, lowest priority first; other software's tables are left out. */
  bases(family: ImportFamily, hook: Hook): { own: ImportedChain[]; foreign: Array<{ chain: ImportedChain; owner: string }> } {
    const all = this.ruleset.chains.filter((c) => isFilterBase(c, family, hook));
    const sorted = all.map((c, i) => ({ c, i })).sort((a, b) => (a.c.priority ?? 0) - (b.c.priority ?? 0) || a.i - b.i).map((x) => x.c);
    const own: ImportedChain[] = [];
    const foreign: Array<{ chain: ImportedChain; owner: string }> = [];
    for (const chain of sorted) {
      const owner = chain.chainType !== undefined ? foreignChainOwner(chain) : undefined;
      if (owner) foreign.push({ chain, owner });
      else own.push(chain);
    }
    return { own, foreign };
  }

  flatten(family: ImportFamily, hook: Hook): FlatList {
    const { own } = this.bases(family, hook);
    const rules: FlatRule[] = [];
    if (own.length === 0) {
      return { family, hook, bases: [], rules: [], reached: [] };
    }
    const walkBase = (k: number, guard: Box) => {
      const base = own[k]!;
      const accept = (pieces: Box[], origin: FlatRule['origin'], path: ImportedRule[]) => {
        if (k + 1 < own.length) for (const piece of pieces) walkBase(k + 1, piece);
        else rules.push({ boxes: pieces, verdict: 'accept', origin, path });
      };
      this.walk(base, hook, guard, [], [], new Set([base.name]), accept, rules);
      const policyOrigin = { chain: base };
      if ((base.policy ?? 'accept') === 'accept') accept([guard], policyOrigin, []);
      else rules.push({ boxes: [guard], verdict: 'drop', origin: policyOrigin, path: [] });
    };
    this.reached = [];
    walkBase(0, fullBox(family));
    return { family, hook, rules, bases: own, reached: this.reached };
  }

  /** Whether leaving the rule out can change a verdict: it decides, or it skips or calls rules that decide. */
  private matters(chain: ImportedChain, rule: ImportedRule): boolean {
    switch (rule.verdict.kind) {
      case 'accept':
      case 'drop':
      case 'reject':
        return true;
      case 'continue':
        return false;
      case 'return':
        return chain.hook !== undefined || this.decides(chain, chain.rules.indexOf(rule) + 1, new Set());
      case 'jump':
      case 'goto': {
        const target = this.chain(chain.family, chain.table, rule.verdict.chain);
        return rule.verdict.kind === 'goto' || (target !== undefined && this.decides(target, 0, new Set()));
      }
    }
  }

  /** Whether some rule from `from` on in the chain (or in a chain it calls) has a verdict. */
  private decides(chain: ImportedChain, from: number, visited: Set<ImportedChain>): boolean {
    if (visited.has(chain)) return false;
    visited.add(chain);
    return chain.rules.slice(from).some((rule) => {
      const kind = rule.verdict.kind;
      if (kind === 'accept' || kind === 'drop' || kind === 'reject') return true;
      if (kind === 'jump' || kind === 'goto') {
        const target = this.chain(chain.family, chain.table, rule.verdict.chain);
        return target !== undefined && this.decides(target, 0, visited);
      }
      return false;
    });
  }

  private walk(
    chain: ImportedChain,
    hook: Hook,
    guard: Box,
    outerExcludes: Box[],
    path: ImportedRule[],
    active: Set<string>,
    accept: (pieces: Box[], origin: FlatRule['origin'], path: ImportedRule[]) => void,
    out: FlatRule[],
  ): void {
    const excludes = [...outerExcludes];
    for (const rule of chain.rules) {
      const owner = foreignRuleOwner(rule);
      if (owner) {
        this.note({ kind: 'foreign', rule, owner });
        continue;
      }
      const view = this.view(rule, hook);
      if (!view.box) {
        if (rule.verdict.kind !== 'continue') this.note({ kind: 'never', rule, reason: view.never ?? 'never matches' });
        continue;
      }
      if (rule.verdict.kind === 'continue' && rule.unsupported.every((u) => !/^-j /.test(u.match) || /LOG/.test(u.match))) {
        if (rule.verdict.note) this.note({ kind: 'logging', rule });
        continue;
      }
      if (view.reasons.length > 0) {
        if (this.matters(chain, rule)) this.note({ kind: 'inexpressible', rule, reasons: view.reasons });
        continue;
      }
      const box = intersectBox(guard, view.box);
      if (!box) continue;
      this.reached.push({ rule, box: view.box });
      const pieces = subtractAll([box], excludes);
      if (pieces.length === 0) continue;
      const verdict = rule.verdict;
      switch (verdict.kind) {
        case 'accept':
          accept(pieces, { rule }, path);
          break;
        case 'drop':
        case 'reject':
          out.push({ boxes: pieces, verdict: verdict.kind, origin: { rule }, path });
          break;
        case 'continue':
          this.note({ kind: 'inexpressible', rule, reasons: rule.unsupported.map((u) => `${u.reason} (\`${u.match}\`)`) });
          break;
        case 'return':
          excludes.push(box);
          break;
        case 'jump':
        case 'goto': {
          const target = this.chain(chain.family, chain.table, verdict.chain);
          if (!target) break;
          if (active.has(target.name) || path.length > 64) {
            this.note({ kind: 'loop', rule, chain: target.name });
            break;
          }
          const inner = new Set(active).add(target.name);
          for (const piece of pieces) this.walk(target, hook, piece, excludes, [...path, rule], inner, accept, out);
          if (verdict.kind === 'goto') excludes.push(box);
          break;
        }
        default: {
          const never: never = verdict;
          throw new Error(`unexpected verdict ${JSON.stringify(never)}`);
        }
      }
    }
  }
}
