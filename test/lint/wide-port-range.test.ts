import { ruleCases, service } from './support.js';

ruleCases('wide-port-range', {
  valid: [
    { name: 'a small range', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp/8000-8100]\n') }, expected: [] },
    { name: 'a wide range dropped', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp/1-65535]\n    action: drop\n') }, expected: [] },
    {
      name: 'a range within the configured maxPorts',
      files: {
        'benteng.yaml': 'rules:\n  wide-port-range: { options: { maxPorts: 5000 } }\n',
        'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp/2000-5000]\n'),
      },
      expected: [],
    },
  ],
  invalid: [
    { name: 'a wide range in a rule', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [https, tcp/1024-65535]\n') }, expected: ['services/a.yaml:7:20 wide'] },
    { name: 'every tcp port', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp]\n') }, expected: ['services/a.yaml:7:13 wide'] },
    { name: 'no ports at all', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n') }, expected: ['services/a.yaml:6:5 noPorts'] },
    {
      name: 'a wide range in a port set',
      files: { 'ports.yaml': 'ports:\n  ssh: [tcp/22]\n  https: [tcp/443]\n  high: [udp/10000-20000]\n', 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [udp/53]\negress:\n  - to: office\n    ports: [high]\n', '[web-01]') },
      expected: ['ports.yaml:4:10 wide'],
    },
  ],
});
