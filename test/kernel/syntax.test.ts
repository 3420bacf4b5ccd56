/**
 * Every file in generated/ (and both backends of every example host) is accepted by the real tools,
 * run inside a throwaway namespace: `nft -c -f`, `iptables-restore --test`, `ip6tables-restore --test`.
 * Also: loading twice leaves one table / the same chains, and other software's tables are untouched;
 * an iptables ruleset needs the dynamic-block ipsets to exist first.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { IPSET_BLOCK_V4, IPSET_BLOCK_V6, IPT_BLOCKLIST_CHAIN, IPT_BLOCKLIST_OUT_CHAIN } from '../../src/build/compiled-host.js';
import { buildFleet } from '../../src/build/index.js';
import { createBlockIpsets, inNs, requireKernel, withScratchNs } from '../support/netns.js';

const enabled = requireKernel();

describe.runIf(enabled)('generated rulesets pass the kernel tools in a namespace', () => {
  it('every file in generated/', async () => {
    const names = (await readdir('generated')).sort();
    expect(names.length).toBeGreaterThan(0);
    await withScratchNs(async (ns) => {
      await createBlockIpsets(ns);
      for (const name of names) {
        const text = await readFile(`generated/${name}`, 'utf8');
        const tool = name.endsWith('.nft') ? ['nft', ['-c', '-f', '-']] : name.endsWith('.v4') ? ['iptables-restore', ['--test', '--noflush']] : ['ip6tables-restore', ['--test', '--noflush']];
        const r = await inNs(ns, tool[0] as string, tool[1] as string[], text);
        expect({ name, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ name, stderr: '', exitCode: 0 });
      }
    });
  });

  it('both backends of every example host', async () => {
    const built = await buildFleet('policies', { allBackends: true });
    await withScratchNs(async (ns) => {
      await createBlockIpsets(ns);
      for (const host of built.hosts) {
        const nft = await inNs(ns, 'nft', ['-c', '-f', '-'], host.ruleset.nft);
        const v4 = await inNs(ns, 'iptables-restore', ['--test', '--noflush'], host.ruleset.rulesV4);
        const v6 = await inNs(ns, 'ip6tables-restore', ['--test', '--noflush'], host.ruleset.rulesV6);
        expect([host.host, nft.exitCode, v4.exitCode, v6.exitCode, nft.stderr + v4.stderr + v6.stderr]).toEqual([host.host, 0, 0, 0, '']);
      }
    });
  });

  it('nftables: applying twice replaces our table atomically and leaves other tables alone', async () => {
    const text = await readFile('generated/web-01.nft', 'utf8');
    await withScratchNs(async (ns) => {
      await inNs(ns, 'nft', ['add table inet other; add chain inet other c { type filter hook input priority 10; }; add rule inet other c counter']);
      for (let i = 0; i < 2; i++) expect((await inNs(ns, 'nft', ['-f', '-'], text)).exitCode).toBe(0);
      const tables = (await inNs(ns, 'nft', ['list', 'tables'])).stdout.trim().split('\n').sort();
      expect(tables).toEqual(['table inet benteng', 'table inet other']);
      const chain = (await inNs(ns, 'nft', ['list', 'chain', 'inet', 'other', 'c'])).stdout;
      expect(chain).toContain('counter');
    });
  });

  it('iptables: re-applying flushes our chains (same rules), leaves other chains alone, keeps one hook when the live hook is deleted first', async () => {
    const v4 = await readFile('generated/mail-01.rules.v4', 'utf8');
    await withScratchNs(async (ns) => {
      await createBlockIpsets(ns);
      await inNs(ns, 'iptables', ['-N', 'OTHER']);
      await inNs(ns, 'iptables', ['-A', 'OTHER', '-j', 'ACCEPT']);
      await inNs(ns, 'iptables', ['-A', 'INPUT', '-j', 'OTHER']);
      expect((await inNs(ns, 'iptables-restore', ['--noflush'], v4)).exitCode).toBe(0);
      const first = (await inNs(ns, 'iptables-save', [])).stdout;
      // The deployer's way (src/deploy/agent/agent.sh): delete the live hooks in the same restore.
      const reapply = v4.replace(/^-I INPUT 1 /m, '-D INPUT -m comment --comment "benteng hook" -j BENTENG-INPUT\n-I INPUT 1 ').replace(/^-I OUTPUT 1 /m, '-D OUTPUT -m comment --comment "benteng hook" -j BENTENG-OUTPUT\n-I OUTPUT 1 ');
      expect((await inNs(ns, 'iptables-restore', ['--noflush'], reapply)).exitCode).toBe(0);
      const second = (await inNs(ns, 'iptables-save', [])).stdout;
      const rules = (save: string) => save.split('\n').filter((l) => l.startsWith('-A')).sort();
      expect(rules(second)).toEqual(rules(first));
      expect(rules(second).filter((l) => l.includes('-j BENTENG-INPUT'))).toHaveLength(1);
      expect(rules(second)).toContain('-A OTHER -j ACCEPT');
      expect(rules(second)).toContain('-A INPUT -j OTHER');
    });
  });

  it('iptables: a ruleset is refused until the ipsets of the dynamic blocks exist (the deployer creates them first)', async () => {
    const [v4, v6] = await Promise.all([readFile('generated/mail-01.rules.v4', 'utf8'), readFile('generated/mail-01.rules.v6', 'utf8')]);
    await withScratchNs(async (ns) => {
      const missing = await inNs(ns, 'iptables-restore', ['--noflush'], v4);
      expect([missing.exitCode, missing.stderr]).toEqual([2, expect.stringContaining(`Set ${IPSET_BLOCK_V4} doesn't exist`)]);
      await createBlockIpsets(ns);
      expect((await inNs(ns, 'iptables-restore', ['--noflush'], v4)).exitCode).toBe(0);
      expect((await inNs(ns, 'ip6tables-restore', ['--noflush'], v6)).exitCode).toBe(0);
      const saved = (await inNs(ns, 'iptables-save', [])).stdout;
      expect(saved).toContain(`-A ${IPT_BLOCKLIST_CHAIN} -m set --match-set ${IPSET_BLOCK_V4} src -j DROP`);
      expect(saved).toContain(`-A ${IPT_BLOCKLIST_OUT_CHAIN} -m set --match-set ${IPSET_BLOCK_V4} dst -j DROP`);
      expect((await inNs(ns, 'ip6tables-save', [])).stdout).toContain(`-A ${IPT_BLOCKLIST_CHAIN} -m set --match-set ${IPSET_BLOCK_V6} src -j DROP`);
    });
  });
});
