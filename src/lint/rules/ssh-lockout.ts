import { cutAt, valueIntervals } from '../../access/exposure.js';
import type { ChainAccess } from '../../access/index.js';
import type { ResolvedRule } from '../../model/index.js';
import { normalizeRanges, subtractRanges } from '../../net/address-set.js';
import type { AddressRange, Family } from '../../net/address.js';
import { defineRule } from '../rule.js';
import { adminAddresses } from '../rule-views.js';

/**
 * Ports an SSH client picks its side of the connection from: Linux (32768-60999), Windows and macOS
 * (49152-65535). Without conntrack's return path, the host must send to all of them.
 */
export const CLIENT_PORTS = { from: 32768, to: 65535 };

const FAMILY_NAME: Record<Family, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/** Admin peers (of one family) the chain does not accept at the value, and the rules refusing them. */
function refused(chain: ChainAccess, family: Family, value: number, admin: readonly AddressRange[]): { left: AddressRange[]; blockers: ResolvedRule[] } {
  const pieces = cutAt(chain, family, 'tcp', value);
  const accepted = normalizeRanges(pieces.filter((p) => p.verdict === 'accept'));
  const left = subtractRanges(admin, accepted);
  const blockers = pieces.filter((p) => p.verdict !== 'accept' && p.rule && left.some((r) => r.start <= p.end && p.start <= r.end)).map((p) => p.rule!);
  return { left, blockers: [...new Set(blockers)] };
}

/**
 * A host that would not let the networks tagged `admin` keep an SSH session, decided from the access
 * model, in each family the host and the admin networks share: new connections to its SSH port must be
 * accepted from every admin address (first match wins, so an earlier drop counts), and when the
 * defaults turn off `established`, the replies (tcp from the SSH port to the clients' ephemeral
 * ports, `CLIENT_PORTS`) must be accepted by the output chain too. Needs a network tagged `admin`.
 */
export default defineRule<Record<string, never>, 'lockout' | 'partial' | 'noReturn'>({
  meta: {
    id: 'ssh-lockout',
    defaultSeverity: 'error',
    description: 'A host would not accept SSH from the admin networks: deploying its rules would lock the administrators out.',
    messages: {
      lockout: '`{{host}}` would not accept SSH (tcp/{{port}}) from the admin networks ({{admin}}): a deploy would lock you out',
      partial: '`{{host}}` would not accept SSH (tcp/{{port}}) from part of the admin networks ({{family}}){{decidedBy}}',
      noReturn:
        '`{{host}}` would drop the replies of SSH sessions to the admin networks ({{family}}): `established: false` in the defaults and the output chain does not accept tcp to them on ports {{from}}-{{to}}{{decidedBy}}; a deploy would lock you out',
    },
    example: '# no ingress rule accepts tcp/22 from the networks tagged admin\ningress:\n  - from: internal\n    ports: [https]',
    securitySeverity: 5.0,
    tags: ['availability', 'deploy'],
  },
  check(context) {
    const admin = adminAddresses(context.model);
    if (admin.names.length === 0) return;
    for (const host of context.model.hosts) {
      const port = host.ssh.port;
      const families = (['ipv4', 'ipv6'] as Family[]).filter((f) => host.addresses[f].length > 0 && admin.set[f].length > 0);
      if (families.length === 0) continue;
      const ingress = context.access.chain(host, 'ingress');
      const inbound = families.map((f) => ({ family: f, ...refused(ingress, f, port, admin.set[f]) }));
      const blockers = [...new Set(inbound.flatMap((r) => r.blockers))];
      const related = blockers.map((r) => ({ message: `refused by \`${r.id}\``, span: r.span }));
      const refusedFamilies = inbound.filter((r) => r.left.length > 0);
      const acceptedSome = inbound.some((r) => !sameRanges(r.left, admin.set[r.family]));
      if (refusedFamilies.length > 0) {
        if (!acceptedSome) context.report({ messageId: 'lockout', data: { host: host.name, port, admin: admin.names.join(', ') }, span: host.span, related });
        else {
          context.report({
            messageId: 'partial',
            data: { host: host.name, port, family: refusedFamilies.map((r) => FAMILY_NAME[r.family]).join(', '), decidedBy: blockers.length > 0 ? `: refused by ${blockers.map((r) => r.id).join(', ')}` : '' },
            span: host.span,
            related,
          });
        }
        continue;
      }
      if (context.model.baseline.established) continue;
      const egress = context.access.chain(host, 'egress');
      const outbound = families.flatMap((family) =>
        valueIntervals(egress, family, 'tcp', CLIENT_PORTS.from, CLIENT_PORTS.to).map((interval) => ({ family, ...refused(egress, family, interval.from, admin.set[family]) })),
      );
      const lost = outbound.filter((r) => r.left.length > 0);
      if (lost.length === 0) continue;
      const returnBlockers = [...new Set(lost.flatMap((r) => r.blockers))];
      context.report({
        messageId: 'noReturn',
        data: {
          host: host.name,
          family: [...new Set(lost.map((r) => FAMILY_NAME[r.family]))].join(', '),
          from: CLIENT_PORTS.from,
          to: CLIENT_PORTS.to,
          decidedBy: returnBlockers.length > 0 ? ` (refused by ${returnBlockers.map((r) => r.id).join(', ')})` : '',
        },
        span: host.span,
        related: returnBlockers.map((r) => ({ message: `refused by \`${r.id}\``, span: r.span })),
      });
    }
  },
});

function sameRanges(a: readonly AddressRange[], b: readonly AddressRange[]): boolean {
  return a.length === b.length && a.every((r, i) => r.start === b[i]!.start && r.end === b[i]!.end);
}
