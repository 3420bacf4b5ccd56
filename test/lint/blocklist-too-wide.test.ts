import { ruleCases } from './support.js';

/** `blocklist.yaml` with one entry blocking `addresses` (a YAML flow list). */
const blocklist = (addresses: string) => `blocklist:\n  - addresses: ${addresses}\n    reason: scan of the portal, ticket CSIRT-1\n    added: 2026-11-20\n    by: alice\n`;

ruleCases('blocklist-too-wide', {
  valid: [
    { name: 'one network', files: { 'blocklist.yaml': blocklist('[203.0.113.0/24]') }, expected: [] },
    { name: 'half the IPv4 space (blocklist-lockout judges it)', files: { 'blocklist.yaml': blocklist('[0.0.0.0/1]') }, expected: [] },
  ],
  invalid: [
    { name: '0.0.0.0/0', files: { 'blocklist.yaml': blocklist('[0.0.0.0/0]') }, expected: ['blocklist.yaml:2:17 everything'] },
    { name: '::/0 after another address', files: { 'blocklist.yaml': blocklist('[203.0.113.66, "::/0"]') }, expected: ['blocklist.yaml:2:31 everything'] },
    { name: 'two halves that add up to everything', files: { 'blocklist.yaml': blocklist('[0.0.0.0/1, 128.0.0.0/1]') }, expected: ['blocklist.yaml:2:16 everythingTogether'] },
  ],
});
