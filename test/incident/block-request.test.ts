import { afterEach, describe, expect, it } from 'vitest';
import { formatDuration, parseBlockAddress, parseDuration } from '../../src/incident/block-request.js';
import { runCli, tempPolicies, type TempPolicies } from '../support/policy-dir.js';

describe('block request parsing', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h30m', 5400],
    ['7d', 604800],
    ['2w', 1209600],
    ['3600', 3600],
  ])('duration %s is %i s', (text, seconds) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: seconds });
  });

  it.each(['0', '0s', '', 'soon', '1x', '-5m'])('duration "%s" is refused', (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  it('formats durations compactly', () => {
    expect([59, 3600, 5400, 90061].map(formatDuration)).toEqual(['59s', '1h', '1h30m', '1d1h1m1s']);
  });

  it.each([
    ['203.0.113.66', true],
    ['2001:db8:bad::/48', true],
    ['198.51.100.0/24', true],
    ['0.0.0.0/0', false],
    ['::/0', false],
    ['10.0.0.1/8', false],
    ['300.1.1.1', false],
  ])('address %s accepted: %s', (text, ok) => {
    expect(parseBlockAddress(text).ok).toBe(ok);
  });
});

describe('benteng block: guard rails and bad input change nothing (no server is contacted)', () => {
  let policies: TempPolicies | undefined;
  afterEach(() => {
    policies?.dispose();
    policies = undefined;
  });

  it.each([
    [['block', '198.51.100.5', '--ttl', '1h', '--reason', 'x', '--all'], 1, /refusing to block 198\.51\.100\.5: it covers admin network "admin" \(use --force if you mean it\)/],
    [['block', '192.0.2.20', '--ttl', '1h', '--reason', 'x', '--all'], 1, /refusing to block 192\.0\.2\.20: it covers the address of fleet host /],
    [['block', '0.0.0.0/0', '--ttl', '1h', '--reason', 'x', '--all'], 2, /a \/0 blocks every address/],
    [['block', '192.0.2.99', '--ttl', '0', '--reason', 'x', '--all'], 2, /--ttl: a duration of zero is not allowed/],
    [['block', '192.0.2.99', '--ttl', '90d', '--reason', 'x', '--all'], 2, /longer than the maximum 30d; put permanent blocks in blocklist\.yaml/],
    [['block', '192.0.2.99', '--reason', 'x', '--all'], 2, /required option '-t, --ttl <duration>'/],
    [['block', '192.0.2.99', '--ttl', '1h', '--reason', ' ', '--all'], 2, /--reason must say why/],
    [['block', '192.0.2.99', '--ttl', '1h', '--reason', 'x', 'no-such-host'], 2, /"no-such-host" is neither an address nor a host in hosts\.yaml/],
    [['block', '192.0.2.99', '--ttl', '1h', '--reason', 'x', 'tag:nope'], 2, /no host has tag "nope"/],
    [['block', 'web-01', '--ttl', '1h', '--reason', 'x'], 2, /give at least one address or CIDR to block/],
  ])('%j exits %i', async (argv, code, message) => {
    policies = tempPolicies();
    const run = await runCli([...(argv as string[]), '-p', policies.dir]);
    expect(run.stderr).toMatch(message as RegExp);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(code);
    expect(run.stdout).toBe('');
  });
});
