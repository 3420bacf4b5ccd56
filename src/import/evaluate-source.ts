/**
 * The source ruleset's own verdict for one packet, walking the chain graph as netfilter does
 * (iptables(8): jumps return to the rule after the jump, `RETURN` and the end of a user chain return,
 * `-g` returns to the caller's caller, a base chain's end applies its policy; nft(8): every base chain
 * on the hook runs in priority order, accept goes on to the next one, drop ends the packet).
 *
 * It shares only the reading of single rules (`rule-box.ts`) with the flattener, not the inlining, so
 * comparing it with the evaluator of the compiled import checks the flattening and the translation.
 * Rules benteng cannot express are treated as not matching (the import leaves them out) and recorded in
 * `touched` when the rest of their match holds; other software's chains are evaluated for real and
 * recorded when they decide: a difference on such a packet is explained by the import report.
 */
import type { Flattener } from './flatten.js';
import { foreignChainOwner, foreignRuleOwner } from './foreign.js';
import type { Hook } from './rule-box.js';
import type { ImportedChain, ImportedRule, ImportFamily } from './ruleset.js';
import { boxContains, type SpacePacket } from './space.js';
import type { TerminalVerdict } from './flatten.js';

export interface SourceEvaluation {
  verdict: TerminalVerdict;
  /** The deciding rule, or the base chain whose policy decided (undefined: no filter chain). */
  decidedBy?: ImportedRule | ImportedChain;
  /** Rules left out of the import that could have mattered for this packet. */
  touched: ImportedRule[];
  /** Other software's chains or tables that decided the packet. */
  foreign: string[];
}

type ChainResult = { kind: 'terminal'; verdict: TerminalVerdict; rule: ImportedRule } | { kind: 'return' };

/** Evaluates the packet against the source ruleset's `hook` for `family`. */
export function evaluateSource(flattener: Flattener, family: ImportFamily, hook: Hook, packet: SpacePacket): SourceEvaluation {
  const touched: ImportedRule[] = [];
  const foreign: string[] = [];
  const { own, foreign: foreignBases } = flattener.bases(family, hook);
  const bases = [...own.map((chain) => ({ chain, owner: undefined as string | undefined })), ...foreignBases].sort((a, b) => (a.chain.priority ?? 0) - (b.chain.priority ?? 0));

  const run = (chain: ImportedChain, depth: number, owner: string | undefined): ChainResult => {
    for (const rule of chain.rules) {
      const view = flattener.view(rule, hook);
      if (!view.box) continue;
      const ruleOwner = owner ?? foreignRuleOwner(rule);
      if (!boxContains(view.box, packet)) continue;
      if (view.reasons.length > 0 && !ruleOwner) {
        if (!(rule.verdict.kind === 'continue' && rule.unsupported.every((u) => !/^-j /.test(u.match) || /LOG/.test(u.match)))) touched.push(rule);
        continue;
      }
      const verdict = rule.verdict;
      switch (verdict.kind) {
        case 'accept':
        case 'drop':
        case 'reject':
          if (ruleOwner && !owner) foreign.push(ruleOwner);
          return { kind: 'terminal', verdict: verdict.kind, rule };
        case 'continue':
          continue;
        case 'return':
          return { kind: 'return' };
        case 'jump':
        case 'goto': {
          const target = flattener.chain(chain.family, chain.table, verdict.chain);
          if (!target || depth > 64) continue;
          const targetOwner = ruleOwner ?? foreignChainOwner(target);
          const result = run(target, depth + 1, targetOwner);
          if (result.kind === 'terminal') {
            if (targetOwner && !owner) foreign.push(targetOwner);
            return result;
          }
          if (verdict.kind === 'goto') return { kind: 'return' };
          continue;
        }
        default: {
          const never: never = verdict;
          throw new Error(`unexpected verdict ${JSON.stringify(never)}`);
        }
      }
    }
    return { kind: 'return' };
  };

  let decidedBy: ImportedRule | ImportedChain | undefined;
  for (const { chain, owner } of bases) {
    const result = run(chain, 0, owner);
    if (result.kind === 'terminal') {
      decidedBy = result.rule;
      if (result.verdict !== 'accept') {
        if (owner) foreign.push(owner);
        return { verdict: result.verdict, decidedBy, touched, foreign };
      }
      continue;
    }
    decidedBy = chain;
    if ((chain.policy ?? 'accept') === 'drop') {
      if (owner) foreign.push(owner);
      return { verdict: 'drop', decidedBy, touched, foreign };
    }
  }
  return { verdict: 'accept', ...(decidedBy ? { decidedBy } : {}), touched, foreign };
}
