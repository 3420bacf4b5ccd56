import { describe, expect, it } from 'vitest';
import type { CompiledHost } from '../../src/build/compiled-host.js';
import { deployFleet, deployHost, type Connect } from '../../src/deploy/index.js';

/**
 * `deploy --dry-run` uploads nothing: no agent install, no lock, no staged ruleset; only the read-only
 * verbs `live` and `render`, which run the agent inline (`sh -c`) and check the ruleset in a scratch
 * network namespace. The real-sshd scenario (test/deploy/scenarios.ts) checks the state directory;
 * this checks every command line the client sends, without a server.
 */
function recordingConnect(log: string[]): Connect {
  return async () => ({
    ok: true,
    value: {
      viaSudo: false,
      close() {},
      async exec(command: string) {
        log.push(command);
        const verb = /benteng-agent '([a-z-]+)'/.exec(command)?.[1];
        if (verb === 'live') return { code: 0, stdout: 'hash=aaa\n--- benteng:begin live\nold\n--- benteng:end live\n', stderr: '' };
        if (verb === 'render') return { code: 0, stdout: 'hash=bbb\n--- benteng:begin canon\nnew\n--- benteng:end canon\n', stderr: '' };
        return { code: 1, stdout: '', stderr: `unexpected command: ${command.slice(0, 80)}` };
      },
    },
  });
}

const target = (host: string): CompiledHost => ({
  host,
  backend: 'nftables',
  ssh: { address: '203.0.113.10', port: 22, user: 'root' },
  ruleset: { nft: 'table inet benteng {}\n' },
});

/** The agent verb of a command line, and whether it runs the uploaded copy or the inline text. */
function verbs(log: readonly string[]): string[] {
  return log.map((command) => {
    const inline = /sh -c '.*' benteng-agent '([a-z-]+)'/s.exec(command);
    if (inline) return `inline ${inline[1]}`;
    const uploaded = /agent\.sh' '([a-z-]+)'/.exec(command);
    return uploaded ? `uploaded ${uploaded[1]}` : 'other';
  });
}

describe('deploy --dry-run', () => {
  it('sends only the read-only verbs, inline, and reports the diff', async () => {
    const log: string[] = [];
    const report = await deployHost(target('web-01'), { confirmTimeoutSeconds: 3, dryRun: true }, () => {}, recordingConnect(log));
    expect(report.outcome).toBe('dry-run');
    expect(report.ok).toBe(true);
    expect(report.diff).toContain('-old');
    expect(report.diff).toContain('+new');
    expect(verbs(log)).toEqual(['inline live', 'inline render']);
  });

  it('uploads nothing on a fleet with a canary either', async () => {
    const log: string[] = [];
    const fleet = await deployFleet([target('a-01'), target('b-01')], { confirmTimeoutSeconds: 3, dryRun: true, canary: true, parallel: 2 }, () => {}, recordingConnect(log));
    expect(fleet.reports.map((r) => r.outcome)).toEqual(['dry-run', 'dry-run']);
    expect(verbs(log)).toEqual(['inline live', 'inline render', 'inline live', 'inline render']);
  });
});
