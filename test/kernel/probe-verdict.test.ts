/**
 * The prober tells a drop from a slow or lost answer: silence is probed again, with longer waits,
 * before it counts as a drop. An answer that comes late (a UDP echo that replies after 1 s; a TCP
 * handshake whose first SYN is dropped, so it completes on the kernel's retransmission 1 s later) or
 * only to a retry (the first TCP, UDP and ICMP packet from one source is dropped) is accept; prompt
 * accept, reject and drop stay what the ruleset says. With the retries switched off, the same probes
 * read as drops: the negative control that shows this test can fail.
 */
import { describe, expect, it } from 'vitest';
import { type Outcome, type Probe, requireKernel, Topology } from '../support/netns.js';

const enabled = requireKernel();

const HOST = { ipv4: '192.0.2.1', ipv6: '2001:db8::1' } as const;
const PEER = { ipv4: '198.51.100.1', ipv6: '2001:db8:1::1' } as const;
const ECHO_REJECTED = { ipv4: '198.51.100.2', ipv6: '2001:db8:1::2' } as const;
const ECHO_DROPPED = { ipv4: '198.51.100.3', ipv6: '2001:db8:1::3' } as const;
const FIRST_PACKET_LOST = '198.51.100.9';
const PORT = { accept: 80, reject: 81, drop: 82, slowEcho: 85, firstSynLost: 86 } as const;
const SLOW_ECHO_MS = 1000;

const RULESET = `table inet bt_probe_verdict {
\tset lost {
\t\ttype ipv4_addr . inet_proto
\t\tflags dynamic
\t}
\tset first_syn {
\t\ttype ipv4_addr . inet_service
\t\tflags dynamic
\t}
\tchain input {
\t\ttype filter hook input priority filter; policy accept;
\t\tip saddr ${FIRST_PACKET_LOST} ip saddr . meta l4proto != @lost add @lost { ip saddr . meta l4proto } drop
\t\ttcp dport ${PORT.firstSynLost} ip saddr . tcp sport != @first_syn add @first_syn { ip saddr . tcp sport } drop
\t\tmeta l4proto { tcp, udp } th dport ${PORT.drop} drop
\t\ttcp dport ${PORT.reject} reject with tcp reset
\t\tudp dport ${PORT.reject} reject
\t\tip saddr ${ECHO_REJECTED.ipv4} icmp type echo-request reject
\t\tip saddr ${ECHO_DROPPED.ipv4} icmp type echo-request drop
\t\tip6 saddr ${ECHO_REJECTED.ipv6} icmpv6 type echo-request reject
\t\tip6 saddr ${ECHO_DROPPED.ipv6} icmpv6 type echo-request drop
\t}
}
`;

interface Case {
  name: string;
  probe: Probe;
  expected: Outcome;
  /** No answer can come within the first wait: only the longer waits that follow see one. */
  late?: true;
}

const port = (family: 'ipv4' | 'ipv6', protocol: 'tcp' | 'udp', dport: number, source: string = PEER[family]): Probe => ({ family, protocol, source, destination: HOST[family], port: dport });
const echo = (family: 'ipv4' | 'ipv6', source: string): Probe => ({ family, protocol: family === 'ipv4' ? 'icmp' : 'icmpv6', icmpType: family === 'ipv4' ? 8 : 128, source, destination: HOST[family] });

const late = (name: string, probe: Probe): Case => ({ name, probe, expected: 'accept', late: true });

const CASES: Case[] = [
  ...(['ipv4', 'ipv6'] as const).flatMap((family) => [
    ...(['tcp', 'udp'] as const).flatMap((protocol) =>
      (['accept', 'reject', 'drop'] as const).map((expected): Case => ({ name: `${family} ${protocol} ${expected}`, probe: port(family, protocol, PORT[expected]), expected })),
    ),
    ...([['accept', PEER], ['reject', ECHO_REJECTED], ['drop', ECHO_DROPPED]] as const).map(([expected, source]): Case => ({ name: `${family} echo ${expected}`, probe: echo(family, source[family]), expected })),
  ]),
  late(`udp echo answering after ${SLOW_ECHO_MS} ms`, port('ipv4', 'udp', PORT.slowEcho)),
  late('tcp whose first SYN is lost', port('ipv4', 'tcp', PORT.firstSynLost)),
  late('tcp whose first attempt is lost', port('ipv4', 'tcp', PORT.accept, FIRST_PACKET_LOST)),
  late('udp whose first attempt is lost', port('ipv4', 'udp', PORT.accept, FIRST_PACKET_LOST)),
  late('echo whose first attempt is lost', echo('ipv4', FIRST_PACKET_LOST)),
];

/** A fresh host with the ruleset and listeners, probed once from the peer; always torn down. */
async function probeOnce(waitsMs?: number[]) {
  const peers = [...new Set(CASES.map((c) => c.probe.source))];
  const topology = await Topology.create([HOST.ipv4, HOST.ipv6], peers);
  try {
    await topology.nftLoad(RULESET);
    await Promise.all([
      topology.listen('host', [PORT.accept, PORT.reject, PORT.drop, PORT.firstSynLost], [HOST.ipv4, HOST.ipv6]),
      topology.listen('host', [PORT.slowEcho], [HOST.ipv4], { replyDelayMs: SLOW_ECHO_MS }),
    ]);
    const report = await topology.probeReport('peer', CASES.map((c) => c.probe), waitsMs ? { waitsMs } : {});
    return { report, observed: CASES.map((c, i) => ({ name: c.name, outcome: report.results[i]!.outcome, attempts: report.results[i]!.attempts })) };
  } finally {
    await topology.destroy();
  }
}

describe.runIf(enabled)('the prober tells a drop from a slow answer', () => {
  it('a late or lost answer is accept after a longer wait; a drop is silent through every wait', async () => {
    const { report, observed } = await probeOnce();
    console.log(`probe-verdict: rounds ${JSON.stringify(report.rounds)}, slowest answer ${report.slowestAnswerMs} ms`);
    expect(observed.map((o) => [o.name, o.outcome])).toEqual(CASES.map((c) => [c.name, c.expected]));
    const waits = report.rounds.map((r) => r.waitMs);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    for (const [i, c] of CASES.entries()) {
      if (c.late) expect([c.name, observed[i]!.attempts >= 2]).toEqual([c.name, true]);
      // Answers came after the first wait, so this run looks slow: every drop waited through the whole ladder.
      if (c.expected === 'drop') expect([c.name, observed[i]!.attempts]).toEqual([c.name, report.rounds.length]);
    }
    expect(report.rounds.length).toBe(3);
  });

  it('with the retries switched off, the same late and lost answers read as drops (negative control)', async () => {
    const { report, observed } = await probeOnce([400]);
    expect(report.rounds.map((r) => r.waitMs)).toEqual([400]);
    const late = CASES.flatMap((c, i) => (c.late ? [[c.name, observed[i]!.outcome]] : []));
    expect(late).toEqual(CASES.filter((c) => c.late).map((c) => [c.name, 'drop']));
  });
});
