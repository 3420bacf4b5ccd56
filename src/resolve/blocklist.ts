import type { Span } from '../diagnostics/diagnostic.js';
import type { PathSegment } from '../load/index.js';
import type { BlocklistEntry } from '../model/index.js';
import { unionSets } from '../net/address-set.js';
import type { PolicySet } from '../policy/index.js';
import type { AddressResolver } from './addresses.js';
import type { ResolveContext } from './context.js';

/** The code of the resolver's warning for an expired entry; lint's `blocklist-expired` rule replaces it. */
export const BLOCKLIST_EXPIRED = 'blocklist-expired';

/**
 * Resolves `blocklist.yaml` (schema: schemas/blocklist.schema.json) to the entries in force on `today`,
 * in file order, each keeping its span. An entry whose `expires` day lies before `today` is left out
 * with a `blocklist-expired` warning, as an expired rule is. Addresses go through the peer resolver,
 * so a CIDR with host bits set gets the same `cidr-host-bits` warning as in a rule.
 */
export function resolveBlocklist(policy: PolicySet, today: string, addresses: AddressResolver, context: ResolveContext): BlocklistEntry[] {
  if (!policy.blocklist) return [];
  const { data, source } = policy.blocklist;
  const out: BlocklistEntry[] = [];
  data.blocklist.forEach((entry, index) => {
    const at = (...path: PathSegment[]): Span => source.spanOf(['blocklist', index, ...path]);
    if (entry.expires !== undefined && entry.expires < today) {
      context.report(BLOCKLIST_EXPIRED, 'warning', `block expired on ${entry.expires} and is left out of the rulesets`, at('expires'));
      return;
    }
    const resolved: BlocklistEntry = {
      id: `blocklist/${index}`,
      index,
      addresses: unionSets(...entry.addresses.map((text, i) => addresses.resolvePeer(text, () => at('addresses', i)))),
      addressText: [...entry.addresses],
      reason: entry.reason,
      added: entry.added,
      by: entry.by,
      span: at(),
    };
    if (entry.expires !== undefined) resolved.expires = entry.expires;
    out.push(resolved);
  });
  return out;
}
