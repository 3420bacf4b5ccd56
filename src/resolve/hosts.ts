import type { SshEndpoint } from '../build/compiled-host.js';
import { type AddressSet, unionSets } from '../net/address-set.js';
import { parseAddress } from '../net/address.js';
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

/** The SSH endpoint with the schema's defaults: the first address, port 22, user root. */
export function sshEndpoint(name: string, policy: PolicySet): SshEndpoint {
  const host = policy.hosts.data.hosts[name]!;
  const endpoint: SshEndpoint = {
    address: host.ssh?.address ?? host.addresses[0]!,
    port: host.ssh?.port ?? 22,
    user: host.ssh?.user ?? 'root',
  };
  if (host.ssh?.hostKey) endpoint.hostKey = host.ssh.hostKey;
  return endpoint;
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
