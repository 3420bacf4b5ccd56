import type { Span } from '../diagnostics/diagnostic.js';
import type { PathSegment, YamlSource } from '../load/index.js';
import type { Direction, ResolvedRule } from '../model/index.js';
import { isEmptySet, unionSets } from '../net/address-set.js';
import type { EgressRule, IngressRule } from '../policy/types.generated.js';
import type { AddressResolver } from './addresses.js';
import type { ResolveContext } from './context.js';
import type { PortSetResolver } from './port-sets.js';

export interface RuleSource {
  service: string;
  direction: Direction;
  rules: ReadonlyArray<IngressRule | EgressRule>;
  source: YamlSource;
  /** Path of the rule list in its document (`['ingress']`, `['defaults', 'egress']`). */
  path: PathSegment[];
}

/**
 * Resolves one service's (or the defaults') rule list, in order. Rules whose `expires` day lies before
 * `today` are dropped with a `rule-expired` diagnostic.
 */
export function resolveRules(
  list: RuleSource,
  today: string,
  addresses: AddressResolver,
  ports: PortSetResolver,
  context: ResolveContext,
): ResolvedRule[] {
  const out: ResolvedRule[] = [];
  list.rules.forEach((rule, index) => {
    const at = (...path: PathSegment[]): Span => list.source.spanOf([...list.path, index, ...path]);
    const span = at();
    if (rule.expires !== undefined && rule.expires < today) {
      context.report('rule-expired', 'warning', `rule expired on ${rule.expires} and is left out of the ruleset`, at('expires'));
      return;
    }
    const field = 'from' in rule ? 'from' : 'to';
    const written = 'from' in rule ? rule.from : rule.to;
    const peerText = Array.isArray(written) ? written : [written];
    const reportedBefore = context.diagnostics.length;
    const peers = unionSets(
      ...peerText.map((text, i) => addresses.resolvePeer(text, () => (Array.isArray(written) ? at(field, i) : at(field)))),
    );
    const protocols = ports.resolveRulePorts(rule.ports, (path) => at(...path));
    if (isEmptySet(peers) && context.diagnostics.length === reportedBefore) {
      context.report('empty-peers', 'warning', `\`${field}\` resolves to no address, so this rule matches nothing`, at(field));
    }
    const resolved: ResolvedRule = {
      id: `${list.service}/${list.direction}/${index}`,
      service: list.service,
      direction: list.direction,
      index,
      peers,
      peerText,
      protocols,
      action: rule.action ?? 'accept',
      log: rule.log ?? false,
      span,
    };
    if (rule.description !== undefined) resolved.description = rule.description;
    if (rule.expires !== undefined) resolved.expires = rule.expires;
    out.push(resolved);
  });
  return out;
}
