import { describe, expect, it } from 'vitest';
import type { CompiledHost } from '../../src/build/compiled-host.js';
import { parseAgentOutput, shellQuote } from '../../src/deploy/agent/protocol.js';
import { deployFleet, deployHost, type Connect, type ExecResult } from '../../src/deploy/index.js';

/** A transport that answers agent verbs from a script; records every command line. */
function fakeConnect(answer: (verb: string) => ExecResult, log: string[] = []): Connect {
  return async () => ({
    ok: true,
    value: {
      viaSudo: false,
      close() {},
      async exec(command) {
        log.push(command);
        const verb = /agent\.sh' '([a-z-]+)'/.exec(command)?.[1] ?? 'install';
        return verb === 'install' ? { code: 0, stdout: '', stderr: '' } : answer(verb);
      },
    },
  });
}

const target = (host: string): CompiledHost => ({
  host,
  backend: 'nftables',
  ssh: { address: '192.0.2.10', port: 22, user: 'root' },
  ruleset: { nft: 'table inet benteng {}\n' },
});
const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: '' });

describe('deploy protocol with a fake transport', () => {
  it('reports a held lock as refused, naming the holder, and never applies', async () => {
    const log: string[] = [];
    const connect = fakeConnect((verb) =>
      verb === 'begin' ? { code: 75, stdout: 'locked-by=user=root client=192.0.2.2 pid=42 since=2026-01-01T10:42:07Z id=abc\n', stderr: '' } : ok(''),
    log);
    const report = await deployHost(target('web-01'), { confirmTimeoutSeconds: 3 }, () => {}, connect);
    expect(report).toMatchObject({ outcome: 'refused', ok: false });
    expect(report.message).toContain('deploy abc by root from 192.0.2.2 (agent pid 42) since 2026-01-01T10:42:07Z');
    expect(log.some((c) => c.includes("'apply'"))).toBe(false);
  });

  it('reports a rejected ruleset with the kernel message', async () => {
    const connect = fakeConnect((verb) =>
      verb === 'apply' ? { code: 65, stdout: 'error=nft -c rejected the ruleset: syntax error\n', stderr: '' } : ok('locked=x\nstaged=x\n'),
    );
    const report = await deployHost(target('web-01'), { confirmTimeoutSeconds: 3 }, () => {}, connect);
    expect(report.outcome).toBe('rejected');
    expect(report.message).toContain('syntax error');
  });

  it('skips the rest of the fleet when the canary fails', async () => {
    const connect: Connect = async () => ({ ok: false, error: { code: 'unreachable', message: 'no route' } });
    const fleet = await deployFleet([target('a'), target('b'), target('c')], { confirmTimeoutSeconds: 3, canary: true }, () => {}, connect);
    expect(fleet.ok).toBe(false);
    expect(fleet.reports.map((r) => r.outcome)).toEqual(['unreachable', 'skipped', 'skipped']);
  });

  it('quotes arguments and parses framed output', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    const out = parseAgentOutput('hash=1\n--- benteng:begin live\nx=1\n--- benteng:end live\npending=a deadline=3\npending=b\n');
    expect(out.blocks.get('live')).toBe('x=1\n');
    expect(out.values.get('pending')).toEqual(['a deadline=3', 'b']);
    expect(out.values.get('x')).toBeUndefined();
  });
});
