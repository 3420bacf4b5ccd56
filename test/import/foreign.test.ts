import { describe, expect, it } from 'vitest';
import { foreignChainOwner } from '../../src/import/foreign.js';

describe("other software's chains and tables", () => {
  it.each([
    ['inet benteng', 'input', 'benteng (a previous deploy)'],
    ['ip filter', 'DOCKER-USER', 'Docker'],
    ['inet f2b-table', 'f2b-chain', 'fail2ban'],
    ['filter', 'f2b-sshd', 'fail2ban'],
    ['inet filter', 'input', undefined],
    ['inet firewalld', 'filter_INPUT', undefined],
  ])('table %s, chain %s: %s', (table, name, owner) => {
    expect(foreignChainOwner({ table, name })).toBe(owner);
  });
});
