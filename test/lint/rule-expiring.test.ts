import { ruleCases, service } from './support.js';

const temporary = (expires: string) => service('a', `ingress:\n  - from: 198.51.100.200\n    ports: [https]\n    expires: ${expires}\n`);

ruleCases('rule-expiring', {
  valid: [
    { name: 'expires in 15 days', files: { 'services/a.yaml': temporary('2026-12-07') }, expected: [] },
    { name: 'already expired (rule-expired reports it)', files: { 'services/a.yaml': temporary('2026-11-01') }, expected: [] },
  ],
  invalid: [
    { name: 'expires today', files: { 'services/a.yaml': temporary('2026-11-22') }, expected: ['services/a.yaml:8:14 expiring'] },
    { name: 'expires in 14 days', files: { 'services/a.yaml': temporary('2026-12-06') }, expected: ['services/a.yaml:8:14 expiring'] },
    {
      name: 'the days option',
      files: { 'benteng.yaml': 'rules:\n  rule-expiring: { options: { days: 60 } }\n', 'services/a.yaml': temporary('2027-01-10') },
      expected: ['services/a.yaml:8:14 expiring'],
    },
  ],
});
