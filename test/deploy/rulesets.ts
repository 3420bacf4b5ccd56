import type { Backend, CompiledRuleset } from '../../src/build/compiled-host.js';

const nftTable = (body: string) => `table inet benteng {}
delete table inet benteng
table inet benteng {
  set blocklist_v4 { type ipv4_addr; flags interval,timeout; }
  set blocklist_v6 { type ipv6_addr; flags interval,timeout; }
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr @blocklist_v4 drop
    ip6 saddr @blocklist_v6 drop
${body}
  }
}
`;

const iptFile = (rules: string, family: 4 | 6 = 4) => `*filter
:BENTENG-INPUT - [0:0]
:BENTENG-BLOCK - [0:0]
-A INPUT -j BENTENG-INPUT
-A BENTENG-INPUT -j BENTENG-BLOCK
-A BENTENG-BLOCK -m set --match-set benteng-block-v${family} src -j DROP
-A BENTENG-BLOCK -j RETURN
${rules}
COMMIT
`;

/** Test rulesets in the shapes the emitters produce (see src/build/compiled-host.ts). */
export function rulesets(backend: Backend): Record<'allowSsh' | 'allowSshV2' | 'blocksSsh' | 'rejected', CompiledRuleset> {
  if (backend === 'nftables') {
    return {
      allowSsh: { nft: nftTable('    tcp dport 22 accept') },
      allowSshV2: { nft: nftTable('    tcp dport 22 accept\n    tcp dport 443 accept') },
      blocksSsh: { nft: nftTable('    tcp dport 22 ct state new drop') },
      rejected: { nft: nftTable('    tcp dport 22 jump no_such_chain') },
    };
  }
  return {
    allowSsh: { rulesV4: iptFile('-A BENTENG-INPUT -p tcp --dport 22 -j ACCEPT'), rulesV6: iptFile('-A BENTENG-INPUT -p tcp --dport 22 -j ACCEPT', 6) },
    allowSshV2: {
      rulesV4: iptFile('-A BENTENG-INPUT -p tcp --dport 22 -j ACCEPT\n-A BENTENG-INPUT -p tcp --dport 443 -j ACCEPT'),
      rulesV6: iptFile('-A BENTENG-INPUT -p tcp --dport 22 -j ACCEPT', 6),
    },
    blocksSsh: {
      rulesV4: iptFile('-A BENTENG-INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP'),
      rulesV6: iptFile('-A BENTENG-INPUT -p tcp --dport 22 -j ACCEPT', 6),
    },
    rejected: { rulesV4: iptFile('-A BENTENG-INPUT -j NO-SUCH-CHAIN'), rulesV6: iptFile('', 6) },
  };
}

/** `count` accept rules per family (SSH first), in the emitters' shapes: for timing-sensitive deploys. */
export function bigRuleset(backend: Backend, count: number): CompiledRuleset {
  const v4 = (i: number) => `198.51.${100 + ((i >> 8) % 4)}.${i & 255}`;
  const v6 = (i: number) => `2001:db8:${(i >> 8).toString(16)}::${(i & 255).toString(16)}`;
  const port = (i: number) => 1024 + (i % 50000);
  if (backend === 'nftables') {
    const lines = ['    tcp dport 22 accept'];
    for (let i = 0; i < count; i++) lines.push(`    ip saddr ${v4(i)} tcp dport ${port(i)} accept`, `    ip6 saddr ${v6(i)} tcp dport ${port(i)} accept`);
    return { nft: nftTable(lines.join('\n')) };
  }
  const rules = (address: (i: number) => string, family: 4 | 6) => {
    const lines = ['-A BENTENG-INPUT -p tcp --dport 22 -j ACCEPT'];
    for (let i = 0; i < count; i++) lines.push(`-A BENTENG-INPUT -s ${address(i)} -p tcp --dport ${port(i)} -j ACCEPT`);
    return iptFile(lines.join('\n'), family);
  };
  return { rulesV4: rules(v4, 4), rulesV6: rules(v6, 6) };
}
