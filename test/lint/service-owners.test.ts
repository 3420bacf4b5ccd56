import { ruleCases } from './support.js';

ruleCases('service-owners', {
  valid: [{ name: 'two owners', files: {}, expected: [] }],
  invalid: [
    { name: 'one owner', files: { 'services/a.yaml': 'service: a\ndescription: x\nowners: [A <a@city.example>]\nhosts: [web-01]\n' }, expected: ['services/a.yaml:3:9 single'] },
    { name: 'no owners', files: { 'services/a.yaml': 'service: a\ndescription: x\nhosts: [web-01]\n' }, expected: ['services/a.yaml:1:1 missing'] },
  ],
});
