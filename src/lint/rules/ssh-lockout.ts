import { cutAt, valueIntervals } from '../../access/exposure.js';
import type { ChainAccess } from '../../access/index.js';
import type { ResolvedRule } from '../../model/index.js';
import { type AddressSet, anySet, emptySet, intersectSets, isEmptySet, normalizeRanges, subtractRanges, subtractSets } from '../../net/address-set.js';
import { type AddressRange, type Family, parseAddress, rangeToCidrs } from '../../net/address.js';
import type { FleetModel, HostModel } from '../../model/index.js';
import { HOSTS_SERVICE } from '../../resolve/ssh-narrowing.js';
import { defineRule } from '../rule.js';
import { adminAddresses } from '../rule-views.js';

/**
 * Ports an SSH client picks its side of the connection from: Linux (32768-60999), Windows and macOS
 * (49152-65535). Without conntrack's return path, the host must send to all of them.
 */
export const CLIENT_PORTS = { from: 32768, to: 65535 };

/** CIDR blocks named per admin network in a message before the rest are counted. */
const CIDRS_SHOWN = 4;

/**
 * The admin addresses that lose SSH, by admin network: "198.51.100.0/28 of `admin`", bounded
 * ("… and 3 more blocks"), so the message says whom a deploy would lock out.
 */
export function describeLost(model: FleetModel, lost: AddressSet): string {
  const parts: string[] = [];
  for (const network of [...model.networks.values()].filter((n) => n.tags.includes('admin'))) {
    const own = intersectSets(network.addresses, lost);
    if (isEmptySet(own)) continue;
    const cidrs = (['ipv4', 'ipv6'] as Family[]).flatMap((f) => own[f].flatMap((r) => rangeToCidrs(f, r)));
    const shown = cidrs.slice(0, CIDRS_SHOWN).join(', ');
    const more = cidrs.length > CIDRS_SHOWN ? ` and ${cidrs.length - CIDRS_SHOWN} more block${cidrs.length - CIDRS_SHOWN === 1 ? '' : 's'}` : '';
    const whole = sameRanges(own.ipv4, network.addresses.ipv4) && sameRanges(own.ipv6, network.addresses.ipv6);
    parts.push(whole ? `all of \`${network.name}\` (${shown}${more})` : `${shown}${more} of \`${network.name}\``);
  }
  return parts.join(', ');
}

function refusedBy(blockers: readonly ResolvedRule[]): string {
  return blockers.length > 0 ? `; refused by ${blockers.map((r) => `\`${r.id}\``).join(', ')}` : '; no rule accepts it, so the default drop decides';
}

/** Admin peers (of one family) the chain does not accept at the value, and the rules refusing them. */
function refused(chain: ChainAccess, family: Family, value: number, admin: readonly AddressRange[]): { left: AddressRange[]; blockers: ResolvedRule[] } {
  const pieces = cutAt(chain, family, 'tcp', value);
  const accepted = normalizeRanges(pieces.filter((p) => p.verdict === 'accept'));
  const left = subtractRanges(admin, accepted);
  const blockers = pieces.filter((p) => p.verdict !== 'accept' && p.rule && left.some((r) => r.start <= p.end && p.start <= r.end)).map((p) => p.rule!);
  return { left, blockers: [...new Set(blockers)] };
}

/** Where the deployer's SSH to a host comes from: the admin networks, or the jump host it is reached through. */
interface SshSources {
  set: AddressSet;
  /** The last ProxyJump hop of hosts.yaml, when the host is reached through one. */
  jump?: string;
}

/**
 * The addresses that must keep SSH to `host`: its last jump host's addresses (`ssh.proxyJump`, a host
 * of hosts.yaml or an address literal; a DNS name cannot be judged), else the admin addresses; on a
 * host whose `ssh.allowFrom` narrows SSH (the `hosts/…` rule first on its input chain), the admin
 * addresses it still allows, or all of them when it allows none (then nobody can deploy).
 */
function sshSources(model: FleetModel, host: HostModel, admin: AddressSet): SshSources | undefined {
  const jump = host.ssh.proxyJump?.at(-1);
  if (jump) {
    const inventory = model.hosts.find((h) => h.name === jump.name && jump.address === h.ssh.address);
    if (inventory) return { set: inventory.addresses, jump: jump.name ?? jump.address };
    const literal = parseAddress(jump.address.replace(/^\[|\]$/g, ''));
    if (!literal.ok) return undefined;
    const set = emptySet();
    set[literal.value.family].push({ start: literal.value.value, end: literal.value.value });
    return { set, jump: jump.name ?? jump.address };
  }
  if (isEmptySet(admin)) return undefined;
  const narrowing = host.input[0]?.service === HOSTS_SERVICE ? host.input[0] : undefined;
  if (!narrowing) return { set: admin };
  const allowed = intersectSets(admin, subtractSets(anySet(), narrowing.peers));
  return { set: isEmptySet(allowed) ? admin : allowed };
}

function describeSources(model: FleetModel, sources: SshSources, lost: AddressSet): string {
  if (!sources.jump) return describeLost(model, lost);
  const cidrs = (['ipv4', 'ipv6'] as Family[]).flatMap((f) => lost[f].flatMap((r) => rangeToCidrs(f, r)));
  return `\`${sources.jump}\` (${cidrs.slice(0, CIDRS_SHOWN).join(', ')}${cidrs.length > CIDRS_SHOWN ? ` and ${cidrs.length - CIDRS_SHOWN} more` : ''})`;
}

/**
 * A host that would not let its deployers keep an SSH session, decided from the access model, in each
 * family the host and the deployers' addresses share. The deployers are the networks tagged `admin`,
 * or, for a host reached through `ssh.proxyJump`, its last jump host; a host whose `ssh.allowFrom`
 * narrows SSH needs the admin addresses it still allows. New connections to its SSH port must be
 * accepted from every one of those addresses (first match wins, so an earlier drop counts), and when
 * the defaults turn off `established`, the replies (tcp from the SSH port to the clients' ephemeral
 * ports, `CLIENT_PORTS`) must be accepted by the output chain too.
 */
export default defineRule<Record<string, never>, 'lockout' | 'partial' | 'noReturn' | 'jump'>({
  meta: {
    id: 'ssh-lockout',
    defaultSeverity: 'error',
    description: 'A host would not accept SSH from the admin networks (or from the jump host it is reached through): deploying its rules would lock the administrators out.',
    messages: {
      lockout: '`{{host}}` would not accept SSH (tcp/{{port}}) from any admin network: {{lost}} would lose SSH{{decidedBy}}; a deploy would lock you out',
      partial: '`{{host}}` would not accept SSH (tcp/{{port}}) from part of the admin networks: {{lost}} would lose SSH{{decidedBy}}',
      jump: '`{{host}}` would not accept SSH (tcp/{{port}}) from its jump host {{lost}} (`ssh.proxyJump`){{decidedBy}}; a deploy would lock you out',
      noReturn:
        '`{{host}}` would drop the replies of SSH sessions to {{lost}}: `established: false` in the defaults and the output chain does not accept tcp to them on ports {{from}}-{{to}}{{decidedBy}}; a deploy would lock you out',
    },
    example: '# no ingress rule accepts tcp/22 from the networks tagged admin\ningress:\n  - from: internal\n    ports: [https]',
    securitySeverity: 5.0,
    tags: ['availability', 'deploy'],
  },
  check(context) {
    const admin = adminAddresses(context.model);
    for (const host of context.model.hosts) {
      const port = host.ssh.port;
      const sources = sshSources(context.model, host, admin.set);
      if (!sources) continue;
      const required = sources.set;
      const families = (['ipv4', 'ipv6'] as Family[]).filter((f) => host.addresses[f].length > 0 && required[f].length > 0);
      if (families.length === 0) continue;
      const ingress = context.access.chain(host, 'ingress');
      const inbound = families.map((f) => ({ family: f, ...refused(ingress, f, port, required[f]) }));
      const blockers = [...new Set(inbound.flatMap((r) => r.blockers))];
      const related = blockers.map((r) => ({ message: `refused by \`${r.id}\``, span: r.span }));
      const refusedFamilies = inbound.filter((r) => r.left.length > 0);
      const acceptedSome = inbound.some((r) => !sameRanges(r.left, required[r.family]));
      if (refusedFamilies.length > 0) {
        const lost = emptySet();
        for (const r of refusedFamilies) lost[r.family] = r.left;
        const data = { host: host.name, port, lost: describeSources(context.model, sources, lost), decidedBy: refusedBy(blockers) };
        context.report({ messageId: sources.jump ? 'jump' : acceptedSome ? 'partial' : 'lockout', data, span: host.span, related });
        continue;
      }
      if (context.model.baseline.established) continue;
      const egress = context.access.chain(host, 'egress');
      const outbound = families.flatMap((family) =>
        valueIntervals(egress, family, 'tcp', CLIENT_PORTS.from, CLIENT_PORTS.to).map((interval) => ({ family, ...refused(egress, family, interval.from, required[family]) })),
      );
      const lost = outbound.filter((r) => r.left.length > 0);
      if (lost.length === 0) continue;
      const returnBlockers = [...new Set(lost.flatMap((r) => r.blockers))];
      const lostSet = emptySet();
      for (const r of lost) lostSet[r.family] = normalizeRanges([...lostSet[r.family], ...r.left]);
      context.report({
        messageId: 'noReturn',
        data: {
          host: host.name,
          lost: describeSources(context.model, sources, lostSet),
          from: CLIENT_PORTS.from,
          to: CLIENT_PORTS.to,
          decidedBy: refusedBy(returnBlockers),
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
