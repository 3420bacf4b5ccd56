import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SshEndpoint } from '../../src/build/compiled-host.js';
import { planRoute } from '../../src/deploy/ssh/route.js';
import { checkPolicies } from '../../src/pipeline.js';
import { tempPolicies } from '../support/policy-dir.js';
import {
  diskFiles,
  expandTokens,
  globMatch,
  loadSshConfig,
  lookupHost,
  parseSshConfig,
  patternListMatches,
  splitLine,
  type ConfigFiles,
  type LocalEnv,
} from '../../src/deploy/ssh/ssh-config.js';
import { parseSshDestination } from '../../src/net/ssh-destination.js';

/**
 * ~/.ssh/config as ssh_config(5) reads it: patterns, first obtained value, Include, Match, tokens,
 * and the precedence between hosts.yaml, CLI flags, the config and benteng's defaults.
 */
const env: LocalEnv = { home: '/home/op', user: 'op', localHost: 'laptop.example.org', uid: '1000', vars: { KEYS: '/keys' } };

function memoryFiles(files: Record<string, string>): ConfigFiles {
  return {
    read: (path) => files[path],
    glob: (pattern) => Object.keys(files).filter((p) => globMatch(pattern, p, false) && !/\/\.[^/]*$/.test(p)).sort(),
  };
}

const parse = (text: string, files: Record<string, string> = {}) => parseSshConfig(text, '/home/op/.ssh/config', env, memoryFiles(files));
const lookup = (text: string, name: string, aliases: string[] = [], files: Record<string, string> = {}) =>
  lookupHost(parse(text, files), { name, aliases, defaultUser: 'root' }, env);

describe('lines and patterns', () => {
  it.each([
    ['HostName 198.51.100.7', { keyword: 'hostname', args: ['198.51.100.7'] }],
    ['  Port=2222', { keyword: 'port', args: ['2222'] }],
    ['User = deploy', { keyword: 'user', args: ['deploy'] }],
    ['IdentityFile "/keys/my key" ~/.ssh/b # two keys', { keyword: 'identityfile', args: ['/keys/my key', '~/.ssh/b'] }],
    ['PROXYJUMP a,b', { keyword: 'proxyjump', args: ['a,b'] }],
  ])('%j', (line, expected) => {
    expect(splitLine(line)).toEqual(expected);
  });

  it.each([['# comment'], [''], ['   ']])('%j is nothing', (line) => expect(splitLine(line)).toBeUndefined());
  it('an unclosed quote is an error, not a crash', () => expect(splitLine('IdentityFile "/x')).toEqual({ error: 'unclosed double quote' }));

  it.each([
    [['web-*'], ['web-01'], true],
    [['web-?'], ['web-01'], false],
    [['web-??'], ['web-01'], true],
    [['*', '!bastion-*'], ['bastion-01'], false],
    [['*', '!bastion-*'], ['web-01'], true],
    [['!web-01'], ['web-01'], false],
    [['!web-01'], ['db-01'], false],
    [['WEB-01'], ['web-01'], true],
    [['198.51.100.*'], ['web-01', '198.51.100.7'], true],
    [['*', '!198.51.100.7'], ['web-01', '198.51.100.7'], false],
  ])('Host %j against %j: %s', (patterns, candidates, expected) => {
    expect(patternListMatches(patterns, candidates)).toBe(expected);
  });
});

describe('lookup', () => {
  const config = `
Host web-01
  HostName %h.dmz.example.org
  User deploy
  IdentityFile ~/.ssh/web_%r
Host web-* !web-03
  Port 2222
  User ignored-because-first-wins
  IdentityFile %d/.ssh/%n_%p
Host *
  User admin
  Port 22
  IdentityFile ~/.ssh/id_ed25519
  ConnectTimeout 5
`;

  it('first obtained value wins; IdentityFile accumulates in order', () => {
    const s = lookup(config, 'web-01');
    expect(s).toMatchObject({ hostName: '%h.dmz.example.org', user: 'deploy', port: 2222, connectTimeoutSeconds: 5 });
    expect(s.identityFiles).toEqual(['~/.ssh/web_%r', '%d/.ssh/%n_%p', '~/.ssh/id_ed25519']);
    expect(s.from.user).toBe('/home/op/.ssh/config:4');
    expect(s.from.port).toBe('/home/op/.ssh/config:7');
  });

  it('a negated pattern excludes the block', () => {
    expect(lookup(config, 'web-03')).toMatchObject({ user: 'admin', port: 22 });
  });

  it('Host lines also match the address benteng would connect to', () => {
    const s = lookup('Host 203.0.113.*\n  User ops\nHost *\n  User admin\n', 'mail-01', ['203.0.113.25']);
    expect(s.user).toBe('ops');
  });

  it('ProxyJump and ProxyCommand compete: the first one given wins, ProxyCommand is noted', () => {
    const jumpFirst = lookup('Host a\n  ProxyJump j1\nHost *\n  ProxyCommand nc %h %p\n', 'a');
    expect(jumpFirst.proxyJump).toBe('j1');
    expect(jumpFirst.notes).toEqual([]);
    const commandFirst = lookup('Host a\n  ProxyCommand nc %h %p\nHost *\n  ProxyJump j1\n', 'a');
    expect(commandFirst.proxyJump).toBeUndefined();
    expect(commandFirst.notes[0]).toMatch(/config:2: ProxyCommand is not supported/);
  });

  it('ProxyJump none is a value: it stops a later ProxyJump', () => {
    expect(lookup('Host a\n  ProxyJump none\nHost *\n  ProxyJump j1\n', 'a').proxyJump).toBe('none');
  });

  it('a bad Port is noted and the next one is used', () => {
    const s = lookup('Host a\n  Port http\nHost *\n  Port 2200\n', 'a');
    expect(s.port).toBe(2200);
    expect(s.notes[0]).toMatch(/config:2: cannot read `port http`/);
  });

  it('IdentitiesOnly and UserKnownHostsFile', () => {
    const s = lookup('Host a\n  IdentitiesOnly yes\n  UserKnownHostsFile ~/.ssh/kh1 /etc/kh2\n', 'a');
    expect(s.identitiesOnly).toBe(true);
    expect(s.userKnownHostsFiles).toEqual(['~/.ssh/kh1', '/etc/kh2']);
  });

  it.each([
    ['Match all\n  User m\n', 'x', 'm'],
    ['Match host web-*\n  User m\n', 'web-01', 'm'],
    ['Match host web-*\n  User m\n', 'db-01', undefined],
    ['Match !host web-*\n  User m\n', 'db-01', 'm'],
    ['Host x\n  HostName real.example.org\nMatch host *.example.org\n  User m\n', 'x', 'm'],
    ['Host x\n  HostName real.example.org\nMatch originalhost *.example.org\n  User m\n', 'x', undefined],
    ['Match originalhost x user root\n  User m\n', 'x', 'm'],
    ['Match localuser op\n  User m\n', 'x', 'm'],
    ['Match localuser other\n  User m\n', 'x', undefined],
  ])('%j for %s: User %s', (text, name, user) => {
    expect(lookup(text, name).user).toBe(user);
  });

  it('a Match it cannot evaluate never applies, with a note', () => {
    const config = parse('Match exec "test -f /x"\n  User m\nHost *\n  User d\n');
    expect(config.notes[0]).toMatch(/config:1: `Match exec test -f \/x` is not supported/);
    expect(lookupHost(config, { name: 'x', defaultUser: 'root' }, env).user).toBe('d');
  });
});

describe('Include', () => {
  it('reads relative paths from ~/.ssh, globs in order, and keeps the first value across files', () => {
    const files = {
      '/home/op/.ssh/config.d/10-web': 'Host web-01\n  User from-10\n',
      '/home/op/.ssh/config.d/20-all': 'Host *\n  User from-20\n  Port 2022\n',
      '/home/op/.ssh/config.d/.hidden': 'Host *\n  Port 1\n',
    };
    const s = lookup('Include config.d/*\nHost *\n  Port 22\n', 'web-01', [], files);
    expect(s).toMatchObject({ user: 'from-10', port: 2022 });
    expect(s.from.user).toBe('/home/op/.ssh/config.d/10-web:2');
  });

  it('an Include inside a Host block holds only for that block, and the block resumes after it', () => {
    const files = { '/etc/bt/inc': 'User inner\nHost *\n  IdentityFile /k/inner\n' };
    const text = 'Host web-01\n  Include /etc/bt/inc\n  Port 2000\nHost *\n  User outer\n';
    expect(lookup(text, 'web-01', [], files)).toMatchObject({ user: 'inner', port: 2000, identityFiles: ['/k/inner'] });
    expect(lookup(text, 'db-01', [], files)).toMatchObject({ user: 'outer', identityFiles: [] });
    expect(lookup(text, 'db-01', [], files).port).toBeUndefined();
  });

  it('globs on disk: sorted, hidden files left out, literal paths as given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-sshcfg-'));
    try {
      mkdirSync(join(dir, 'conf.d'));
      for (const name of ['b.conf', 'a.conf', '.swp.conf', 'c.txt']) writeFileSync(join(dir, 'conf.d', name), '');
      expect(diskFiles.glob(join(dir, 'conf.d', '*.conf'))).toEqual([join(dir, 'conf.d', 'a.conf'), join(dir, 'conf.d', 'b.conf')]);
      expect(diskFiles.glob(join(dir, 'c*', 'a.conf'))).toEqual([join(dir, 'conf.d', 'a.conf')]);
      expect(diskFiles.glob(join(dir, 'nothing'))).toEqual([join(dir, 'nothing')]);
      expect(diskFiles.read(join(dir, 'nothing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing include is ignored and include loops stop', () => {
    expect(lookup('Include nothing-here\nUser u\n', 'x').user).toBe('u');
    const config = parse('Include /loop\n', { '/loop': 'Include /loop\n' });
    expect(config.notes.some((n) => /nested deeper than 16/.test(n))).toBe(true);
  });
});

describe('tokens', () => {
  const tokens = { h: '203.0.113.10', n: 'web-01', p: '2222', r: 'deploy' };
  it.each([
    ['~/.ssh/id_%n', '/home/op/.ssh/id_web-01'],
    ['%d/.ssh/%u-%r@%h:%p', '/home/op/.ssh/op-deploy@203.0.113.10:2222'],
    ['/k/%L-%l-%i-%%', '/k/laptop-laptop.example.org-1000-%'],
    ['${KEYS}/%n', '/keys/web-01'],
  ])('%s → %s', (input, output) => {
    expect(expandTokens(input, tokens, env)).toEqual({ ok: true, value: output });
  });
  it('an unknown token is refused', () => expect(expandTokens('~/.ssh/%C', tokens, env)).toEqual({ ok: false, token: '%C' }));
});

describe('which file', () => {
  it('--ssh-config wins, then $BENTENG_SSH_CONFIG, then ~/.ssh/config; none reads nothing', () => {
    const files = memoryFiles({ '/home/op/.ssh/config': 'User home\n', '/env.conf': 'User env\n', '/flag.conf': 'User flag\n' });
    const userOf = (explicit: string | undefined, vars: Record<string, string> = {}) => {
      const config = loadSshConfig(explicit, { ...env, vars }, files);
      if (config === undefined || 'error' in config) return config;
      return lookupHost(config, { name: 'x', defaultUser: 'root' }, env).user;
    };
    expect(userOf(undefined)).toBe('home');
    expect(userOf(undefined, { BENTENG_SSH_CONFIG: '/env.conf' })).toBe('env');
    expect(userOf('/flag.conf', { BENTENG_SSH_CONFIG: '/env.conf' })).toBe('flag');
    expect(userOf('none')).toBeUndefined();
    expect(userOf('/missing.conf')).toEqual({ error: 'cannot read ssh config /missing.conf' });
    expect(loadSshConfig(undefined, { ...env, home: '/nobody' }, files)).toBeUndefined();
  });
});

describe('ProxyJump destinations', () => {
  it.each([
    ['bastion-01', { host: 'bastion-01' }],
    ['admin@198.51.100.5:2222', { user: 'admin', host: '198.51.100.5', port: 2222 }],
    ['ssh://admin@jump.example.org:22', { user: 'admin', host: 'jump.example.org', port: 22 }],
    ['[2001:db8::5]:22', { host: '2001:db8::5', port: 22 }],
    ['2001:db8::5', { host: '2001:db8::5' }],
  ])('%s', (text, expected) => expect(parseSshDestination(text)).toEqual({ ok: true, value: expected }));
  it.each([['a@'], ['host:99999'], ['host:x'], ['[2001:db8::5'], ['bad user@h']])('%s is refused', (text) => {
    expect(parseSshDestination(text).ok).toBe(false);
  });
});

describe('route: precedence of hosts.yaml, flags, ssh config and defaults', () => {
  const config = parse(`
Host web-01
  HostName 203.0.113.99
  User cfg-user
  Port 2200
  IdentityFile ~/.ssh/web
  ProxyJump ops@jump.example.org:2022
Host jump.example.org
  IdentityFile ~/.ssh/jump
  UserKnownHostsFile ~/.ssh/jump_known
Host db-01
  ProxyJump none
Host loop-a
  ProxyJump loop-b
Host loop-b
  ProxyJump loop-a
Host bad-token
  IdentityFile ~/.ssh/%C
`);
  const defaulted = (name: string, address: string): SshEndpoint => ({ name, address, port: 22, user: 'root', defaulted: ['address', 'port', 'user'] });

  it('defaulted fields come from the config; the jump gets its own settings', () => {
    const plan = planRoute(defaulted('web-01', '203.0.113.10'), { agentSocket: '' }, config, env);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.hops.map((h) => [h.name, h.user, h.address, h.port])).toEqual([
      ['jump.example.org', 'ops', 'jump.example.org', 2022],
      ['web-01', 'cfg-user', '203.0.113.99', 2200],
    ]);
    expect(plan.hops[0]!.identityFiles).toEqual(['/home/op/.ssh/jump']);
    expect(plan.hops[0]!.knownHostsFiles).toEqual(['/home/op/.ssh/jump_known']);
    expect(plan.hops[1]!.identityFiles).toEqual(['/home/op/.ssh/web']);
    expect(plan.hops[1]!.knownHostsFiles).toEqual(['/home/op/.ssh/known_hosts', '/home/op/.ssh/known_hosts2']);
  });

  it('fields written in hosts.yaml and CLI flags win over the config', () => {
    const endpoint: SshEndpoint = { name: 'web-01', address: '203.0.113.10', port: 22, user: 'deploy', defaulted: ['port'], hostKey: 'SHA256:x', proxyJump: [] };
    const plan = planRoute(endpoint, { privateKeyPath: '/flag/key', knownHostsPath: '/flag/known', readyTimeoutMs: 1234 }, config, env);
    expect(plan.ok && plan.hops).toEqual([
      {
        name: 'web-01',
        address: '203.0.113.10',
        port: 2200,
        user: 'deploy',
        hostKey: 'SHA256:x',
        identityFiles: ['/flag/key', '/home/op/.ssh/web'],
        requiredKey: '/flag/key',
        useAgent: false,
        knownHostsFiles: ['/flag/known'],
        readyTimeoutMs: 1234,
      },
    ]);
  });

  it('hosts.yaml jumps: the first reached by its own route, later ones through the one before', () => {
    const bastion: SshEndpoint = { name: 'bastion-01', address: '198.51.100.5', port: 22, user: 'root', hostKey: 'SHA256:b', proxyJump: [{ name: 'outer', address: '198.51.100.1', port: 22, user: 'root' }] };
    const inner: SshEndpoint = { name: 'inner', address: '198.51.100.9', port: 22, user: 'root', proxyJump: [{ name: 'never', address: '198.51.100.250', port: 22, user: 'root' }] };
    const plan = planRoute({ name: 't', address: '203.0.113.7', port: 22, user: 'root', proxyJump: [bastion, inner] }, {}, undefined, env);
    expect(plan.ok && plan.hops.map((h) => h.name)).toEqual(['outer', 'bastion-01', 'inner', 't']);
  });

  it('ProxyJump none in the config, and with no config the defaults', () => {
    const none = planRoute(defaulted('db-01', '192.0.2.20'), {}, config, env);
    expect(none.ok && none.hops.map((h) => h.name)).toEqual(['db-01']);
    const bare = planRoute(defaulted('mon-01', '192.0.2.60'), { agentSocket: '/run/agent' }, undefined, env);
    expect(bare.ok && bare.hops[0]).toMatchObject({
      address: '192.0.2.60',
      user: 'root',
      port: 22,
      useAgent: true,
      identityFiles: ['/home/op/.ssh/id_ed25519', '/home/op/.ssh/id_ecdsa', '/home/op/.ssh/id_rsa'],
    });
  });

  it('a jump loop in the config and an unknown token are ssh-config errors', () => {
    const loop = planRoute(defaulted('loop-a', 'loop-a'), {}, config, env);
    expect(!loop.ok && loop.error).toMatchObject({ code: 'ssh-config', message: expect.stringMatching(/more than 8 jump hosts on the way to loop-/) });
    const token = planRoute(defaulted('bad-token', 'bad-token'), {}, config, env);
    expect(!token.ok && token.error).toMatchObject({ code: 'ssh-config', message: expect.stringMatching(/unknown token %C/) });
  });
});

describe('hosts.yaml ssh.proxyJump (resolve)', () => {
  const hosts = (jumps: Record<string, string>) =>
    [
      'hosts:',
      ...['bastion-01', 'web-01', 'db-01'].flatMap((name, i) => [
        `  ${name}:`,
        `    addresses: [198.51.100.${i + 1}]`,
        jumps[name] ? `    ssh: { user: ops, proxyJump: "${jumps[name]}" }` : '    ssh: { port: 2222 }',
        '    backend: nftables',
      ]),
      '',
    ].join('\n');

  async function resolved(jumps: Record<string, string>) {
    const policies = tempPolicies({ copyBase: false });
    try {
      policies.write('hosts.yaml', hosts(jumps));
      const result = await checkPolicies(policies.dir, { lint: false });
      return { model: result.model, diagnostics: result.diagnostics.map((d) => ({ code: d.code, message: d.message, line: d.span?.start.line })) };
    } finally {
      policies.dispose();
    }
  }

  it('a hosts.yaml name brings its endpoint; user@address:port is taken as written; defaulted fields are listed', async () => {
    const { model, diagnostics } = await resolved({ 'web-01': 'bastion-01,admin@jump.example.org:2022' });
    expect(diagnostics).toEqual([]);
    const web = model!.hosts.find((h) => h.name === 'web-01')!;
    expect(web.ssh).toEqual({
      name: 'web-01',
      address: '198.51.100.2',
      port: 22,
      user: 'ops',
      defaulted: ['address', 'port'],
      proxyJump: [
        { name: 'bastion-01', address: '198.51.100.1', port: 2222, user: 'root', defaulted: ['address', 'user'] },
        { name: 'jump.example.org', address: 'jump.example.org', port: 2022, user: 'admin', defaulted: ['address'], proxyJump: [] },
      ],
    });
    expect(model!.hosts.find((h) => h.name === 'db-01')!.ssh.proxyJump).toBeUndefined();
  });

  it('none is an empty list, which turns off a ProxyJump from the ssh config', async () => {
    const { model } = await resolved({ 'web-01': 'none' });
    expect(model!.hosts.find((h) => h.name === 'web-01')!.ssh.proxyJump).toEqual([]);
  });

  it.each([
    [{ 'web-01': 'bastion-1' }, 'unknown-reference', /unknown jump host `bastion-1`, did you mean `bastion-01`\?/],
    [{ 'web-01': 'db-01', 'db-01': 'web-01' }, 'reference-cycle', /`web-01` reaches itself through its jump hosts \(web-01 → db-01 → web-01\)/],
    [{ 'web-01': 'web-01' }, 'reference-cycle', /`web-01` reaches itself/],
  ])('%j: %s', async (jumps, code, message) => {
    const { diagnostics } = await resolved(jumps);
    expect(diagnostics).toContainEqual({ code, message: expect.stringMatching(message), line: 8 });
  });

  it('the example fleet reaches every server through bastion-01', async () => {
    const result = await checkPolicies('policies', { lint: false });
    const hops = result.model!.hosts.map((h) => [h.name, h.ssh.proxyJump?.map((j) => `${j.user}@${j.address}:${j.port}`) ?? []]);
    expect(hops.filter(([name]) => name !== 'bastion-01').every(([, jumps]) => (jumps as string[]).join() === 'root@192.0.2.5:22')).toBe(true);
    expect(hops.find(([name]) => name === 'bastion-01')![1]).toEqual([]);
  });
});
