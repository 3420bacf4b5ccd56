import { ruleCases } from './support.js';

const entry = (address: string, expires?: string) =>
  `  - addresses: [${address}]\n    reason: scan of the portal, ticket CSIRT-1\n    added: 2026-01-20\n    by: alice\n${expires ? `    expires: ${expires}\n` : ''}`;

ruleCases('blocklist-expired', {
  valid: [
    { name: 'no expiry', files: { 'blocklist.yaml': `blocklist:\n${entry('203.0.113.66')}` }, expected: [] },
    { name: 'expires today', files: { 'blocklist.yaml': `blocklist:\n${entry('203.0.113.66', '2026-11-22')}` }, expected: [] },
    { name: 'expires later', files: { 'blocklist.yaml': `blocklist:\n${entry('203.0.113.66', '2027-05-20')}` }, expected: [] },
    { name: 'an empty blocklist', files: { 'blocklist.yaml': 'blocklist: []\n' }, expected: [] },
  ],
  invalid: [
    { name: 'expired yesterday', files: { 'blocklist.yaml': `blocklist:\n${entry('203.0.113.66', '2026-11-21')}` }, expected: ['blocklist.yaml:6:14 expired'] },
    {
      name: 'the second entry expired',
      files: { 'blocklist.yaml': `blocklist:\n${entry('203.0.113.66', '2027-01-01')}${entry('203.0.113.67', '2026-06-30')}` },
      expected: ['blocklist.yaml:11:14 expired'],
    },
  ],
});
