/**
 * Which packets a host's ruleset logs, and under which key: the same on both backends, so a log line
 * is attributed the same way whichever firewall wrote it. Keys are assigned from the model before
 * lowering, carried in the IR by every log statement (`NftStatement` `log`, `IptTarget` `LOG`), and read
 * back from the IR by `emitHost` into `CompiledHost.logKeys`.
 *
 * - The default drop of each chain logs (when `logDrops.enabled`) under key `default`.
 * - A rule logs when it drops or rejects (when `logDrops.enabled`) or says `log: true`: key `r<N>`, N
 *   counting the host's logging rules from 1, input chain first, in chain order.
 */
import { type LogKey, logPrefix } from '../build/compiled-host.js';
import type { BaselineSettings, Direction, HostModel, ResolvedRule } from '../model/index.js';
import { assertNever, type IptRuleset, type NftRuleset } from './ir.js';

/**
 * Burst of every log rate limit (the rate is `logDrops.ratePerMinute`, 600 a minute by default). With
 * 10 a second and a burst of 20, a port scan (hundreds of probes a second) shows its first 20 probes at
 * once and 10 more every second: the source and the ports probed are visible within seconds, while a
 * flood writes at most 600 lines a minute per logging rule.
 */
export const LOG_BURST = 20;

export interface HostLogKeys {
  /** The default drop's key per direction; absent when `logDrops.enabled` is false. */
  defaults?: Record<Direction, LogKey>;
  /** The key of a logging rule of the host, or undefined when the rule does not log. */
  rule(rule: ResolvedRule): LogKey | undefined;
}

/** Whether a rule's packets are logged: drops and rejects when drop logging is on, and `log: true`. */
export function ruleLogs(rule: ResolvedRule, baseline: BaselineSettings): boolean {
  switch (rule.action) {
    case 'accept':
      return rule.log;
    case 'drop':
    case 'reject':
      return rule.log || baseline.logDrops.enabled;
    default:
      return assertNever(rule.action, 'action');
  }
}

/** The host's log keys, numbered over its input rules then its output rules. */
export function hostLogKeys(host: HostModel, baseline: BaselineSettings): HostLogKeys {
  const byRule = new Map<ResolvedRule, LogKey>();
  let n = 0;
  for (const rule of [...host.input, ...host.output]) {
    if (!ruleLogs(rule, baseline)) continue;
    const key = `r${++n}`;
    byRule.set(rule, { key, direction: rule.direction, kind: 'rule', prefix: logPrefix(rule.direction, key), service: rule.service, ruleId: rule.id, action: rule.action });
  }
  const defaultKey = (direction: Direction): LogKey => ({ key: 'default', direction, kind: 'default', prefix: logPrefix(direction, 'default'), action: 'drop' });
  return {
    ...(baseline.logDrops.enabled ? { defaults: { ingress: defaultKey('ingress'), egress: defaultKey('egress') } } : {}),
    rule: (rule) => byRule.get(rule),
  };
}

const keyOrder = (a: LogKey, b: LogKey): number =>
  (a.direction === b.direction ? 0 : a.direction === 'ingress' ? -1 : 1) ||
  (a.kind === b.kind ? 0 : a.kind === 'default' ? -1 : 1) ||
  Number(a.key.slice(1)) - Number(b.key.slice(1));

/** Each key once (by prefix): ingress first, the default drop first, then rules by number. */
function distinct(keys: Iterable<LogKey>): LogKey[] {
  const byPrefix = new Map<string, LogKey>();
  for (const key of keys) if (!byPrefix.has(key.prefix)) byPrefix.set(key.prefix, key);
  return [...byPrefix.values()].sort(keyOrder);
}

/** The keys the `log` statements of an nftables ruleset carry. */
export function nftLogKeys(ruleset: NftRuleset): LogKey[] {
  return distinct(ruleset.table.chains.flatMap((chain) => chain.rules.flatMap((rule) => rule.statements.flatMap((s) => (s.kind === 'log' ? [s.key] : [])))));
}

/** The keys the `LOG` targets of iptables rulesets carry (both families together). */
export function iptLogKeys(...rulesets: IptRuleset[]): LogKey[] {
  return distinct(rulesets.flatMap((ruleset) => ruleset.rules.flatMap((rule) => (rule.target.kind === 'LOG' ? [rule.target.key] : []))));
}

/** Keys of several backends' rulesets of one host, merged (they agree; see hostLogKeys). */
export function mergeLogKeys(...lists: LogKey[][]): LogKey[] {
  return distinct(lists.flat());
}
