import { ruleCases, service } from './support.js';

const temporary = (expires: string) => service('a', `ingress:\n  - from: 198.51.100.200\n    ports: [https]\n    expires: ${expires}\n`);

ruleCases('rule-expired', {
  valid: [
    { name: 'expires today', files: { 'services/a.yaml': temporary('2026-11-22') }, expected: [] },
    { name: 'expires later', files: { 'services/a.yaml': temporary('2027-01-01') }, expected: [] },
  ],
  invalid: [
    { name: 'expired yesterday', files: { 'services/a.yaml': temporary('2026-11-21') }, expected: ['services/a.yaml:8:14 expired'] },
    {
      name: 'expired in the defaults',
      files: { 'defaults.yaml': 'defaults:\n  ingress:\n    - from: admin\n      ports: [ssh]\n    - from: office\n      ports: [ssh]\n      expires: 2025-01-01\n' },
      expected: ['defaults.yaml:7:16 expired'],
    },
  ],
});
