import type { LintContext } from '../rule.js';
import { hostList } from '../rule-views.js';
import type { AnomalyKind, RuleAnomaly } from './index.js';

const MAX_RELATED = 10;

/** Reports the fleet's anomalies of one kind: once per policy rule, naming the hosts and the rules involved. */
export function anomalyFindings<MessageId extends string>(
  context: LintContext<Record<string, never>, MessageId>,
  kind: AnomalyKind,
  describe: (anomaly: RuleAnomaly) => { messageId: MessageId; relatedMessage: string },
): void {
  for (const anomaly of context.anomalies().anomalies) {
    if (anomaly.kind !== kind) continue;
    const { messageId, relatedMessage } = describe(anomaly);
    const others = anomaly.others.map((o) => `\`${o.id}\``);
    context.report({
      messageId,
      data: {
        rule: anomaly.rule.id,
        hosts: hostList(anomaly.hosts.map((name) => ({ name }))),
        others: others.length > 3 ? `${others.slice(0, 3).join(', ')} and ${others.length - 3} more` : others.join(', '),
      },
      span: anomaly.rule.span,
      related: anomaly.others.slice(0, MAX_RELATED).map((o) => ({ message: `${relatedMessage} \`${o.id}\``, span: o.span })),
    });
  }
}
