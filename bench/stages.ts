/**
 * The pipeline stages the benchmark times in-process, each a named step over a shared state, in the
 * order `benteng build` runs them (the access model is its own stage here, shared by lint and emit as
 * in the pipeline). A stage that cannot run yet carries `unavailable` (the harness then
 * reports "not yet available" instead of failing).
 */
import { ACCESS_CLASSES, FleetAccess } from '../src/access/index.js';
import type { Backend } from '../src/build/compiled-host.js';
import { emitHost } from '../src/emit/index.js';
import { lintPolicy, loadLintConfig } from '../src/lint/index.js';
import { type LoadedPolicies, loadPolicies } from '../src/load/index.js';
import type { FleetModel } from '../src/model/index.js';
import type { PolicySet } from '../src/policy/index.js';
import { resolvePolicy } from '../src/resolve/index.js';
import { validatePolicies } from '../src/validate/index.js';

export interface StageState {
  dir: string;
  today: string;
  loaded?: LoadedPolicies;
  policy?: PolicySet;
  model?: FleetModel;
  /** The access model, every class of every host built by the `access` stage and shared by lint and emit. */
  access?: FleetAccess;
  /** Text emitted per backend (every host, whatever its own backend), kept for sizes and the kernel. */
  emitted: { nftables: Map<string, string>; iptablesV4: Map<string, string>; iptablesV6: Map<string, string> };
  /** Diagnostic counts by severity of the stages run so far. */
  counts: { error: number; warning: number; info: number };
  /** Lint findings by rule id (the last run's). */
  lintCodes: Map<string, number>;
}

export interface Stage {
  name: string;
  /** Why the stage cannot run, when it cannot. */
  unavailable?: string;
  run(state: StageState): Promise<void> | void;
}

function count(state: StageState, diagnostics: ReadonlyArray<{ severity: string }>): void {
  for (const d of diagnostics) {
    if (d.severity === 'error' || d.severity === 'warning' || d.severity === 'info') state.counts[d.severity]++;
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`benchmark: ${what} is missing (an earlier stage failed)`);
  return value;
}

function emitStage(backend: Backend): Stage {
  return {
    name: `emit ${backend}`,
    run(state) {
      const model = required(state.model, 'the model');
      for (const host of model.hosts) {
        const { ruleset } = emitHost(host, model.baseline, [backend], state.access?.host(host));
        if (backend === 'nftables') state.emitted.nftables.set(host.name, ruleset.nft!);
        else {
          state.emitted.iptablesV4.set(host.name, ruleset.rulesV4!);
          state.emitted.iptablesV6.set(host.name, ruleset.rulesV6!);
        }
      }
    },
  };
}

/** The stages in pipeline order. */
export function pipelineStages(): Stage[] {
  return [
    {
      name: 'load',
      async run(state) {
        state.loaded = await loadPolicies(state.dir);
        count(state, state.loaded.diagnostics);
      },
    },
    {
      name: 'validate',
      run(state) {
        const validated = validatePolicies(required(state.loaded, 'the loaded policies'));
        count(state, validated.diagnostics);
        state.policy = required(validated.policy, 'the validated policy');
      },
    },
    {
      name: 'resolve',
      run(state) {
        const resolved = resolvePolicy(required(state.policy, 'the validated policy'), { today: state.today });
        count(state, resolved.diagnostics);
        state.model = resolved.model;
      },
    },
    {
      name: 'access',
      run(state) {
        const access = new FleetAccess(required(state.model, 'the model'));
        for (const host of state.model!.hosts) {
          const { ingress, egress } = access.host(host);
          for (const chain of [ingress, egress]) for (const family of ['ipv4', 'ipv6'] as const) for (const cls of ACCESS_CLASSES) void chain.families[family].classes[cls].layers;
        }
        state.access = access;
      },
    },
    {
      name: 'lint',
      async run(state) {
        const config = await loadLintConfig(state.dir);
        count(state, config.diagnostics);
        const sources = new Map(required(state.loaded, 'the loaded policies').documents.map((d) => [d.source.file, d.source.text]));
        const findings = lintPolicy({ policy: required(state.policy, 'the validated policy'), model: required(state.model, 'the model'), config: config.config, sources, ...(state.access ? { access: state.access } : {}) });
        count(state, findings);
        state.lintCodes = new Map();
        for (const f of findings) state.lintCodes.set(`${f.severity} ${f.code}`, (state.lintCodes.get(`${f.severity} ${f.code}`) ?? 0) + 1);
      },
    },
    emitStage('nftables'),
    emitStage('iptables'),
  ];
}

export function freshState(dir: string, today: string): StageState {
  return {
    dir,
    today,
    emitted: { nftables: new Map(), iptablesV4: new Map(), iptablesV6: new Map() },
    counts: { error: 0, warning: 0, info: 0 },
    lintCodes: new Map(),
  };
}

/** Resolved rules of the model: the sum over hosts of input and output rules. */
export function resolvedRuleCount(model: FleetModel): number {
  return model.hosts.reduce((n, h) => n + h.input.length + h.output.length, 0);
}
