import type { LintRule } from '../rule.js';
import adminPortOutsideAdmin from './admin-port-outside-admin.js';
import anomalyAnalysisIncomplete from './anomaly-analysis-incomplete.js';
import anyToAnyAccept from './any-to-any-accept.js';
import blocklistExpired from './blocklist-expired.js';
import blocklistLockout from './blocklist-lockout.js';
import blocklistTooWide from './blocklist-too-wide.js';
import correlatedRules from './correlated-rules.js';
import crossServiceConsistency from './cross-service-consistency.js';
import familyParity from './family-parity.js';
import overriddenRule from './overridden-rule.js';
import redundantRule from './redundant-rule.js';
import ruleExpired from './rule-expired.js';
import ruleExpiring from './rule-expiring.js';
import sensitivePortInternet from './sensitive-port-internet.js';
import serviceDescription from './service-description.js';
import serviceOwners from './service-owners.js';
import shadowedRule from './shadowed-rule.js';
import sshLockout from './ssh-lockout.js';
import suppressionMissingReason from './suppression-missing-reason.js';
import unrestrictedEgress from './unrestricted-egress.js';
import unusedNetwork from './unused-network.js';
import unusedPortSet from './unused-port-set.js';
import unusedSuppression from './unused-suppression.js';
import widePortRange from './wide-port-range.js';

/** Every lint rule, sorted by id: the one registry the engine, the config, the docs and SARIF read. */
export const LINT_RULES: ReadonlyArray<LintRule<any, string>> = [
  adminPortOutsideAdmin,
  anomalyAnalysisIncomplete,
  anyToAnyAccept,
  blocklistExpired,
  blocklistLockout,
  blocklistTooWide,
  correlatedRules,
  crossServiceConsistency,
  familyParity,
  overriddenRule,
  redundantRule,
  ruleExpired,
  ruleExpiring,
  sensitivePortInternet,
  serviceDescription,
  serviceOwners,
  shadowedRule,
  sshLockout,
  suppressionMissingReason,
  unrestrictedEgress,
  unusedNetwork,
  unusedPortSet,
  unusedSuppression,
  widePortRange,
];

export function lintRule(id: string): LintRule<any, string> | undefined {
  return LINT_RULES.find((r) => r.meta.id === id);
}
