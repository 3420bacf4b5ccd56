import { ruleCases, service } from './support.js';

ruleCases('family-parity', {
  valid: [
    { name: 'any on both families', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    ports: [https]\n') }, expected: [] },
    { name: 'an IPv4 literal on purpose', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.200\n    ports: [https]\n') }, expected: [] },
    { name: 'icmp and icmpv6 together', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [icmp, icmpv6]\n') }, expected: [] },
  ],
  invalid: [
    { name: 'whole IPv4 internet only', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 0.0.0.0/0\n    ports: [https]\n') }, expected: ['services/a.yaml:6:5 wholeFamily'] },
    {
      name: 'a network with IPv4 blocks only',
      files: {
        'networks.yaml': 'networks:\n  admin:\n    tags: [admin]\n    include: [198.51.100.0/28, "2001:db8:ad::/64"]\n  office:\n    include: [198.51.100.64/26]\n',
        'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [https]\n'),
      },
      expected: ['services/a.yaml:6:5 oneFamily', 'services/portal.yaml:6:5 oneFamily'],
    },
    { name: 'icmp without icmpv6', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [icmp]\n') }, expected: ['services/a.yaml:6:5 oneFamily'] },
  ],
});
