import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/build/compiled-host.js';
import { frameRuleset } from '../../src/deploy/agent/protocol.js';
import { createAgentBox, eventually, type AgentBox } from './agent-box.js';
import { kernelTestsEnabled } from './fixture.js';
import { rulesets } from './rulesets.js';

/**
 * The crash table of docs/deploy.md, executed: the agent is SIGKILLed at each named step
 * (BENTENG_AGENT_CRASH_AT), then the machine "loses power" (every process in the namespace is killed,
 * so no timer survives) and `agent.sh boot` runs as at the next boot. Afterwards: nothing is left
 * half-done, the live ruleset is the old one (or the new one when the confirmation had been decided),
 * the audit log says what happened, and the next deploy goes through without manual cleanup.
 */
const enabled = kernelTestsEnabled();

type Where = 'begin' | 'put' | 'apply' | 'confirm' | 'timer';
interface Crash {
  point: string;
  where: Where;
  /** Which ruleset is live after recovery. */
  live: 'old' | 'new';
  /** Audit outcome recorded for the interrupted deploy ('none': it never got past the lock). */
  outcome: 'rolled-back' | 'confirmed' | 'lock-taken-over';
  backends?: Backend[];
}

const CRASHES: Crash[] = [
  { point: 'locked', where: 'begin', live: 'old', outcome: 'lock-taken-over' },
  { point: 'staged', where: 'put', live: 'old', outcome: 'lock-taken-over' },
  { point: 'checked', where: 'apply', live: 'old', outcome: 'lock-taken-over' },
  { point: 'saved', where: 'apply', live: 'old', outcome: 'lock-taken-over' },
  { point: 'pending', where: 'apply', live: 'old', outcome: 'rolled-back' },
  { point: 'armed', where: 'apply', live: 'old', outcome: 'rolled-back' },
  { point: 'applied-v4', where: 'apply', live: 'old', outcome: 'rolled-back', backends: ['iptables'] },
  { point: 'before-applied', where: 'apply', live: 'old', outcome: 'rolled-back' },
  { point: 'applied', where: 'apply', live: 'old', outcome: 'rolled-back' },
  { point: 'confirming', where: 'confirm', live: 'new', outcome: 'confirmed' },
  { point: 'persisted', where: 'confirm', live: 'new', outcome: 'confirmed' },
  { point: 'confirm-decided', where: 'confirm', live: 'new', outcome: 'confirmed' },
  { point: 'audited', where: 'confirm', live: 'new', outcome: 'confirmed' },
  { point: 'rollback-decided', where: 'timer', live: 'old', outcome: 'rolled-back' },
  { point: 'restored', where: 'timer', live: 'old', outcome: 'rolled-back' },
  { point: 'audited', where: 'timer', live: 'old', outcome: 'rolled-back' },
];

describe.runIf(enabled).each(['nftables', 'iptables'] as const)('agent crash table (%s)', (backend) => {
  const rs = rulesets(backend);
  let box: AgentBox | undefined;
  afterEach(async () => {
    await box?.cleanup();
    box = undefined;
  });

  const cases = CRASHES.filter((c) => !c.backends || c.backends.includes(backend));
  it.each(cases)('killed at $point during $where: recovered at boot', async (crash) => {
    box = await createAgentBox(backend);
    const old = await box.deploy(rs.allowSsh);
    expect(old.confirm?.code, old.confirm?.stdout).toBe(0);
    const oldHash = await box.liveHash();
    const newHash = await box.renderHash(rs.allowSshV2);
    expect(newHash).not.toBe(oldHash);

    const env = { BENTENG_AGENT_CRASH_AT: crash.point };
    const id = `crash-${crash.point}`;
    const frame = frameRuleset(backend, rs.allowSshV2);
    if (!frame.ok) throw new Error(frame.error.message);
    const framed = frame.value;
    let crashed: number | null | undefined;
    const begun = await box.run('begin', [id, '120', backend], crash.where === 'begin' ? { env } : {});
    if (crash.where === 'begin') crashed = begun.code;
    else {
      expect(begun.code).toBe(0);
      const put = await box.run('put', [id], { stdin: framed, ...(crash.where === 'put' ? { env } : {}) });
      if (crash.where === 'put') crashed = put.code;
      else {
        expect(put.code).toBe(0);
        const timeout = crash.where === 'timer' ? '1' : '600';
        const applyEnv = crash.where === 'apply' || crash.where === 'timer' ? env : {};
        const apply = await box.run('apply', [id, timeout, 'setsid', 'deploy', 'none', ...persistPaths(box)], { env: applyEnv });
        if (crash.where === 'apply') crashed = apply.code;
        if (crash.where === 'confirm') {
          expect(apply.code).toBe(0);
          crashed = (await box.run('confirm', [id], { env })).code;
        }
        if (crash.where === 'timer') {
          expect(apply.code).toBe(0);
          // The timer inherits the crash point and dies mid-rollback, leaving its state directory.
          expect(await eventually(() => box!.leftovers().some((e) => e.startsWith('roll')), 8000)).toBe(true);
          crashed = null;
        }
      }
    }
    expect(crashed, 'the agent was killed at the crash point (exit by SIGKILL)').toBeNull();
    await box.killAll();
    const boot = await box.run('boot');
    expect(boot.code, boot.stdout).toBe(0);

    expect(box.leftovers()).toEqual([]);
    expect(await box.liveHash()).toBe(crash.live === 'old' ? oldHash : newHash);
    const records = box.audit().filter((r) => r.id === id);
    expect(records.map((r) => r.outcome)).toEqual([crash.outcome === 'lock-taken-over' ? 'abandoned' : crash.outcome]);
    if (crash.outcome === 'lock-taken-over') expect(records[0]!.reason).toBe('lock-taken-over');

    const next = await box.deploy(rs.allowSshV2);
    expect(next.confirm?.code, `${next.apply.stdout}\n${next.confirm?.stdout}`).toBe(0);
    expect(await box.liveHash()).toBe(newHash);
    expect(box.leftovers()).toEqual([]);
  });
});

function persistPaths(box: AgentBox): string[] {
  return ['etc/nftables.d/benteng.nft', 'etc/nftables.conf', 'etc/iptables/rules.v4', 'etc/iptables/rules.v6'].map((p) => `${box.dir}/${p}`);
}

