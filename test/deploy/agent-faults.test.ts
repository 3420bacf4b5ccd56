import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledRuleset } from '../../src/build/compiled-host.js';
import { frameRuleset } from '../../src/deploy/agent/protocol.js';
import { AGENT_PATH } from '../../src/deploy/agent/script.js';
import { createAgentBox, eventually, type AgentBox } from './agent-box.js';
import { kernelTestsEnabled } from './fixture.js';
import { rulesets } from './rulesets.js';

/**
 * The faults of the deploy-hardening issue, reproduced against the agent itself (real nft/iptables in
 * a namespace, real detached timers): full state filesystem, a lock race, clock steps, a dead timer,
 * a stale lock, the systemd-run path (against a stub that records its arguments: these machines run no
 * systemd), and a 1 s confirm timeout with a large ruleset.
 */
const enabled = kernelTestsEnabled();
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const elapsed = (since: number) => performance.now() - since;

function persistPaths(box: AgentBox): string[] {
  return ['etc/nftables.d/benteng.nft', 'etc/nftables.conf', 'etc/iptables/rules.v4', 'etc/iptables/rules.v6'].map((p) => join(box.dir, p));
}

async function stage(box: AgentBox, id: string, ruleset: CompiledRuleset, lease = '120') {
  const begun = await box.run('begin', [id, lease, box.backend]);
  expect(begun.code, begun.stdout).toBe(0);
  const framed = frameRuleset(box.backend, ruleset);
  if (!framed.ok) throw new Error(framed.error.message);
  const put = await box.run('put', [id], { stdin: framed.value });
  expect(put.code, put.stdout).toBe(0);
}

const applyArgs = (box: AgentBox, id: string, timeout: number, timer = 'setsid') => [id, String(timeout), timer, 'deploy', 'none', ...persistPaths(box)];

describe.runIf(enabled)('shellcheck', () => {
  it('the agent is shellcheck clean (POSIX sh)', async () => {
    const r = await execa('shellcheck', ['-s', 'sh', fileURLToPath(AGENT_PATH)], { reject: false });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});

describe.runIf(enabled).each(['nftables', 'iptables'] as const)('agent faults (%s)', (backend) => {
  const rs = rulesets(backend);
  let box: AgentBox | undefined;
  let free: (() => void) | undefined;
  afterEach(async () => {
    free?.();
    free = undefined;
    await box?.cleanup();
    box = undefined;
  });

  it('a full state filesystem: the deploy is refused before the firewall is touched', async () => {
    box = await createAgentBox(backend, { tmpfsKb: 4096 });
    expect((await box.deploy(rs.allowSsh)).confirm?.code).toBe(0);
    const before = await box.liveHash();
    free = await box.fill(300);
    await stage(box, 'full-1', rs.allowSshV2);
    const apply = await box.run('apply', applyArgs(box, 'full-1', 600));
    expect(apply.code).toBe(65);
    expect(apply.output.values.get('error')?.[0]).toMatch(/the state filesystem has \d+ KiB free, the deploy needs \d+ KiB; nothing was applied/);
    expect(await box.liveHash()).toBe(before);
    expect(box.leftovers()).toEqual([]);
    free();
    free = undefined;
    const next = await box.deploy(rs.allowSshV2);
    expect(next.confirm?.code, next.apply.stdout).toBe(0);
  });

  it('the state filesystem fills right after apply: the timer still rolls back, and the record is written once there is space', async () => {
    box = await createAgentBox(backend, { tmpfsKb: 4096 });
    expect((await box.deploy(rs.allowSsh)).confirm?.code).toBe(0);
    const before = await box.liveHash();
    await stage(box, 'full-2', rs.blocksSsh);
    const apply = await box.run('apply', applyArgs(box, 'full-2', 2));
    expect(apply.code, apply.stdout).toBe(0);
    const applied = performance.now();
    free = await box.fill(0);
    // Done when the outcome directory (the audit append fails on the full disk) or a record is there.
    const settled = async () => ['rolled-back', 'decided'].includes((await box!.run('result', ['full-2', backend])).output.values.get('state')?.[0] ?? '');
    expect(await eventually(settled, 6000)).toBe(true);
    expect(elapsed(applied)).toBeLessThan((2 + 2) * 1000 + 1500);
    expect(await box.liveHash()).toBe(before);
    free();
    free = undefined;
    const recovered = await box.run('recover');
    expect(recovered.code).toBe(0);
    expect(box.audit().filter((r) => r.id === 'full-2').map((r) => [r.outcome, r.reason])).toEqual([['rolled-back', 'confirm-timeout']]);
    expect(box.leftovers()).toEqual([]);
  });

  it('a confirm on a full disk keeps the old history intact (no empty copies)', async () => {
    box = await createAgentBox(backend, { tmpfsKb: 4096 });
    expect((await box.deploy(rs.allowSsh)).confirm?.code).toBe(0);
    const historyFile = join(box.state, 'history', 'current', backend === 'nftables' ? 'nft' : 'v4');
    const kept = readFileSync(historyFile, 'utf8');
    expect(kept.length).toBeGreaterThan(0);
    await stage(box, 'full-3', rs.allowSshV2);
    expect((await box.run('apply', applyArgs(box, 'full-3', 600))).code).toBe(0);
    free = await box.fill(0);
    const confirm = await box.run('confirm', ['full-3']);
    expect(confirm.code, confirm.stdout).toBe(0);
    expect(await box.liveHash()).toBe(await box.renderHash(rs.allowSshV2));
    expect(readFileSync(historyFile, 'utf8')).toBe(kept);
    free();
    free = undefined;
    await box.run('recover');
    expect(box.audit().filter((r) => r.id === 'full-3').map((r) => r.outcome)).toEqual(['confirmed']);
  });

  it('two simultaneous begins: exactly one takes the lock, every time', async () => {
    box = await createAgentBox(backend);
    for (let round = 0; round < 15; round++) {
      const [a, b] = await Promise.all([box.run('begin', [`race-a${round}`, '120', backend]), box.run('begin', [`race-b${round}`, '120', backend])]);
      expect([a.code, b.code].sort()).toEqual([0, 75]);
      const loser = a.code === 75 ? a : b;
      expect(loser.output.values.get('locked-by')?.[0]).toMatch(/user=tester client=203\.0\.113\.9 pid=\d+ since=\S+ id=race-[ab]\d+/);
      const winner = a.code === 0 ? `race-a${round}` : `race-b${round}`;
      expect((await box.run('abort', [winner])).code).toBe(0);
    }
  });

  it('the server clock steps back 60 s while pending: the rollback still comes on time', async () => {
    box = await createAgentBox(backend);
    expect((await box.deploy(rs.allowSsh)).confirm?.code).toBe(0);
    const before = await box.liveHash();
    const clockFile = join(box.dir, 'faketime');
    writeFileSync(clockFile, '+0\n');
    const env = { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1' };
    await stage(box, 'clock-1', rs.blocksSsh);
    const apply = await box.run('apply', applyArgs(box, 'clock-1', 3), { env });
    expect(apply.code, apply.stdout).toBe(0);
    const applied = performance.now();
    writeFileSync(clockFile, '-60s\n');
    expect(await eventually(() => box!.audit().some((r) => r.id === 'clock-1'), 8000)).toBe(true);
    expect(elapsed(applied)).toBeLessThan((3 + 2) * 1000);
    expect(box.audit().at(-1)).toMatchObject({ id: 'clock-1', outcome: 'rolled-back', reason: 'confirm-timeout' });
    expect(await box.liveHash()).toBe(before);
  });

  it('the server clock steps forward an hour while pending: no early rollback, the confirm wins', async () => {
    box = await createAgentBox(backend);
    const clockFile = join(box.dir, 'faketime');
    writeFileSync(clockFile, '+0\n');
    const env = { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1' };
    await stage(box, 'clock-2', rs.allowSshV2);
    expect((await box.run('apply', applyArgs(box, 'clock-2', 5), { env })).code).toBe(0);
    writeFileSync(clockFile, '+3600s\n');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await box.run('result', ['clock-2', backend])).output.values.get('state')?.[0]).toBe('pending');
    const confirm = await box.run('confirm', ['clock-2'], { env });
    expect(confirm.code, confirm.stdout).toBe(0);
  });

  it('a timer killed without a reboot: the next agent call rolls the deploy back and says so', async () => {
    box = await createAgentBox(backend);
    expect((await box.deploy(rs.allowSsh)).confirm?.code).toBe(0);
    const before = await box.liveHash();
    await stage(box, 'lost-1', rs.allowSshV2);
    expect((await box.run('apply', applyArgs(box, 'lost-1', 600))).code).toBe(0);
    await box.killAll();
    const status = await box.run('status', [backend, '5']);
    expect(status.output.values.get('pending')?.[0]).toMatch(/^lost-1 seconds-left=(\d+|unknown) timer=gone/);
    const begun = await box.run('begin', ['after-1', '120', backend]);
    expect(begun.code, begun.stdout).toBe(0);
    expect(begun.output.values.get('recovered')).toEqual(['rolled back deploy lost-1 (timer-lost)']);
    expect(await box.liveHash()).toBe(before);
    expect(box.audit().filter((r) => r.id === 'lost-1').map((r) => [r.outcome, r.reason])).toEqual([['rolled-back', 'timer-lost']]);
  });

  it('a lock whose deploy stopped before applying is taken over after its lease, naming it', async () => {
    box = await createAgentBox(backend);
    await stage(box, 'stale-1', rs.allowSsh, '1');
    const refused = await box.run('begin', ['stale-2', '120', backend]);
    expect(refused.code).toBe(75);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const taken = await box.run('begin', ['stale-2', '120', backend]);
    expect(taken.code, taken.stdout).toBe(0);
    expect(taken.output.values.get('recovered')?.[0]).toMatch(/^took over a lock whose deploy stopped before applying \(lease expired\): user=tester .* id=stale-1$/);
    expect(box.audit().at(-1)).toMatchObject({ id: 'stale-1', outcome: 'abandoned', reason: 'lock-taken-over' });
  });

  it('status on a host never deployed says so and creates nothing', async () => {
    box = await createAgentBox(backend);
    const fresh = join(box.dir, 'never');
    const r = await box.run('status', [backend, '5'].map((a) => a), {});
    expect(r.output.values.get('deployed')).toEqual(['no']);
    const elsewhere = await execa('ip', ['netns', 'exec', box.ns, 'sh', fileURLToPath(AGENT_PATH), 'status', fresh, backend, '5'], { reject: false });
    expect(elsewhere.exitCode).toBe(0);
    expect(elsewhere.stdout).toMatch(/^deployed=no$/m);
    expect(existsSync(fresh)).toBe(false);
  });

  it('the systemd-run path (stub recording its arguments): arms a transient unit, rolls back, installs the boot unit', async () => {
    box = await createAgentBox(backend);
    const stubs = join(box.dir, 'stubs');
    const log = join(box.dir, 'systemd-run.log');
    mkdirSync(stubs);
    writeFileSync(
      join(stubs, 'systemd-run'),
      `#!/bin/sh\necho "$*" >> ${log}\nwhile [ $# -gt 0 ]; do case $1 in --unit) shift 2 ;; --*) shift ;; *) break ;; esac; done\nexec setsid -f "$@" </dev/null >/dev/null 2>&1\n`,
    );
    writeFileSync(join(stubs, 'systemctl'), '#!/bin/sh\n[ "$1" = is-system-running ] && echo running\nexit 0\n');
    for (const f of ['systemd-run', 'systemctl']) chmodSync(join(stubs, f), 0o755);
    const units = join(box.dir, 'systemd');
    const env = { BENTENG_AGENT_PATH_PREFIX: stubs, BENTENG_AGENT_SYSTEMD_DIR: units };

    expect((await box.deploy(rs.allowSsh, { timer: 'auto', applyEnv: env, confirmEnv: env })).confirm?.code).toBe(0);
    const before = await box.liveHash();
    await stage(box, 'sysd-1', rs.allowSshV2);
    const apply = await box.run('apply', applyArgs(box, 'sysd-1', 2, 'auto'), { env });
    expect(apply.code, apply.stdout).toBe(0);
    expect(apply.output.values.get('timer')).toEqual(['systemd']);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls.at(-1)).toBe(`--quiet --collect --unit benteng-rollback-sysd-1 /bin/sh ${box.state}/pending.sysd-1/agent.sh timer ${box.state} sysd-1`);
    expect(await eventually(() => box!.audit().some((r) => r.id === 'sysd-1'), 6000)).toBe(true);
    expect(box.audit().at(-1)).toMatchObject({ id: 'sysd-1', outcome: 'rolled-back', reason: 'confirm-timeout' });
    expect(await box.liveHash()).toBe(before);

    const unit = readFileSync(join(units, 'benteng-agent-boot.service'), 'utf8');
    expect(unit).toContain(`ExecStart=/bin/sh ${box.state}/agent.sh boot ${box.state}`);
    expect(readlinkSync(join(units, 'multi-user.target.wants', 'benteng-agent-boot.service'))).toBe('../benteng-agent-boot.service');

    writeFileSync(join(stubs, 'systemd-run'), '#!/bin/sh\nexit 1\n');
    await stage(box, 'sysd-2', rs.allowSshV2);
    const refused = await box.run('apply', applyArgs(box, 'sysd-2', 2, 'systemd'), { env });
    expect(refused.code).toBe(69);
    expect(refused.output.values.get('error')?.[0]).toBe('cannot arm the rollback timer (systemd); nothing was applied');
    expect(await box.liveHash()).toBe(before);
    expect(box.leftovers()).toEqual([]);
  });
});

describe.runIf(enabled)('agent: a 1 s confirm timeout with a large iptables ruleset', () => {
  let box: AgentBox | undefined;
  afterEach(async () => {
    await box?.cleanup();
    box = undefined;
  });

  it('the timer never fires during the apply; the confirm right after it wins; no mix of rulesets', async () => {
    box = await createAgentBox('iptables');
    const rs = rulesets('iptables');
    expect((await box.deploy(rs.allowSsh)).confirm?.code).toBe(0);
    const many = (family: 4 | 6) => {
      const rules = ['-A BENTENG-INPUT -p tcp --dport 22 -j ACCEPT'];
      for (let i = 0; i < 20000; i++) {
        const src = family === 4 ? `198.51.${100 + (i >> 8) % 4}.${i & 255}/32` : `2001:db8:${(i >> 8).toString(16)}::${(i & 255).toString(16)}/128`;
        rules.push(`-A BENTENG-INPUT -s ${src} -p tcp --dport ${1024 + (i % 50000)} -j ACCEPT`);
      }
      return `*filter\n:BENTENG-INPUT - [0:0]\n:BENTENG-BLOCK - [0:0]\n-I INPUT 1 -j BENTENG-INPUT\n-A BENTENG-INPUT -j BENTENG-BLOCK\n${rules.join('\n')}\nCOMMIT\n`;
    };
    const big = { rulesV4: many(4), rulesV6: many(6) };
    await stage(box, 'big-1', big);
    const apply = await box.run('apply', applyArgs(box, 'big-1', 1));
    expect(apply.code, apply.stdout).toBe(0);
    const confirm = await box.run('confirm', ['big-1']);
    expect(confirm.code, confirm.stdout).toBe(0);
    expect(await box.liveHash()).toBe(await box.renderHash(big));
    expect(box.audit().at(-1)).toMatchObject({ id: 'big-1', outcome: 'confirmed' });
  });
});
