import { connect } from 'node:net';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { blockHosts, deployHost, listBlocks, rollbackHost, unblockHosts } from '../../src/deploy/index.js';
import { createTestHost, kernelTestsEnabled, type TestHost } from './fixture.js';
import { rulesets } from './rulesets.js';

/**
 * `benteng block` against the lab's real sshd, both backends, with real TCP probes from two extra
 * source addresses routed into the server's namespace: a blocked address cannot open TCP while others
 * can; a short block expires with no client involved; a long one survives a redeploy, a rollback and a
 * simulated reboot (flush, boot files, boot path), and goes away with `unblock`.
 */
const enabled = kernelTestsEnabled();
type Verdict = 'accept' | 'reject' | 'drop';

/** One TCP connect from `from`; silence is re-tried with a longer wait before it counts as a drop. */
async function probe(from: string, to: string, port: number): Promise<Verdict> {
  for (const waitMs of [1000, 2000]) {
    const verdict = await new Promise<Verdict | 'silent'>((resolve) => {
      const socket = connect({ host: to, port, localAddress: from });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve('silent');
      }, waitMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve('accept');
      });
      socket.once('error', () => {
        clearTimeout(timer);
        resolve('reject');
      });
    });
    if (verdict !== 'silent') return verdict;
  }
  return 'drop';
}

describe.runIf(enabled).each(['nftables', 'iptables'] as const)('dynamic blocks over SSH (%s)', (backend) => {
  const rs = rulesets(backend);
  let host: TestHost | undefined;
  afterEach(async () => {
    await host?.cleanup();
    host = undefined;
  });

  it('blocks, expires on its own, survives redeploy, rollback and reboot, and unblocks', async () => {
    host = await createTestHost(3);
    const h = host;
    const target = h.target(rs.allowSsh, backend);
    // Two extra source addresses on the client side of the veth, routed back from the server; unique
    // per test slot (the client address is 203.0.113.(4·slot+1)): 198.51.100.(128 + 2·slot) and the
    // next one. (Not 192.0.2.0/24: a CI machine may sit on it; the lab uses 198.51.100.0/25.)
    const slot = (Number(h.server.clientAddress.split('.')[3]) - 1) / 4;
    const extra = [`198.51.100.${128 + 2 * slot}`, `198.51.100.${129 + 2 * slot}`];
    for (const a of extra) {
      await execa('ip', ['addr', 'add', `${a}/32`, 'dev', h.server.vethHost]);
      await h.ns('ip', ['route', 'add', `${a}/32`, 'dev', h.server.vethServer]);
    }
    try {
      const [long, short] = extra as [string, string];
      const to = h.server.address;
      expect((await deployHost(target, h.options)).outcome).toBe('confirmed');
      expect(await probe(long, to, 22)).toBe('accept');

      const added = await blockHosts([target], [long], 40, 'defacement, CSIRT-114', h.options);
      expect(added[0]).toMatchObject({ ok: true, changed: [long] });
      const addedShort = await blockHosts([target], [short], 6, 'scanner', h.options);
      expect(addedShort[0]).toMatchObject({ ok: true, changed: [short] });
      const blockedAt = performance.now();
      const listed = await listBlocks([target], h.options);
      expect(listed[0]!.active.map((b) => [b.address, b.reason, b.user])).toEqual(
        [[long, 'defacement, CSIRT-114', 'root'], [short, 'scanner', 'root']].sort((a, b) => a[0]!.localeCompare(b[0]!)),
      );
      expect(await probe(short, to, 22)).toBe('drop');
      expect(await probe(long, to, 22)).toBe('drop');
      expect(await probe(h.server.clientAddress, to, 22)).toBe('accept');


      // The short block expires in the kernel, with no client involved.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 6500 - (performance.now() - blockedAt))));
      expect(await probe(short, to, 22)).toBe('accept');

      expect((await deployHost(h.target(rs.allowSshV2, backend), h.options)).outcome).toBe('confirmed');
      expect(await probe(long, to, 22)).toBe('drop');
      expect((await rollbackHost(target, h.options)).outcome).toBe('confirmed');
      expect(await probe(long, to, 22)).toBe('drop');

      // Simulated reboot: the kernel forgets everything; the boot files load; the boot path runs.
      const state = h.options.server!.stateDir!;
      if (backend === 'nftables') {
        await h.ns('nft', ['flush', 'ruleset']);
        await h.ns('nft', ['-f', h.options.server!.nftConfPath!]);
      } else {
        await h.ns('iptables', ['-F']);
        await h.ns('iptables', ['-X']);
        await h.ns('ip6tables', ['-F']);
        await h.ns('ip6tables', ['-X']);
        await h.ns('ipset', ['destroy']);
      }
      const boot = await h.ns('sh', [`${state}/agent.sh`, 'boot', state]);
      expect(boot.exitCode, boot.stdout).toBe(0);
      expect(boot.stdout).toContain(`recovered=re-added block ${long}`);
      expect(boot.stdout).not.toContain(short);
      expect(await probe(long, to, 22)).toBe('drop');
      expect(await probe(short, to, 22)).toBe('accept');
      expect(await probe(h.server.clientAddress, to, 22)).toBe('accept');

      const removed = await unblockHosts([target], [long, short], h.options);
      expect(removed[0]).toMatchObject({ ok: true, changed: [long], absent: [short] });
      expect(await probe(long, to, 22)).toBe('accept');
      expect((await listBlocks([target], h.options))[0]!.active).toEqual([]);
    } finally {
      for (const a of extra) await execa('ip', ['addr', 'del', `${a}/32`, 'dev', h.server.vethHost], { reject: false });
    }
  });
});
