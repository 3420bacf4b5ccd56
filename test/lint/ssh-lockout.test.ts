import { ruleCases } from './support.js';

ruleCases('ssh-lockout', {
  valid: [
    { name: 'the defaults accept ssh from admin', files: {}, expected: [] },
    { name: 'no admin network: nothing to judge', files: {
        'networks.yaml': 'networks:\n  office:\n    include: [198.51.100.64/26, "2001:db8:5a::/56"]\n',
        'defaults.yaml': 'defaults:\n  ingress:\n    - from: office\n      ports: [tcp/443]\n',
      }, expected: [] },
  ],
  invalid: [
    { name: 'no ssh rule at all', files: { 'defaults.yaml': 'defaults:\n  ingress: []\n' }, expected: ['hosts.yaml:2:3 lockout', 'hosts.yaml:6:3 lockout'] },
    {
      name: 'an earlier drop refuses the admins',
      files: { 'defaults.yaml': 'defaults:\n  ingress:\n    - from: 198.51.100.0/24\n      action: drop\n    - from: admin\n      ports: [ssh]\n' },
      expected: ['hosts.yaml:2:3 partial', 'hosts.yaml:6:3 partial'],
    },
    {
      name: 'only IPv4 admins accepted',
      files: { 'defaults.yaml': 'defaults:\n  ingress:\n    - from: 198.51.100.0/28\n      ports: [ssh]\n' },
      expected: ['hosts.yaml:2:3 partial', 'hosts.yaml:6:3 partial'],
    },
  ],
});
