import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPolicies } from '../../src/pipeline.js';
import { parseQuestion, type QueryFleet, queryAccess } from '../../src/query/index.js';
import { type QueryChainJson, queryJson } from '../../src/query/json.js';
import { REPO_ROOT } from '../support/policy-dir.js';

let fleet: QueryFleet;

beforeAll(async () => {
  const result = await checkPolicies(join(REPO_ROOT, 'policies'), { lint: false, today: '2026-11-23' });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  fleet = { model: result.model!, access: result.access! };
});

/** `verdict decider [file:line:col]`, files relative to the repository root. */
function chainText(chain: QueryChainJson | null): string | null {
  if (!chain) return null;
  const rule = chain.rule ? ` ${chain.rule.id} ${chain.rule.file}:${chain.rule.line}:${chain.rule.column}` : ` ${chain.decidedBy}`;
  return `${chain.host} ${chain.direction}: ${chain.verdict}${rule}`;
}

function ask(from: string, to: string, protocol: string) {
  const question = parseQuestion(from, to, protocol);
  if (!question.ok) throw new Error(question.reasons.join('; '));
  const result = queryAccess(fleet, question.value);
  if (!result.value) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  const json = queryJson(result.value, REPO_ROOT);
  return {
    open: json.open,
    paths: json.paths.map((p) => ({
      path: `${p.from.host ?? p.from.address} -> ${p.to.host ?? p.to.address}`,
      open: p.open,
      checks: p.checks.map((c) => ({ check: `${c.family} ${c.from} -> ${c.to}`, open: c.open, egress: chainText(c.egress), ingress: chainText(c.ingress) })),
    })),
  };
}

const PORTAL_EGRESS = 'permit-portal/egress/0 policies/services/permit-portal.yaml:13:5';
const PERMIT_DB_INGRESS = 'db-01 ingress: accept permit-db/ingress/0 policies/services/permit-db.yaml:8:5';

interface Case {
  name: string;
  question: [string, string, string];
  open: boolean;
  paths: ReturnType<typeof ask>['paths'];
}

const CASES: Case[] = [
  {
    name: 'open path, service with several hosts: every source host is its own path, both families',
    question: ['service:permit-portal', 'service:permit-db', 'tcp/5432'],
    open: true,
    paths: ['web-01', 'web-02'].map((web, i) => ({
      path: `${web} -> db-01`,
      open: true,
      checks: [
        { check: `ipv4 203.0.113.1${i} -> 192.0.2.20`, open: true, egress: `${web} egress: accept ${PORTAL_EGRESS}`, ingress: PERMIT_DB_INGRESS },
        { check: `ipv6 2001:db8:203::1${i} -> 2001:db8:20::20`, open: true, egress: `${web} egress: accept ${PORTAL_EGRESS}`, ingress: PERMIT_DB_INGRESS },
      ],
    })),
  },
  {
    name: 'several destination hosts',
    question: ['service:monitoring', 'service:dns-resolvers', 'tcp/9100'],
    open: true,
    paths: [
      ['dns-01', '192.0.2.53', '2001:db8:20::53'],
      ['dns-02', '192.0.2.54', '2001:db8:20::54'],
    ].map(([dns, v4, v6]) => ({
      path: `mon-01 -> ${dns}`,
      open: true,
      checks: [
        { check: `ipv4 192.0.2.60 -> ${v4}`, open: true, egress: 'mon-01 egress: accept monitoring/egress/0 policies/services/monitoring.yaml:12:5', ingress: `${dns} ingress: accept defaults/ingress/1 policies/defaults.yaml:13:7` },
        { check: `ipv6 2001:db8:20::60 -> ${v6}`, open: true, egress: 'mon-01 egress: accept monitoring/egress/0 policies/services/monitoring.yaml:12:5', ingress: `${dns} ingress: accept defaults/ingress/1 policies/defaults.yaml:13:7` },
      ],
    })),
  },
  {
    name: "closed by the sender's egress (the receiver accepts)",
    question: ['host:mon-01', 'host:web-01', 'tcp/443'],
    open: false,
    paths: [
      {
        path: 'mon-01 -> web-01',
        open: false,
        checks: [
          { check: 'ipv4 192.0.2.60 -> 203.0.113.10', open: false, egress: 'mon-01 egress: drop default-drop', ingress: 'web-01 ingress: accept city-portal/ingress/0 policies/services/city-portal.yaml:8:5' },
          { check: 'ipv6 2001:db8:20::60 -> 2001:db8:203::10', open: false, egress: 'mon-01 egress: drop default-drop', ingress: 'web-01 ingress: accept city-portal/ingress/0 policies/services/city-portal.yaml:8:5' },
        ],
      },
    ],
  },
  {
    name: "closed by the receiver's ingress (the sender accepts)",
    question: ['host:mail-01', 'host:db-01', 'tcp/25'],
    open: false,
    paths: [
      {
        path: 'mail-01 -> db-01',
        open: false,
        checks: [
          { check: 'ipv4 203.0.113.25 -> 192.0.2.20', open: false, egress: 'mail-01 egress: accept mail-relay/egress/0 policies/services/mail-relay.yaml:20:5', ingress: 'db-01 ingress: drop default-drop' },
          { check: 'ipv6 2001:db8:203::25 -> 2001:db8:20::20', open: false, egress: 'mail-01 egress: accept mail-relay/egress/0 policies/services/mail-relay.yaml:20:5', ingress: 'db-01 ingress: drop default-drop' },
        ],
      },
    ],
  },
  {
    name: 'default drop from an outside address (only the receiver is checked, only its family)',
    question: ['203.0.113.7', 'host:db-01', 'tcp/5432'],
    open: false,
    paths: [{ path: '203.0.113.7 -> db-01', open: false, checks: [{ check: 'ipv4 203.0.113.7 -> 192.0.2.20', open: false, egress: null, ingress: 'db-01 ingress: drop default-drop' }] }],
  },
  {
    name: 'a drop rule decides (guest Wi-Fi inside the staff range)',
    question: ['198.51.100.113', 'host:mail-01', 'tcp/587'],
    open: false,
    paths: [{ path: '198.51.100.113 -> mail-01', open: false, checks: [{ check: 'ipv4 198.51.100.113 -> 203.0.113.25', open: false, egress: null, ingress: 'mail-01 ingress: drop mail-relay/ingress/1 policies/services/mail-relay.yaml:11:5' }] }],
  },
  {
    name: 'the rule after the drop decides for the rest of the staff range',
    question: ['198.51.100.70', 'host:mail-01', 'tcp/587'],
    open: true,
    paths: [{ path: '198.51.100.70 -> mail-01', open: true, checks: [{ check: 'ipv4 198.51.100.70 -> 203.0.113.25', open: true, egress: null, ingress: 'mail-01 ingress: accept mail-relay/ingress/2 policies/services/mail-relay.yaml:16:5' }] }],
  },
  {
    name: 'baseline essential ICMP accepts echo-request from anywhere',
    question: ['198.51.100.5', 'host:web-01', 'icmp/echo-request'],
    open: true,
    paths: [{ path: '198.51.100.5 -> web-01', open: true, checks: [{ check: 'ipv4 198.51.100.5 -> 203.0.113.10', open: true, egress: null, ingress: 'web-01 ingress: accept icmp-baseline' }] }],
  },
  {
    name: 'ICMP by number; a type outside the baseline and the rules is dropped',
    question: ['198.51.100.5', 'host:web-01', 'icmp/13'],
    open: false,
    paths: [{ path: '198.51.100.5 -> web-01', open: false, checks: [{ check: 'ipv4 198.51.100.5 -> 203.0.113.10', open: false, egress: null, ingress: 'web-01 ingress: drop default-drop' }] }],
  },
  {
    name: 'ICMPv6 is checked in IPv6 only, between two hosts',
    question: ['host:bastion-01', 'service:permit-db', 'icmpv6/echo-request'],
    open: true,
    paths: [{ path: 'bastion-01 -> db-01', open: true, checks: [{ check: 'ipv6 2001:db8:20::5 -> 2001:db8:20::20', open: true, egress: 'bastion-01 egress: accept icmp-baseline', ingress: 'db-01 ingress: accept icmp-baseline' }] }],
  },
  {
    name: 'IPv6 address of an admin workstation',
    question: ['2001:db8:ad::9', 'host:db-01', 'tcp/22'],
    open: true,
    paths: [{ path: '2001:db8:ad::9 -> db-01', open: true, checks: [{ check: 'ipv6 2001:db8:ad::9 -> 2001:db8:20::20', open: true, egress: null, ingress: 'db-01 ingress: accept defaults/ingress/0 policies/defaults.yaml:10:7' }] }],
  },
  {
    name: 'an address of a fleet host counts as that host (its egress is checked), in its family only',
    question: ['host:bastion-01', '2001:db8:20::20', 'tcp/22'],
    open: true,
    paths: [
      {
        path: 'bastion-01 -> db-01',
        open: true,
        checks: [{ check: 'ipv6 2001:db8:20::5 -> 2001:db8:20::20', open: true, egress: 'bastion-01 egress: accept bastion/egress/0 policies/services/bastion.yaml:9:5', ingress: 'db-01 ingress: accept defaults/ingress/0 policies/defaults.yaml:10:7' }],
      },
    ],
  },
  {
    name: 'a host to an outside address: only its egress is checked',
    question: ['host:db-01', '203.0.113.80', 'tcp/443'],
    open: true,
    paths: [{ path: 'db-01 -> 203.0.113.80', open: true, checks: [{ check: 'ipv4 192.0.2.20 -> 203.0.113.80', open: true, egress: 'db-01 egress: accept defaults/egress/2 policies/defaults.yaml:26:7', ingress: null }] }],
  },
  {
    name: 'a host to itself goes over loopback',
    question: ['host:db-01', 'host:db-01', 'tcp/5432'],
    open: true,
    paths: [
      {
        path: 'db-01 -> db-01',
        open: true,
        checks: [
          { check: 'ipv4 192.0.2.20 -> 192.0.2.20', open: true, egress: 'db-01 egress: accept loopback', ingress: 'db-01 ingress: accept loopback' },
          { check: 'ipv6 2001:db8:20::20 -> 2001:db8:20::20', open: true, egress: 'db-01 egress: accept loopback', ingress: 'db-01 ingress: accept loopback' },
        ],
      },
    ],
  },
];

describe('queryAccess on the example fleet', () => {
  it.each(CASES)('$name', ({ question, open, paths }) => {
    const answer = ask(...question);
    expect(answer.paths).toEqual(paths);
    expect(answer.open).toBe(open);
  });

  it('reports that the baseline accepts replies', () => {
    const question = parseQuestion('host:web-01', 'host:db-01', 'tcp/5432');
    if (!question.ok) throw new Error('parse');
    const check = queryAccess(fleet, question.value).value!.paths[0]!.checks[0]!;
    expect(check.egress!.repliesAccepted).toBe(true);
    expect(check.ingress!.repliesAccepted).toBe(true);
  });

  const REFUSED: Array<[[string, string, string], string, string]> = [
    [['host:web-1', 'host:db-01', 'tcp/5432'], 'query-unknown-host', '<from>: no host `web-1` in the fleet, did you mean `web-01`?'],
    [['host:web-01', 'service:permit-dbs', 'tcp/5432'], 'query-unknown-service', '<to>: no service `permit-dbs` runs on any host, did you mean `permit-db`?'],
    [['service:portal', 'host:db-01', 'tcp/5432'], 'query-unknown-service', '<from>: no service `portal` runs on any host, did you mean `city-portal` or `permit-portal`?'],
    [['198.51.100.1', '203.0.113.7', 'tcp/80'], 'query-outside-fleet', 'neither 198.51.100.1 nor 203.0.113.7 is an address of a fleet host, so no benteng chain decides this traffic'],
    [['198.51.100.1', 'host:db-01', 'icmpv6/echo-request'], 'query-no-common-family', 'icmpv6 is IPv6 only, and 198.51.100.1 and host:db-01 do not both have an IPv6 address (use icmp/<type> for IPv4)'],
    [['2001:db8:ad::9', '192.0.2.20', 'tcp/22'], 'query-no-common-family', '2001:db8:ad::9 and 192.0.2.20 have no address family in common (one end is IPv4 only, the other IPv6 only)'],
  ];
  it.each(REFUSED)('%j is refused: %s', ([from, to, protocol], code, message) => {
    const question = parseQuestion(from, to, protocol);
    if (!question.ok) throw new Error(question.reasons.join('; '));
    const result = queryAccess(fleet, question.value);
    expect(result.value).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([[code, 'error', message]]);
  });
});
