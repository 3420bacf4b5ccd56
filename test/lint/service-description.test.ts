import { ruleCases } from './support.js';

ruleCases('service-description', {
  valid: [{ name: 'described', files: {}, expected: [] }],
  invalid: [
    { name: 'no description', files: { 'services/a.yaml': 'service: a\nowners: [A <a@city.example>, B <b@city.example>]\nhosts: [web-01]\n' }, expected: ['services/a.yaml:1:1 missing'] },
    { name: 'blank description', files: { 'services/a.yaml': '# a comment\nservice: a\ndescription: " "\nowners: [A, B]\nhosts: [web-01]\n' }, expected: ['services/a.yaml:2:1 missing'] },
  ],
});
