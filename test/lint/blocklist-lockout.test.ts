import { ruleCases } from './support.js';

/** `blocklist.yaml` with one entry blocking `addresses` (a YAML flow list). */
const blocklist = (addresses: string) => `blocklist:\n  - addresses: ${addresses}\n    reason: scan of the portal, ticket CSIRT-1\n    added: 2026-11-20\n    by: alice\n`;

ruleCases('blocklist-lockout', {
  valid: [
    { name: 'an attacker outside the fleet', files: { 'blocklist.yaml': blocklist('[203.0.113.66, "2001:db8:bad::/48"]') }, expected: [] },
    { name: 'the block next to the admin network, not in it', files: { 'blocklist.yaml': blocklist('[198.51.100.16/28]') }, expected: [] },
    { name: 'a whole family is left to blocklist-too-wide', files: { 'blocklist.yaml': blocklist('[0.0.0.0/0]') }, expected: [] },
  ],
  invalid: [
    { name: 'a block holding the admin network', files: { 'blocklist.yaml': blocklist('[198.51.100.0/24]') }, expected: ['blocklist.yaml:2:17 adminNetwork'] },
    { name: 'one admin workstation', files: { 'blocklist.yaml': blocklist('[198.51.100.5]') }, expected: ['blocklist.yaml:2:17 adminNetwork'] },
    { name: 'the admin network over IPv6', files: { 'blocklist.yaml': blocklist('["2001:db8:ad::/48"]') }, expected: ['blocklist.yaml:2:17 adminNetwork'] },
    { name: 'a fleet host\'s own address', files: { 'blocklist.yaml': blocklist('[203.0.113.10]') }, expected: ['blocklist.yaml:2:17 fleetHost'] },
    { name: 'the second address holds a host', files: { 'blocklist.yaml': blocklist('[203.0.113.66, 192.0.2.0/24]') }, expected: ['blocklist.yaml:2:31 fleetHost'] },
    {
      name: 'a host\'s SSH address',
      files: {
        'hosts.yaml': 'hosts:\n  web-01:\n    addresses: [203.0.113.10, "2001:db8:203::10"]\n    ssh: { address: 192.0.2.110 }\n    backend: nftables\n  db-01:\n    addresses: [192.0.2.20, "2001:db8:20::20"]\n    backend: iptables\n',
        'blocklist.yaml': blocklist('[192.0.2.110]'),
      },
      expected: ['blocklist.yaml:2:17 fleetHost'],
    },
    { name: 'half the internet: admins and hosts', files: { 'blocklist.yaml': blocklist('[128.0.0.0/1]') }, expected: ['blocklist.yaml:2:17 adminNetwork', 'blocklist.yaml:2:17 fleetHost'] },
  ],
});
