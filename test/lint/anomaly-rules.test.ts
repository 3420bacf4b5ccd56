import { ruleCases, service } from './support.js';

ruleCases('shadowed-rule', {
  valid: [
    { name: 'an exception before a general rule', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.70\n    ports: [tcp/8443]\n    action: drop\n  - from: office\n    ports: [tcp/8443]\n') }, expected: [] },
  ],
  invalid: [
    {
      name: 'covered by one earlier drop',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n    ports: [tcp/8443]\n    action: drop\n  - from: 198.51.100.70\n    ports: [tcp/8443]\n') },
      expected: ['services/a.yaml:9:5 shadowed'],
    },
    {
      name: 'covered by the union of two earlier rules',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: [198.51.100.64/27, "2001:db8:5a::/56"]\n    ports: [tcp/8443]\n    action: drop\n  - from: 198.51.100.96/27\n    ports: [tcp/8443]\n    action: reject\n  - from: office\n    ports: [tcp/8443]\n') },
      expected: ['services/a.yaml:12:5 shadowed'],
    },
  ],
});

ruleCases('redundant-rule', {
  valid: [
    { name: 'disjoint rules', files: {}, expected: [] },
    {
      name: 'a later same-action rule with a different one between',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.70\n    ports: [tcp/8443]\n  - from: 198.51.100.68/30\n    ports: [tcp/8443]\n    action: drop\n  - from: office\n    ports: [tcp/8443]\n') },
      expected: [],
    },
  ],
  invalid: [
    {
      name: 'covered by an earlier accept of another service (the base portal rule)',
      files: { 'services/z.yaml': service('z', 'ingress:\n  - from: 198.51.100.70\n    ports: [https]\n') },
      expected: ['services/z.yaml:6:5 byEarlier'],
    },
    {
      name: 'covered by a later accept with nothing between',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.70\n    ports: [tcp/8443]\n  - from: office\n    ports: [tcp/8443]\n') },
      expected: ['services/a.yaml:6:5 byLater'],
    },
  ],
});

ruleCases('correlated-rules', {
  valid: [{ name: 'an exception before a general rule', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.70\n    ports: [tcp/8443]\n    action: drop\n  - from: office\n    ports: [tcp/8443]\n') }, expected: [] }],
  invalid: [
    {
      name: 'partial overlap with a different action',
      files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 198.51.100.64/27\n    ports: [tcp/8000-8443]\n    action: drop\n  - from: office\n    ports: [tcp/8443-9000]\n') },
      expected: ['services/a.yaml:9:5 correlated'],
    },
  ],
});
