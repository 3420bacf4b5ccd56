import { ruleCases, service } from './support.js';

ruleCases('sensitive-port-internet', {
  valid: [
    { name: 'https from any', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    ports: [https]\n') }, expected: [] },
    { name: 'ssh from the admin network', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: admin\n    ports: [tcp/22]\n') }, expected: [] },
    { name: 'postgres from any but dropped', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    ports: [tcp/5432]\n    action: drop\n') }, expected: [] },
  ],
  invalid: [
    { name: 'postgres from any', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    ports: [tcp/5432]\n') }, expected: ['services/a.yaml:6:5 exposed'] },
    {
      name: 'ssh from two halves of the IPv4 internet (covers 0.0.0.0/0)',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: [0.0.0.0/1, 128.0.0.0/1]\n    ports: [ssh]\n') },
      expected: ['services/a.yaml:6:5 exposed'],
    },
    { name: 'redis inside a wide range from ::/0', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: "::/0"\n    ports: [tcp/6000-6500]\n') }, expected: ['services/a.yaml:6:5 exposed'] },
    { name: 'snmp over udp from any', files: { 'services/a.yaml': service('a', 'ingress:\n  - description: x\n    from: any\n    ports: [udp/161]\n') }, expected: ['services/a.yaml:6:5 exposed'] },
  ],
});
