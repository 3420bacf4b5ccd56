import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/build/compiled-host.js';
import { deployHost, rollbackHost, statusHost, type DeployProgress } from '../../src/deploy/index.js';
import { createTestHost, kernelTestsEnabled, stateDirEntries, type TestHost } from './fixture.js';
import { bigRuleset, rulesets } from './rulesets.js';

const TIMEOUT = 3;

/** The issue 5 acceptance scenarios against a real sshd in a namespace, for one backend. */
export function defineDeployScenarios(backend: Backend): void {
  const enabled = kernelTestsEnabled();
  const rs = rulesets(backend);

  describe.skipIf(!enabled)(`deploy over SSH (${backend})`, () => {
    let host: TestHost;
    beforeEach(async () => {
      host = await createTestHost(TIMEOUT);
    });
    afterEach(async () => {
      await host?.cleanup();
    });

    const liveHash = async () => {
      const status = await statusHost(host.target(rs.allowSsh, backend), host.options);
      expect(status.error).toBeUndefined();
      return status;
    };
    const deployBaseline = async () => {
      const report = await deployHost(host.target(rs.allowSsh, backend), host.options);
      expect(report.outcome, report.message).toBe('confirmed');
      return report;
    };

    it('happy path: applies, confirms over a new connection, persists and audits', async () => {
      const never = await statusHost(host.target(rs.allowSsh, backend), host.options);
      expect(never.state).toBe('not-deployed');
      expect(existsSync(host.options.server!.stateDir!)).toBe(false);
      const events: DeployProgress[] = [];
      const report = await deployHost(host.target(rs.allowSsh, backend), { ...host.options, commit: 'abc1234' }, (e) => events.push(e));
      expect(report.outcome, report.message).toBe('confirmed');
      expect(report.liveHash).toBe(report.newHash);
      expect(events.map((e) => e.step)).toEqual(expect.arrayContaining(['connected', 'locked', 'applied', 'confirming', 'confirmed']));
      for (const path of report.persisted ?? []) expect(existsSync(path)).toBe(true);
      if (backend === 'nftables') {
        expect(readFileSync(host.options.server!.nftPersistPath!, 'utf8')).toBe(rs.allowSsh.nft);
        expect(readFileSync(host.options.server!.nftConfPath!, 'utf8')).toContain(`include "${host.options.server!.nftPersistPath}"`);
        expect(report.bootUnit).toBe('nftables.service');
      } else {
        expect(readFileSync(host.options.server!.rulesV4Path!, 'utf8')).toContain('--dport 22 -j ACCEPT');
        expect(report.bootUnit).toBe('netfilter-persistent.service');
      }
      const status = await liveHash();
      expect(status.state).toBe('in-sync');
      expect(status.liveHash).toBe(status.compiledHash);
      const record = status.audit.at(-1)!;
      expect(record).toMatchObject({ outcome: 'confirmed', user: 'root', client: host.server.clientAddress, commit: 'abc1234', newHash: report.newHash });
      expect(stateDirEntries(host).filter((e) => /^(lock|tx\.|pending\.|decided\.)/.test(e))).toEqual([]);
    });

    it('dry run shows a diff and changes nothing', async () => {
      await deployBaseline();
      const before = await liveHash();
      const report = await deployHost(host.target(rs.allowSshV2, backend), { ...host.options, dryRun: true });
      expect(report.outcome).toBe('dry-run');
      expect(report.diff).toMatch(/^\+.*443/m);
      expect((await liveHash()).liveHash).toBe(before.liveHash);
    });

    it('a ruleset that blocks new SSH is rolled back by the server within timeout + 2 s', async () => {
      const baseline = await deployBaseline();
      let appliedAt = 0;
      const report = await deployHost(host.target(rs.blocksSsh, backend), host.options, (e) => {
        if (e.step === 'applied') appliedAt = Date.now();
      });
      expect(report.outcome).toBe('rolled-back');
      expect(report.message).toMatch(
        new RegExp(`while the existing session stayed up: the new rules block new SSH from ${host.server.clientAddress.replace(/\./g, '\\.')}; the server rolled back at \\d\\d:\\d\\d:\\d\\d UTC \\(server clock\\) because its timer expired`),
      );
      expect(report.liveHash).toBe(baseline.newHash);
      const rolledBack = Date.parse(report.rolledBackAt!);
      expect(rolledBack - appliedAt).toBeLessThanOrEqual((TIMEOUT + 2) * 1000 + 1000);
      const status = await liveHash();
      expect(status.liveHash).toBe(baseline.newHash);
      expect(status.audit.at(-1)).toMatchObject({ outcome: 'rolled-back', reason: 'confirm-timeout' });
    });

    it('the client SIGKILLed right after apply: the server rolls back on its own', async () => {
      const baseline = await deployBaseline();
      const job = join(host.dir, 'child.json');
      writeFileSync(job, JSON.stringify({ target: host.target(rs.allowSshV2, backend), options: host.options }));
      const childScript = fileURLToPath(new URL('./deploy-child.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', childScript, job], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          let buffered = '';
          child.stdout.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            if (buffered.includes('"step":"applied"')) {
              child.kill('SIGKILL');
              resolve();
            }
          });
          child.on('exit', () => reject(new Error(`child exited before apply: ${buffered}`)));
        });
        await new Promise((resolve) => setTimeout(resolve, (TIMEOUT + 2) * 1000));
        const status = await liveHash();
        expect(status.pending).toEqual([]);
        expect(status.liveHash).toBe(baseline.newHash);
        expect(status.audit.at(-1)).toMatchObject({ outcome: 'rolled-back', reason: 'confirm-timeout' });
      } finally {
        if (child.exitCode === null && child.pid) child.kill('SIGKILL');
      }
    });

    it('the link is cut after apply: rolled back, and access is back once the link is up', async () => {
      const baseline = await deployBaseline();
      const linkUp = () => execa('ip', ['link', 'set', host.server.vethHost, 'up'], { reject: false });
      let restore: NodeJS.Timeout | undefined;
      try {
        const report = await deployHost(host.target(rs.allowSshV2, backend), host.options, (e) => {
          if (e.step === 'applied') {
            void execa('ip', ['link', 'set', host.server.vethHost, 'down']);
            restore = setTimeout(() => void linkUp(), (TIMEOUT + 3) * 1000);
          }
        });
        expect(report.outcome).toBe('rolled-back');
        expect(report.message).toMatch(/and the existing session dropped too: the link or the host failed/);
        expect(report.message).not.toMatch(/block new SSH/);
        expect(report.liveHash).toBe(baseline.newHash);
      } finally {
        clearTimeout(restore);
        await linkUp();
      }
      const status = await liveHash();
      expect(status.liveHash).toBe(baseline.newHash);
      expect(status.state).toBe('in-sync');
    });

    it('a ruleset the kernel rejects changes nothing and releases the lock', async () => {
      const baseline = await deployBaseline();
      const report = await deployHost(host.target(rs.rejected, backend), host.options);
      expect(report.outcome).toBe('rejected');
      expect(report.message).toMatch(/rejected, nothing changed/);
      expect(report.message).not.toMatch(/\n\s+at /);
      expect(stateDirEntries(host).filter((e) => /^(lock|tx\.|pending\.)/.test(e))).toEqual([]);
      const status = await liveHash();
      expect(status.liveHash).toBe(baseline.newHash);
      expect(status.audit.at(-1)).toMatchObject({ id: report.deployId, outcome: 'rejected' });
      const again = await deployHost(host.target(rs.allowSshV2, backend), host.options);
      expect(again.outcome, again.message).toBe('confirmed');
    });

    it('two concurrent deploys: one wins, the other is refused naming the holder', async () => {
      const [a, b] = await Promise.all([
        deployHost(host.target(rs.allowSsh, backend), host.options),
        deployHost(host.target(rs.allowSshV2, backend), host.options),
      ]);
      const outcomes = [a.outcome, b.outcome].sort();
      expect(outcomes).toEqual(['confirmed', 'refused']);
      const loser = a.outcome === 'refused' ? a : b;
      const winner = a.outcome === 'confirmed' ? a : b;
      expect(loser.message).toMatch(new RegExp(`by root from ${host.server.clientAddress.replace(/\./g, '\\.')} \\(agent pid \\d+\\) since`));
      const status = await liveHash();
      expect(status.liveHash).toBe(winner.newHash);
      expect(status.pending).toEqual([]);
      expect(stateDirEntries(host).filter((e) => /^(lock|tx\.|pending\.|decided\.)/.test(e))).toEqual([]);
    });

    it('rollback puts back the previous confirmed ruleset', async () => {
      const first = await deployBaseline();
      const second = await deployHost(host.target(rs.allowSshV2, backend), host.options);
      expect(second.outcome).toBe('confirmed');
      const report = await rollbackHost(host.target(rs.allowSshV2, backend), host.options);
      expect(report.outcome, report.message).toBe('confirmed');
      expect(report.liveHash).toBe(first.newHash);
      expect((await liveHash()).audit.at(-1)).toMatchObject({ action: 'rollback', outcome: 'confirmed' });
    });

    const stateDir = () => host.options.server!.stateDir!;
    /** A simulated reboot: every agent process dies, the firewall is flushed and loaded from the boot files, then the boot path runs. */
    const reboot = async () => {
      const pids = await execa('ip', ['netns', 'pids', host.server.netns], { reject: false });
      for (const pid of pids.stdout.split('\n').map(Number).filter((p) => p > 1)) {
        const cmdline = (() => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          } catch {
            return '';
          }
        })();
        if (cmdline.includes(stateDir()) && cmdline.includes('timer')) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      if (backend === 'nftables') {
        await host.ns('nft', ['flush', 'ruleset']);
        await host.ns('nft', ['-f', host.options.server!.nftConfPath!]);
      } else {
        await host.ns('iptables-restore', [host.options.server!.rulesV4Path!]);
        await host.ns('ip6tables-restore', [host.options.server!.rulesV6Path!]);
      }
      return host.ns('sh', [`${stateDir()}/agent.sh`, 'boot', stateDir()]);
    };

    it('the host reboots while a deploy is pending: the boot path rolls back and records it; the next deploy goes through', async () => {
      const baseline = await deployBaseline();
      let booted: Promise<{ exitCode: number | undefined }> | undefined;
      const report = await deployHost(host.target(rs.blocksSsh, backend), host.options, (e) => {
        if (e.step === 'applied') booted = new Promise((resolve) => setTimeout(resolve, 300)).then(reboot);
      });
      expect((await booted)?.exitCode).toBe(0);
      expect(report.outcome, report.message).toBe('rolled-back');
      expect(report.message).toMatch(/because the host rebooted before the confirmation/);
      expect(report.liveHash).toBe(baseline.newHash);
      const status = await liveHash();
      expect(status.audit.at(-1)).toMatchObject({ id: report.deployId, outcome: 'rolled-back', reason: 'reboot' });
      expect(status.pending).toEqual([]);
      const next = await deployHost(host.target(rs.allowSshV2, backend), host.options);
      expect(next.outcome, next.message).toBe('confirmed');
    });

    it('the state filesystem fills right after apply: the server still rolls back, and says so', async () => {
      mkdirSync(stateDir(), { recursive: true });
      expect((await host.inServer('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'bt-test-state', stateDir()])).exitCode).toBe(0);
      const baseline = await deployBaseline();
      const filler = `${stateDir()}/filler`;
      let filled: Promise<unknown> | undefined;
      const report = await deployHost(host.target(rs.blocksSsh, backend), host.options, (e) => {
        if (e.step === 'applied') filled = host.inServer('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k']);
      });
      await filled;
      expect(report.outcome, report.message).toBe('rolled-back');
      expect(report.liveHash).toBe(baseline.newHash);
      await host.inServer('rm', ['-f', filler]);
      const next = await deployHost(host.target(rs.allowSshV2, backend), host.options);
      expect(next.outcome, next.message).toBe('confirmed');
      const records = (await liveHash()).audit.filter((r) => r.id === report.deployId);
      expect(records.map((r) => [r.outcome, r.reason])).toEqual([['rolled-back', 'confirm-timeout']]);
    });

    it('a 3 s confirm timeout with 20,000 rules: the timer waits for the apply, the confirm wins', async () => {
      await deployBaseline();
      const big = bigRuleset(backend, 20000);
      const report = await deployHost(host.target(big, backend), { ...host.options, confirmTimeoutSeconds: 3 });
      expect(report.outcome, report.message).toBe('confirmed');
      expect(report.liveHash).toBe(report.newHash);
    });

    it('drift that means something: a change before or inside benteng\'s rules is drift; dry run and status upload nothing', async () => {
      await deployBaseline();
      const target = host.target(rs.allowSsh, backend);
      rmSync(join(stateDir(), 'agent.sh'));
      const audit = readFileSync(join(stateDir(), 'audit.log'), 'utf8');
      const dry = await deployHost(host.target(rs.allowSshV2, backend), { ...host.options, dryRun: true });
      expect(dry.outcome).toBe('dry-run');
      expect((await statusHost(target, host.options)).state).toBe('in-sync');
      expect(existsSync(join(stateDir(), 'agent.sh'))).toBe(false);
      expect(readFileSync(join(stateDir(), 'audit.log'), 'utf8')).toBe(audit);
      if (backend === 'iptables') {
        await host.ns('iptables', ['-I', 'INPUT', '1', '-j', 'ACCEPT']);
        const drifted = await statusHost(target, host.options);
        expect(drifted.state).toBe('drifted');
        expect(drifted.diff).toMatch(/^-\[1\] -A INPUT .*-j BENTENG-INPUT$/m);
        expect(drifted.diff).toMatch(/^\+\[2\] -A INPUT .*-j BENTENG-INPUT$/m);
      } else {
        await host.ns('nft', ['add table inet other; add chain inet other input { type filter hook input priority -10; policy accept; }']);
        const foreign = await statusHost(target, host.options);
        expect(foreign.state).toBe('in-sync');
        expect(foreign.foreignChains).toEqual(['inet other input hook input priority filter - 10']);
        await host.ns('nft', ['add rule inet benteng input tcp dport 8080 accept']);
        const drifted = await statusHost(target, host.options);
        expect(drifted.state).toBe('drifted');
        expect(drifted.diff).toMatch(/^\+.*tcp dport 8080 accept/m);
      }
    });

    it('a wrong host key is refused before any command runs', async () => {
      const target = host.target(rs.allowSsh, backend);
      const wrong = { ...target, ssh: { ...target.ssh, hostKey: 'SHA256:' + 'A'.repeat(43) } };
      const report = await deployHost(wrong, host.options);
      expect(report.outcome).toBe('refused');
      expect(report.error?.code).toBe('host-key-changed');
      expect(report.message).toContain(host.server.hostKey);
      expect(existsSync(host.options.server!.stateDir!)).toBe(false);
      const unpinned = { ...target, ssh: { ...target.ssh, hostKey: undefined } };
      const unknown = await deployHost(unpinned, host.options);
      expect(unknown.error?.code).toBe('host-key-unknown');
      expect(unknown.message).toContain(host.server.hostKey);
      expect(existsSync(host.options.server!.stateDir!)).toBe(false);
    });
  });
}
