import { ruleCases } from './support.js';

ruleCases('unused-network', {
  valid: [{ name: 'every network used (admin counts as used)', files: {}, expected: [] }],
  invalid: [
    {
      name: 'a network nobody uses',
      files: { 'networks.yaml': 'networks:\n  admin:\n    tags: [admin]\n    include: [198.51.100.0/28, "2001:db8:ad::/64"]\n  office:\n    include: [198.51.100.64/26, "2001:db8:5a::/56"]\n  old:\n    include: [192.0.2.128/25]\n' },
      expected: ['networks.yaml:7:3 unused'],
    },
  ],
});

ruleCases('unused-port-set', {
  valid: [{ name: 'every port set used', files: {}, expected: [] }],
  invalid: [{ name: 'a port set nobody uses', files: { 'ports.yaml': 'ports:\n  ssh: [tcp/22]\n  https: [tcp/443]\n  rdp: [tcp/3389]\n' }, expected: ['ports.yaml:4:3 unused'] }],
});
