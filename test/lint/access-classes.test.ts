/**
 * Lint classes that reading rule text cannot catch: each case is decided by the access model (the
 * union of what the chains accept, first match wins, baseline included). One table per rule, asserting
 * rule id, message id and line:col.
 */
import { ruleCases, service } from './support.js';

const networks = (extra: string) => `networks:
  admin:
    tags: [admin]
    include: [198.51.100.0/28, "2001:db8:ad::/64"]
  office:
    include: [198.51.100.64/26, "2001:db8:5a::/56"]
${extra}`;

ruleCases('sensitive-port-internet', {
  valid: [
    {
      name: 'postgres from the whole IPv6 internet on a host without IPv6',
      files: {
        'hosts.yaml': 'hosts:\n  web-01:\n    addresses: [203.0.113.10]\n    backend: nftables\n  db-01:\n    addresses: [192.0.2.20, "2001:db8:20::20"]\n    backend: iptables\n',
        'services/a.yaml': service('a', 'ingress:\n  - from: "::/0"\n    ports: [tcp/5432]\n'),
      },
      expected: [],
    },
    {
      name: 'postgres from two halves, but an earlier drop in another service takes one half',
      files: {
        'services/a.yaml': service('a', 'ingress:\n  - from: 0.0.0.0/1\n    ports: [tcp/5432]\n    action: drop\n'),
        'services/b.yaml': service('b', 'ingress:\n  - from: [0.0.0.0/1, 128.0.0.0/1]\n    ports: [tcp/5432]\n'),
      },
      expected: [],
    },
  ],
  invalid: [
    {
      name: 'postgres opened to the internet by two rules of two services',
      files: {
        'services/a.yaml': service('a', 'ingress:\n  - from: 0.0.0.0/1\n    ports: [tcp/5432]\n'),
        'services/b.yaml': service('b', 'ingress:\n  - from: 128.0.0.0/1\n    ports: [tcp/5400-5500]\n'),
      },
      expected: ['services/a.yaml:6:5 exposedTogether'],
    },
    {
      name: 'postgres from any minus a few addresses (a network with an exclusion)',
      files: {
        'networks.yaml': networks('  almost-all:\n    include: [0.0.0.0/0]\n    exclude: [203.0.113.0/24, 192.0.2.7]\n'),
        'services/a.yaml': service('a', 'ingress:\n  - from: almost-all\n    ports: [tcp/5432]\n'),
      },
      expected: ['services/a.yaml:6:5 exposed'],
    },
    {
      name: 'mysql to the internet from many narrow rules in one service',
      files: {
        'services/a.yaml': service(
          'a',
          'ingress:\n' + ['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/2', '192.0.0.0/2'].map((c) => `  - from: ${c}\n    ports: [tcp/3306]\n`).join(''),
        ),
      },
      expected: ['services/a.yaml:6:5 exposedTogether'],
    },
  ],
});

ruleCases('any-to-any-accept', {
  valid: [{ name: 'every protocol from the office only', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n') }, expected: [] }],
  invalid: [
    {
      name: 'every protocol from two halves of the IPv4 internet, two rules',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 0.0.0.0/1\n  - from: 128.0.0.0/1\n') },
      expected: ['services/a.yaml:6:5 anyToAny'],
    },
  ],
});

ruleCases('unrestricted-egress', {
  valid: [{ name: 'https to any', files: { 'services/a.yaml': service('a', 'egress:\n  - to: any\n    ports: [https]\n') }, expected: [] }],
  invalid: [
    {
      name: 'every tcp port to the internet, split over two rules and two services',
      files: {
        'services/a.yaml': service('a', 'egress:\n  - to: 0.0.0.0/1\n    ports: [tcp/1-65535]\n'),
        'services/b.yaml': service('b', 'egress:\n  - to: 128.0.0.0/1\n    ports: [tcp/1-65535]\n'),
      },
      expected: ['services/a.yaml:6:5 unrestricted'],
    },
  ],
});

ruleCases('ssh-lockout', {
  valid: [
    {
      name: 'established off, but replies to the admins are allowed out',
      files: {
        'defaults.yaml': 'defaults:\n  established: false\n  ingress:\n    - from: admin\n      ports: [ssh]\n  egress:\n    - to: admin\n      ports: [tcp/1024-65535]\n',
      },
      expected: [],
    },
  ],
  invalid: [
    {
      name: 'established off: SSH is accepted in, its replies are dropped out',
      files: { 'defaults.yaml': 'defaults:\n  established: false\n  ingress:\n    - from: admin\n      ports: [ssh]\n' },
      expected: ['hosts.yaml:2:3 noReturn', 'hosts.yaml:6:3 noReturn'],
    },
    {
      name: 'established off: an earlier egress drop refuses part of the replies',
      files: {
        'defaults.yaml':
          'defaults:\n  established: false\n  ingress:\n    - from: admin\n      ports: [ssh]\n  egress:\n    - to: 198.51.100.0/30\n      ports: [tcp/50000-50100]\n      action: drop\n    - to: admin\n      ports: [tcp/1024-65535]\n',
      },
      expected: ['hosts.yaml:2:3 noReturn', 'hosts.yaml:6:3 noReturn'],
    },
  ],
});

ruleCases('overridden-rule', {
  valid: [
    { name: 'dropping a type the baseline does not accept', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    ports: [icmp/timestamp-request]\n    action: drop\n') }, expected: [] },
    {
      name: 'an earlier rule of the same service',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp/8443]\n    action: drop\n  - from: 198.51.100.64/28\n    ports: [tcp/8443]\n') },
      expected: [],
    },
  ],
  invalid: [
    {
      name: 'a drop of ICMP echo that the essential-ICMP baseline accepts first',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    ports: [icmp/echo-request]\n    action: drop\n') },
      expected: ['services/a.yaml:6:5 byBaseline'],
    },
    {
      name: 'an accept that an earlier service (by name) drops in part',
      files: {
        'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.64/27\n    ports: [tcp/8443]\n    action: drop\n'),
        'services/b.yaml': service('b', 'ingress:\n  - from: office\n    ports: [tcp/8443]\n'),
      },
      expected: ['services/b.yaml:6:5 byOtherService'],
    },
  ],
});

ruleCases('cross-service-consistency', {
  valid: [],
  invalid: [
    {
      name: 'egress over a port range of which the peer accepts only part',
      files: {
        'services/app.yaml': service('app', 'egress:\n  - to: service:db\n    ports: [tcp/5432-5440]\n'),
        'services/db.yaml': service('db', 'ingress:\n  - from: service:app\n    ports: [tcp/5432]\n', '[db-01]'),
      },
      expected: ['services/app.yaml:6:5 partialIngress'],
    },
  ],
});

ruleCases('family-parity', {
  valid: [
    {
      name: 'the IPv4 internet in two halves and the IPv6 internet in one rule',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: [0.0.0.0/1, "::/0"]\n    ports: [https]\n  - from: 128.0.0.0/1\n    ports: [https]\n') },
      expected: [],
    },
  ],
  invalid: [
    {
      name: 'the IPv4 internet on https through two rules, IPv6 not at all',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 0.0.0.0/1\n    ports: [https]\n  - from: 128.0.0.0/1\n    ports: [https]\n') },
      expected: ['services/a.yaml:6:5 wholeFamily', 'services/a.yaml:8:5 wholeFamily'],
    },
  ],
});
