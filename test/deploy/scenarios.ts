import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/build/compiled-host.js';
import { deployHost, rollbackHost, statusHost, type DeployProgress } from '../../src/deploy/index.js';
import { createTestHost, kernelTestsEnabled, stateDirEntries, type TestHost } from './fixture.js';
import { rulesets } from './rulesets.js';

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
      expect((await liveHash()).liveHash).toBe(baseline.newHash);
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
