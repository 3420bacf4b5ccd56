import type { SshDefaultedField, SshEndpoint } from '../build/compiled-host.js';
import { type AddressSet, unionSets } from '../net/address-set.js';
import { parseAddress } from '../net/address.js';
import { parseSshDestination, splitJumps } from '../net/ssh-destination.js';
import type { PolicySet } from '../policy/index.js';
import type { ServiceDocument } from '../policy/types.generated.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import type { ResolveContext } from './context.js';

export function hostAddressSet(addresses: readonly string[]): AddressSet {
  return unionSets(
    ...addresses.map((text) => {
      const parsed = parseAddress(text);
      if (!parsed.ok) return { ipv4: [], ipv6: [] };
      const { family, value } = parsed.value;
      return { ipv4: [], ipv6: [], [family]: [{ start: value, end: value }] } as AddressSet;
    }),
  );
}

/**
 * The SSH endpoint with the schema's defaults (the first address, port 22, user root), which fields were
 * defaulted (~/.ssh/config may set those when deploying), and the jump hosts of `ssh.proxyJump`: a
 * hosts.yaml name brings that host's endpoint (and its own jumps, for the first jump), anything else is
 * `[user@]address[:port]`. Unknown names and loops through jump hosts are reported.
 */
export function sshEndpoint(name: string, policy: PolicySet, context?: ResolveContext): SshEndpoint {
  const span = () => policy.hosts.source.spanOf(['hosts', name, 'ssh', 'proxyJump']);
  return endpointOf(name, policy, [name], {
    cycle: (through) => context?.report('reference-cycle', 'error', `\`${name}\` reaches itself through its jump hosts (${[name, ...through].join(' → ')})`, span()),
    unknown: (message) => context?.report('unknown-reference', 'error', message, span()),
  });
}

interface JumpProblems {
  cycle(through: string[]): void;
  unknown(message: string): void;
}

const NONE_REPORTED: JumpProblems = { cycle: () => undefined, unknown: () => undefined };

function endpointOf(name: string, policy: PolicySet, path: string[], problems: JumpProblems): SshEndpoint {
  const host = policy.hosts.data.hosts[name]!;
  const ssh = host.ssh;
  const endpoint: SshEndpoint = { name, address: ssh?.address ?? host.addresses[0]!, port: ssh?.port ?? 22, user: ssh?.user ?? 'root' };
  if (ssh?.hostKey) endpoint.hostKey = ssh.hostKey;
  const defaulted: SshDefaultedField[] = [];
  if (ssh?.address === undefined) defaulted.push('address');
  if (ssh?.port === undefined) defaulted.push('port');
  if (ssh?.user === undefined) defaulted.push('user');
  if (defaulted.length > 0) endpoint.defaulted = defaulted;
  if (ssh?.proxyJump !== undefined) endpoint.proxyJump = jumpsOf(ssh.proxyJump, policy, path, problems);
  return endpoint;
}

function jumpsOf(text: string, policy: PolicySet, path: string[], problems: JumpProblems): SshEndpoint[] {
  const inventory = policy.hosts.data.hosts;
  const jumps: SshEndpoint[] = [];
  splitJumps(text).forEach((item, i) => {
    const parsed = parseSshDestination(item);
    if (!parsed.ok) return problems.unknown(`proxyJump \`${item}\`: ${parsed.reason}`);
    const { host, user, port } = parsed.value;
    let jump: SshEndpoint;
    if (inventory[host]) {
      if (path.includes(host)) return problems.cycle([...path.slice(1), host]);
      jump = endpointOf(host, policy, [...path, host], i === 0 ? problems : NONE_REPORTED);
      if (user !== undefined) jump.user = user;
      if (port !== undefined) jump.port = port;
      if (jump.defaulted) jump.defaulted = jump.defaulted.filter((f) => !(f === 'user' && user !== undefined) && !(f === 'port' && port !== undefined));
    } else if (/^[a-z][a-z0-9-]*$/.test(host) && user === undefined && port === undefined) {
      return problems.unknown(
        `unknown jump host \`${host}\`${didYouMean(host, Object.keys(inventory))} (a jump outside hosts.yaml is written \`user@address\` or \`address:port\`)`,
      );
    } else {
      jump = { name: host, address: host, port: port ?? 22, user: user ?? 'root' };
      const defaulted: SshDefaultedField[] = ['address'];
      if (port === undefined) defaulted.push('port');
      if (user === undefined) defaulted.push('user');
      jump.defaulted = defaulted;
    }
    if (i > 0) jump.proxyJump = [];
    jumps.push(jump);
  });
  return jumps;
}

/** Which hosts each service runs on (`hosts:` names and `tag:` groups), sorted; unknown names reported. */
export function placeServices(policy: PolicySet, context: ResolveContext): Map<string, string[]> {
  const inventory = policy.hosts.data.hosts;
  const tags = new Set(Object.values(inventory).flatMap((h) => h.tags ?? []));
  const placement = new Map<string, string[]>();
  const place = (service: ServiceDocument, spanAt: (i: number) => ReturnType<typeof policy.hosts.source.spanOf>) => {
    const hosts = new Set<string>();
    service.hosts.forEach((entry, i) => {
      if (entry.startsWith('tag:')) {
        const tag = entry.slice(4);
        const tagged = Object.keys(inventory).filter((h) => inventory[h]!.tags?.includes(tag));
        if (tagged.length === 0) {
          context.report('unknown-reference', 'error', `no host has tag \`${tag}\`${didYouMean(tag, tags)}`, spanAt(i));
        }
        tagged.forEach((h) => hosts.add(h));
      } else if (inventory[entry]) {
        hosts.add(entry);
      } else {
        context.report('unknown-reference', 'error', `unknown host \`${entry}\`${didYouMean(entry, Object.keys(inventory))}`, spanAt(i));
      }
    });
    placement.set(service.service, [...hosts].sort());
  };
  for (const { data, source } of policy.services) place(data, (i) => source.spanOf(['hosts', i]));
  return placement;
}
