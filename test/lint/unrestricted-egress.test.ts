import { ruleCases, service } from './support.js';

ruleCases('unrestricted-egress', {
  valid: [
    { name: 'https to any', files: { 'services/a.yaml': service('a', 'egress:\n  - to: any\n    ports: [https]\n') }, expected: [] },
    { name: 'everything to office', files: { 'services/a.yaml': service('a', 'egress:\n  - to: office\n') }, expected: [] },
  ],
  invalid: [
    { name: 'everything to any', files: { 'services/a.yaml': service('a', 'egress:\n  - to: any\n') }, expected: ['services/a.yaml:6:5 unrestricted'] },
    { name: 'every tcp port to ::/0', files: { 'services/a.yaml': service('a', 'egress:\n  - to: "::/0"\n    ports: [tcp]\n') }, expected: ['services/a.yaml:6:5 unrestricted'] },
  ],
});
