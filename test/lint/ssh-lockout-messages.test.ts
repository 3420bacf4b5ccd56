import { describe, expect, it } from 'vitest';
import { checkFixture } from './support.js';

/**
 * `ssh-lockout` says whom a deploy would lock out: the admin network and its addresses that lose SSH,
 * and the rule (or the default drop) that refuses them. Exact messages at exact positions.
 */
async function lockouts(files: Record<string, string | null>): Promise<string[]> {
  const { result } = await checkFixture(files);
  return result.diagnostics
    .filter((d) => d.code === 'ssh-lockout')
    .map((d) => `${d.span!.start.line}:${d.span!.start.column} ${d.messageId} ${d.message}`);
}

const TWO_ADMIN_NETWORKS = `networks:
  admin:
    tags: [admin]
    include: [198.51.100.0/28, "2001:db8:ad::/64"]
  vpn:
    tags: [admin]
    include: [203.0.113.192/27]
  office:
    include: [198.51.100.64/26, "2001:db8:5a::/56"]
`;

describe('ssh-lockout messages', () => {
  const cases: Array<[string, Record<string, string | null>, string[]]> = [
    [
      'no rule accepts SSH: every admin network, the default drop',
      { 'defaults.yaml': 'defaults:\n  ingress: []\n' },
      [
        '2:3 lockout `web-01` would not accept SSH (tcp/22) from any admin network: all of `admin` (198.51.100.0/28, 2001:db8:ad::/64) would lose SSH; no rule accepts it, so the default drop decides; a deploy would lock you out',
        '6:3 lockout `db-01` would not accept SSH (tcp/22) from any admin network: all of `admin` (198.51.100.0/28, 2001:db8:ad::/64) would lose SSH; no rule accepts it, so the default drop decides; a deploy would lock you out',
      ],
    ],
    [
      'an earlier drop refuses part of the admin network',
      { 'defaults.yaml': 'defaults:\n  ingress:\n    - from: 198.51.100.8/29\n      action: drop\n    - from: admin\n      ports: [ssh]\n' },
      [
        '2:3 partial `web-01` would not accept SSH (tcp/22) from part of the admin networks: 198.51.100.8/29 of `admin` would lose SSH; refused by `defaults/ingress/0`',
        '6:3 partial `db-01` would not accept SSH (tcp/22) from part of the admin networks: 198.51.100.8/29 of `admin` would lose SSH; refused by `defaults/ingress/0`',
      ],
    ],
    [
      'only the IPv4 admins are accepted',
      { 'defaults.yaml': 'defaults:\n  ingress:\n    - from: 198.51.100.0/28\n      ports: [ssh]\n' },
      [
        '2:3 partial `web-01` would not accept SSH (tcp/22) from part of the admin networks: 2001:db8:ad::/64 of `admin` would lose SSH; no rule accepts it, so the default drop decides',
        '6:3 partial `db-01` would not accept SSH (tcp/22) from part of the admin networks: 2001:db8:ad::/64 of `admin` would lose SSH; no rule accepts it, so the default drop decides',
      ],
    ],
    [
      'two admin networks, one of them forgotten',
      { 'networks.yaml': TWO_ADMIN_NETWORKS },
      [
        '2:3 partial `web-01` would not accept SSH (tcp/22) from part of the admin networks: all of `vpn` (203.0.113.192/27) would lose SSH; no rule accepts it, so the default drop decides',
        '6:3 partial `db-01` would not accept SSH (tcp/22) from part of the admin networks: all of `vpn` (203.0.113.192/27) would lose SSH; no rule accepts it, so the default drop decides',
      ],
    ],
    [
      'many lost blocks are counted, not all listed',
      { 'defaults.yaml': 'defaults:\n  ingress:\n    - from: [198.51.100.0/32, 198.51.100.2/32, 198.51.100.4/32, 198.51.100.6/32, 198.51.100.8/32, 198.51.100.10/32, "2001:db8:ad::/64"]\n      ports: [ssh]\n' },
      [
        '2:3 partial `web-01` would not accept SSH (tcp/22) from part of the admin networks: 198.51.100.1/32, 198.51.100.3/32, 198.51.100.5/32, 198.51.100.7/32 and 3 more blocks of `admin` would lose SSH; no rule accepts it, so the default drop decides',
        '6:3 partial `db-01` would not accept SSH (tcp/22) from part of the admin networks: 198.51.100.1/32, 198.51.100.3/32, 198.51.100.5/32, 198.51.100.7/32 and 3 more blocks of `admin` would lose SSH; no rule accepts it, so the default drop decides',
      ],
    ],
    [
      'replies dropped when established is off',
      {
        'defaults.yaml':
          'defaults:\n  established: false\n  ingress:\n    - from: admin\n      ports: [ssh]\n  egress:\n    - to: 198.51.100.0/28\n      ports: [tcp/32768-65535]\n',
      },
      [
        '2:3 noReturn `web-01` would drop the replies of SSH sessions to 2001:db8:ad::/64 of `admin`: `established: false` in the defaults and the output chain does not accept tcp to them on ports 32768-65535; no rule accepts it, so the default drop decides; a deploy would lock you out',
        '6:3 noReturn `db-01` would drop the replies of SSH sessions to 2001:db8:ad::/64 of `admin`: `established: false` in the defaults and the output chain does not accept tcp to them on ports 32768-65535; no rule accepts it, so the default drop decides; a deploy would lock you out',
      ],
    ],
  ];

  it.each(cases)('%s', async (_title, files, expected) => {
    expect(await lockouts(files)).toEqual(expected);
  });
});
