import { ruleCases, service } from './support.js';

ruleCases('any-to-any-accept', {
  valid: [
    { name: 'any protocol from office', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: office\n') }, expected: [] },
    { name: 'drop everything from any', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n    action: drop\n') }, expected: [] },
  ],
  invalid: [
    { name: 'from any without ports', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: any\n') }, expected: ['services/a.yaml:6:5 anyToAny'] },
    { name: 'from 0.0.0.0/0 without ports', files: { 'services/a.yaml': service('a', 'ingress:\n  - from: 0.0.0.0/0\n') }, expected: ['services/a.yaml:6:5 anyToAny'] },
  ],
});
