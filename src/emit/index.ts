/**
 * The emit stage: one host's resolved model to ruleset text, through the target IR.
 * Pure and deterministic: the same model gives the same bytes.
 */
import type { Backend, CompiledRuleset, LogKey } from '../build/compiled-host.js';
import { chainSize, type HostAccess, hostAccess } from '../access/index.js';
import type { BaselineSettings, HostModel } from '../model/index.js';
import { printIptables } from './ipt-print.js';
import { lowerIptables } from './iptables.js';
import { iptLogKeys, mergeLogKeys, nftLogKeys } from './log-keys.js';
import { printNftables } from './nft-print.js';
import { lowerNftables } from './nftables.js';

export { lowerIptables } from './iptables.js';
export { lowerNftables } from './nftables.js';
export { printIptables } from './ipt-print.js';
export { printNftables } from './nft-print.js';
export { hostLogKeys } from './log-keys.js';

export interface EmitStats {
  /** Policy rules of the host (input and output). */
  policyRules: number;
  /** nftables: rules in chains plus map elements; iptables: rule lines of both families. */
  emittedRules: number;
  /** nftables: named sets and maps; iptables: chains of ours (per family). */
  sets: number;
  /** Regions of the access model (both chains, both families) the maps are printed from. */
  regions: number;
  /** Most ordered layers any map shape needed (1 unless rules interact heavily; see src/access/layers.ts). */
  layers: number;
}

export interface EmittedHost {
  ruleset: CompiledRuleset;
  stats: Partial<Record<Backend, EmitStats>>;
  /** The log keys each backend's IR carries (the same keys on both; see log-keys.ts). */
  logKeys: Partial<Record<Backend, LogKey[]>>;
}

/** Emits the host's ruleset for each requested backend. */
export function emitHost(host: HostModel, baseline: BaselineSettings, backends: readonly Backend[], access: HostAccess = hostAccess(host, baseline)): EmittedHost {
  const ruleset: CompiledRuleset = {};
  const stats: EmittedHost['stats'] = {};
  const logKeys: EmittedHost['logKeys'] = {};
  const policyRules = host.input.length + host.output.length;
  const ingress = chainSize(access.ingress);
  const egress = chainSize(access.egress);
  const size = { regions: ingress.regions + egress.regions, layers: Math.max(ingress.layers, egress.layers) };
  for (const backend of backends) {
    switch (backend) {
      case 'nftables': {
        const ir = lowerNftables(host, baseline, access);
        ruleset.nft = printNftables(ir);
        const emittedRules = ir.table.chains.reduce((n, c) => n + c.rules.length, 0) + ir.table.sets.reduce((n, s) => n + (s.kind === 'vmap' ? s.elements.length : 0), 0);
        stats.nftables = { policyRules, emittedRules, sets: ir.table.sets.length, ...size };
        logKeys.nftables = nftLogKeys(ir);
        break;
      }
      case 'iptables': {
        const v4 = lowerIptables(host, baseline, 'ipv4');
        const v6 = lowerIptables(host, baseline, 'ipv6');
        ruleset.rulesV4 = printIptables(v4);
        ruleset.rulesV6 = printIptables(v6);
        stats.iptables = { policyRules, emittedRules: v4.rules.length + v6.rules.length, sets: 0, ...size };
        logKeys.iptables = iptLogKeys(v4, v6);
        break;
      }
      default: {
        const never: never = backend;
        throw new Error(`unexpected backend ${String(never)}`);
      }
    }
  }
  return { ruleset, stats, logKeys };
}

/** The keys of every emitted backend together (what `CompiledHost.logKeys` holds). */
export function emittedLogKeys(emitted: EmittedHost): LogKey[] {
  return mergeLogKeys(...Object.values(emitted.logKeys));
}
