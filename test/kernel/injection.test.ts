/**
 * Hostile rule descriptions go through the whole pipeline (policy files → build) and come out as
 * inert comments: the output passes `nft -c -f` / `iptables-restore --test` in a namespace, loads
 * only our table, and, comments aside, is identical to the output built with harmless descriptions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildFleet } from '../../src/build/index.js';
import { IPT_COMMENT_MAX, NFT_COMMENT_MAX } from '../../src/emit/comment.js';
import { createBlockIpsets, inNs, requireKernel, withScratchNs } from '../support/netns.js';
import { type PolicySpec, removePolicyDir, writePolicyDir } from '../support/emit-policies.js';

const enabled = requireKernel();

const HOSTILE = [
  '"; flush ruleset',
  'x" } table ip evil { chain c { type filter hook input priority 0; policy accept; } } #',
  'line one\nCOMMIT\n*filter\n-A INPUT -j ACCEPT\nCOMMIT',
  'back\\slash \\" and \\\\ \\n',
  "single ' quote, `backtick` $(reboot) ${HOME} ; # -j ACCEPT",
  'bidi \u202e override \u0001 ctl \u001b[31m esc \r\n crlf \u2028 ls \u2029 ps \t tab \u200b zw',
  'unicode 🔥 日本語 '.repeat(30).slice(0, 480),
  'a'.repeat(500),
];

function spec(descriptions: readonly string[]): PolicySpec {
  let i = 0;
  const d = () => descriptions[i++ % descriptions.length]!;
  return {
    hosts: {
      'web-01': { addresses: ['203.0.113.10', '2001:db8:203::10'], backend: 'nftables' },
      'db-01': { addresses: ['192.0.2.20', '2001:db8:20::20'], backend: 'iptables' },
    },
    services: [
      {
        service: 'portal',
        hosts: ['web-01', 'db-01'],
        ingress: [
          { from: 'any', ports: ['tcp/443', 'tcp/80'], description: d() },
          { from: ['198.51.100.0/24', '2001:db8:5a::/56'], ports: ['tcp/22'], description: d() },
          { from: '198.51.100.128/25', action: 'reject', log: true, description: d() },
          { from: '203.0.113.0/24', ports: ['udp/53', 'icmp/echo-request', 'icmpv6/echo-request'], action: 'drop', description: d() },
        ],
        egress: [
          { to: '192.0.2.0/24', ports: ['tcp/5432'], description: d() },
          { to: 'any', ports: ['udp/123'], log: true, description: d() },
          { to: '2001:db8:ee::/48', action: 'reject', description: d() },
          { to: '203.0.113.192/28', ports: ['tcp/443'], description: d() },
        ],
      },
    ],
  };
}

const withoutComments = (text: string) =>
  text
    .replace(/ -m comment --comment "[^"\n]*"/g, '')
    .replace(/ comment "[^"\n]*"/g, '')
    .replace(/^\t\tcomment "[^"\n]*"\n/gm, '')
    .replace(/ --log-prefix "[^"\n]*"/g, ' --log-prefix')
    .replace(/ log prefix "[^"\n]*"/g, ' log prefix');

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removePolicyDir));
});

describe.runIf(enabled)('hostile descriptions cannot inject rules', () => {
  it('parse, load only our table, and mean the same as harmless descriptions', async () => {
    const hostileDir = await writePolicyDir(spec(HOSTILE));
    const plainDir = await writePolicyDir(spec(['plain']));
    dirs.push(hostileDir, plainDir);
    const hostile = await buildFleet(hostileDir, { allBackends: true });
    const plain = await buildFleet(plainDir, { allBackends: true });
    expect(hostile.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(hostile.files.size).toBe(6);

    for (const [name, text] of hostile.files) {
      expect(withoutComments(text), name).toBe(withoutComments(plain.files.get(name)!));
      for (const line of text.split('\n')) {
        expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e\u2028\u2029\u200b\\]/u);
        expect(line.startsWith('*') ? line : '').toMatch(/^(\*filter)?$/);
        expect(line === 'COMMIT' || !line.includes('COMMIT') || line.includes('comment "')).toBe(true);
      }
      for (const m of text.matchAll(/comment "([^"\n]*)"/g)) {
        expect(Buffer.byteLength(m[1]!, 'utf8')).toBeLessThanOrEqual(name.endsWith('.nft') ? NFT_COMMENT_MAX : IPT_COMMENT_MAX);
      }
      expect(text.split('\n').filter((l) => l === 'COMMIT').length).toBe(name.endsWith('.nft') ? 0 : 1);
    }

    await withScratchNs(async (ns) => {
      await createBlockIpsets(ns);
      for (const host of hostile.hosts) {
        const nft = await inNs(ns, 'nft', ['-f', '-'], host.ruleset.nft);
        expect(nft.stderr).toBe('');
        const tables = (await inNs(ns, 'nft', ['list', 'tables'])).stdout;
        expect(tables.trim()).toBe('table inet benteng');
        const v4 = await inNs(ns, 'iptables-restore', ['--test', '--noflush'], host.ruleset.rulesV4);
        const v6 = await inNs(ns, 'ip6tables-restore', ['--test', '--noflush'], host.ruleset.rulesV6);
        expect([v4.exitCode, v4.stderr, v6.exitCode, v6.stderr]).toEqual([0, '', 0, '']);
      }
      // The comments survive as data: what nft lists back is the sanitised text, truncated.
      const listed = (await inNs(ns, 'nft', ['list', 'table', 'inet', 'benteng'])).stdout;
      expect(listed).toContain('flush ruleset');
      expect(listed).toContain('日本語');
    });
  });
});
