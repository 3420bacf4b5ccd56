import { ruleCases, service } from './support.js';

ruleCases('admin-port-outside-admin', {
  valid: [
    { name: 'rdp from admin', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: admin\n    ports: [tcp/3389]\n') }, expected: [] },
    { name: 'https from office', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [https]\n') }, expected: [] },
  ],
  invalid: [
    { name: 'rdp from office', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp/3389]\n') }, expected: ['services/a.yaml:6:5 outside'] },
    {
      name: 'the host\'s own ssh port from office',
      files: {
        'hosts.yaml': 'hosts:\n  web-01:\n    addresses: [203.0.113.10, "2001:db8:203::10"]\n    ssh: { port: 2222 }\n    backend: nftables\n  db-01:\n    addresses: [192.0.2.20, "2001:db8:20::20"]\n    backend: iptables\n',
        'defaults.yaml': 'defaults:\n  ingress:\n    - from: admin\n      ports: [ssh, tcp/2222]\n',
        'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp/2222]\n'),
      },
      expected: ['services/a.yaml:6:5 outside'],
    },
  ],
});
