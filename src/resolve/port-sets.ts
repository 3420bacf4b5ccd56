import type { ProtocolMatch } from '../model/index.js';
import type { PathSegment } from '../load/index.js';
import type { PolicySet } from '../policy/index.js';
import type { Span } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { mergePortRanges, parsePortSpec, type PortSpec } from '../net/port.js';
import type { ResolveContext } from './context.js';

type ConcreteSpec = Exclude<PortSpec, { kind: 'name' }>;

/**
 * Resolves port specs and named port sets (`policies/ports.yaml`) to concrete protocol matches,
 * flattening nested sets and reporting unknown names and cycles.
 */
export class PortSetResolver {
  private readonly resolved = new Map<string, ConcreteSpec[]>();
  private readonly inProgress = new Set<string>();

  constructor(
    private readonly policy: PolicySet,
    private readonly context: ResolveContext,
  ) {}

  private definitionSpan(name: string): Span | undefined {
    return this.policy.ports?.source.spanOf(['ports', name], 'key');
  }

  /**
   * Expands one spec written at `spanAt()` (computed only when a problem is reported); an unknown or
   * cyclic name yields nothing (and a diagnostic).
   */
  expand(text: string, spanAt: () => Span): ConcreteSpec[] {
    const parsed = parsePortSpec(text);
    if (!parsed.ok) return [];
    if (parsed.value.kind !== 'name') return [parsed.value];
    const name = parsed.value.name;
    this.context.usedPortSets.add(name);
    const cached = this.resolved.get(name);
    if (cached) return cached;
    const definition = this.policy.ports?.data.ports[name];
    if (!definition) {
      const known = Object.keys(this.policy.ports?.data.ports ?? {});
      this.context.report('unknown-reference', 'error', `unknown port set \`${name}\`${didYouMean(name, known)}`, spanAt());
      return [];
    }
    if (this.inProgress.has(name)) {
      const related = this.definitionSpan(name);
      this.context.report(
        'reference-cycle',
        'error',
        `port set \`${name}\` refers back to itself`,
        spanAt(),
        related ? [{ message: `\`${name}\` is defined here`, span: related }] : [],
      );
      return [];
    }
    this.inProgress.add(name);
    const specs = definition.flatMap((item, i) => this.expand(item, () => this.policy.ports!.source.spanOf(['ports', name, i])));
    this.inProgress.delete(name);
    this.resolved.set(name, specs);
    return specs;
  }

  /** The normalised protocol matches of a rule's `ports` (absent: every protocol). */
  resolveRulePorts(ports: readonly string[] | undefined, spanAt: (path: PathSegment[]) => Span): ProtocolMatch[] {
    if (!ports) return [{ protocol: 'any' }];
    return normalizeProtocols(ports.flatMap((text, i) => this.expand(text, () => spanAt(['ports', i]))));
  }
}

/** One match per protocol, in a fixed order (tcp, udp, icmp, icmpv6), ranges merged, types sorted. */
export function normalizeProtocols(specs: readonly ConcreteSpec[]): ProtocolMatch[] {
  const out: ProtocolMatch[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const ranges = specs.flatMap((s) => (s.kind === 'transport' && s.protocol === protocol ? [{ from: s.from, to: s.to }] : []));
    if (ranges.length > 0) out.push({ protocol, ports: mergePortRanges(ranges) });
  }
  for (const protocol of ['icmp', 'icmpv6'] as const) {
    const icmp = specs.filter((s): s is Extract<ConcreteSpec, { kind: 'icmp' }> => s.kind === 'icmp' && s.protocol === protocol);
    if (icmp.length === 0) continue;
    if (icmp.some((s) => s.type === undefined)) out.push({ protocol, types: 'any' });
    else out.push({ protocol, types: [...new Set(icmp.map((s) => s.type!))].sort((a, b) => a - b) });
  }
  return out;
}
