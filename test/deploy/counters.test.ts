import { describe, expect, it } from 'vitest';
import { parseCounters } from '../../src/deploy/counters.js';

describe('parseCounters: live counters attributed by rule id, each packet once', () => {
  it('nftables: map elements, a logging chain (counted once, in its rule\'s direction), baseline and default drop', () => {
    const live = `table inet benteng {
	map input_v4_ports {
		elements = { 0.0.0.0/0 . tcp . 8081 counter packets 3 bytes 180 comment "web/ingress/0: shut" : goto log_web_ingress_0,
			     0.0.0.0/0 . tcp . 443 counter packets 5 bytes 300 comment "web/ingress/1: portal" : accept }
	}
	map output_v4_ports {
		elements = { 0.0.0.0/0 . tcp . 25 counter packets 2 bytes 120 comment "web/egress/0: no smtp" : goto log_web_egress_0 }
	}
	chain log_web_egress_0 {
		limit rate 10/second burst 20 packets log prefix "bt o r2: "
		counter packets 2 bytes 120 goto reject_packet comment "web/egress/0"
	}
	chain log_web_ingress_0 {
		counter packets 3 bytes 180 drop comment "web/ingress/0"
	}
	chain input {
		ct state established,related counter packets 40 bytes 4000 accept comment "defaults: established, related"
		counter packets 7 bytes 420 drop comment "defaults: default drop"
	}
}`;
    expect(parseCounters('nftables', live)).toEqual([
      { service: '(baseline)', direction: 'ingress', verdict: 'accept', packets: 40, bytes: 4000 },
      { service: '(default drop)', direction: 'ingress', verdict: 'drop', packets: 7, bytes: 420 },
      { service: 'web', direction: 'egress', verdict: 'drop', packets: 2, bytes: 120 },
      { service: 'web', direction: 'ingress', verdict: 'accept', packets: 5, bytes: 300 },
      { service: 'web', direction: 'ingress', verdict: 'drop', packets: 3, bytes: 180 },
    ]);
  });

  it('iptables: rule counters, LOG lines and jumps skipped, blocklist chains by direction', () => {
    const live = `# benteng:ipv4
[9:540] -A BENTENG-INPUT -j BENTENG-BLOCK
[1:60] -A BENTENG-BLOCK -m set --match-set benteng-block-v4 src -j DROP
[2:120] -A BENTENG-BLOCK-OUT -d 203.0.113.66/32 -m comment --comment "blocklist: defacement" -j DROP
[3:180] -A BENTENG-IN-web -p tcp -m tcp --dport 8081 -m limit --limit 10/sec -m comment --comment "web/ingress/0: shut" -j LOG --log-prefix "bt i r1: "
[3:180] -A BENTENG-IN-web -p tcp -m tcp --dport 8081 -m comment --comment "web/ingress/0: shut" -j DROP
[5:300] -A BENTENG-IN-web -p tcp -m tcp --dport 443 -m comment --comment "web/ingress/1: portal" -j ACCEPT
[4:240] -A BENTENG-INPUT -m comment --comment "defaults: default drop" -j DROP
# benteng:ipv6
[1:80] -A BENTENG-IN-web -p tcp -m tcp --dport 443 -m comment --comment "web/ingress/1: portal" -j ACCEPT`;
    expect(parseCounters('iptables', live)).toEqual([
      { service: '(blocklist)', direction: 'egress', verdict: 'drop', packets: 2, bytes: 120 },
      { service: '(blocklist)', direction: 'ingress', verdict: 'drop', packets: 1, bytes: 60 },
      { service: '(default drop)', direction: 'ingress', verdict: 'drop', packets: 4, bytes: 240 },
      { service: 'web', direction: 'ingress', verdict: 'accept', packets: 6, bytes: 380 },
      { service: 'web', direction: 'ingress', verdict: 'drop', packets: 3, bytes: 180 },
    ]);
  });
});
