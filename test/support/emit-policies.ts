/** Writes small policy directories for tests (JSON is valid YAML) and removes them. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { FleetModel, HostModel } from '../../src/model/index.js';
import { checkPolicies } from '../../src/pipeline.js';

export interface RuleSpec {
  from?: string | string[];
  to?: string | string[];
  ports?: string[];
  action?: 'accept' | 'drop' | 'reject';
  log?: boolean;
  description?: string;
}

export interface ServiceSpec {
  service: string;
  hosts: string[];
  ingress?: RuleSpec[];
  egress?: RuleSpec[];
}

export interface PolicySpec {
  hosts: Record<string, { addresses: string[]; backend: 'nftables' | 'iptables'; ssh?: { allowFrom?: string[] } }>;
  services: ServiceSpec[];
  networks?: Record<string, { include: string[] }>;
  /** Overrides of the fleet defaults below, e.g. `{ icmp: 'none' }`. */
  defaults?: Partial<(typeof DEFAULTS)['defaults']>;
  /** `blocklist.yaml`'s entries (each gets a reason, a day and an author). */
  blocklist?: string[][];
}

export const DEFAULTS = {
  defaults: { established: true, loopback: true, icmp: 'essential', logDrops: { enabled: true, ratePerMinute: 10 } },
};

export async function writePolicyDir(spec: PolicySpec): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'benteng-emit-'));
  await mkdir(path.join(dir, 'services'));
  await writeFile(path.join(dir, 'hosts.yaml'), JSON.stringify({ hosts: spec.hosts }, null, 2));
  await writeFile(path.join(dir, 'defaults.yaml'), JSON.stringify({ defaults: { ...DEFAULTS.defaults, ...spec.defaults } }, null, 2));
  if (spec.networks) await writeFile(path.join(dir, 'networks.yaml'), JSON.stringify({ networks: spec.networks }, null, 2));
  if (spec.blocklist) {
    const blocklist = spec.blocklist.map((addresses, i) => ({ addresses, reason: `test block ${i}`, added: '2026-11-20', by: 'test' }));
    await writeFile(path.join(dir, 'blocklist.yaml'), JSON.stringify({ blocklist }, null, 2));
  }
  for (const s of spec.services) {
    const doc = { service: s.service, owners: ['A <a@city.example>', 'B <b@city.example>'], hosts: s.hosts, ...(s.ingress ? { ingress: s.ingress } : {}), ...(s.egress ? { egress: s.egress } : {}) };
    await writeFile(path.join(dir, 'services', `${s.service}.yaml`), JSON.stringify(doc, null, 2));
  }
  return dir;
}

export async function removePolicyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Writes the policy, runs the front of the pipeline without lint (random policies are often ones lint
 * rightly refuses), asserts it resolved without errors, and hands its one host to `use`; the directory
 * is removed whatever happens.
 */
export async function withResolvedHost(spec: PolicySpec, use: (host: HostModel, model: FleetModel) => Promise<void> | void): Promise<void> {
  const dir = await writePolicyDir(spec);
  try {
    const checked = await checkPolicies(dir, { lint: false });
    expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const model = checked.model!;
    await use(model.hosts[0]!, model);
  } finally {
    await removePolicyDir(dir);
  }
}
