import { type Diagnostic, diagnostic } from '../diagnostics/diagnostic.js';
import type { LoadedDocument, LoadedPolicies } from '../load/index.js';
import type { PolicySet, Sourced } from '../policy/index.js';
import type { BlocklistDocument, DefaultsDocument, HostsDocument, NetworksDocument, PortsDocument, ServiceDocument } from '../policy/types.generated.js';
import { schemaDiagnostics } from './schema-messages.js';
import { schemaValidators } from './schema-registry.js';

export interface ValidationResult {
  /** Present when the inventory is valid; documents that failed their schema are left out. */
  policy?: PolicySet;
  diagnostics: Diagnostic[];
}

/**
 * Validates each loaded document against its JSON Schema (schemas/*.schema.json, 2020-12) and assembles
 * the typed policy. Every schema error becomes a diagnostic at the offending key or value.
 */
export function validatePolicies(loaded: LoadedPolicies): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const validators = schemaValidators();
  const valid: LoadedDocument[] = [];
  for (const document of loaded.documents) {
    const validate = validators.get(document.kind)!;
    if (validate(document.data)) valid.push(document);
    else diagnostics.push(...schemaDiagnostics(validate.errors ?? [], document.source));
  }
  const one = <T>(kind: LoadedDocument['kind']): Sourced<T> | undefined => {
    const doc = valid.find((d) => d.kind === kind);
    return doc ? { source: doc.source, data: doc.data as T } : undefined;
  };
  const hosts = one<HostsDocument>('hosts');
  if (!hosts) {
    const hostsReported = [...loaded.diagnostics, ...diagnostics].some((d) => /hosts\.ya?ml$/.test(d.span?.file ?? ''));
    if (!hostsReported && loaded.documents.length > 0) {
      diagnostics.push(diagnostic('missing-inventory', 'error', `no hosts.yaml in \`${loaded.dir}\`: the inventory of hosts is required`));
    }
    return { diagnostics };
  }

  const services: Array<Sourced<ServiceDocument>> = [];
  const byName = new Map<string, Sourced<ServiceDocument>>();
  for (const doc of valid.filter((d) => d.kind === 'service')) {
    const service = { source: doc.source, data: doc.data as ServiceDocument };
    const earlier = byName.get(service.data.service);
    if (earlier) {
      diagnostics.push(
        diagnostic('duplicate-service', 'error', `service \`${service.data.service}\` is defined twice`, service.source.spanOf(['service']), [
          { message: 'first defined here', span: earlier.source.spanOf(['service']) },
        ]),
      );
      continue;
    }
    byName.set(service.data.service, service);
    services.push(service);
  }
  services.sort((a, b) => (a.data.service < b.data.service ? -1 : a.data.service > b.data.service ? 1 : 0));

  const policy: PolicySet = { dir: loaded.dir, hosts, services };
  const networks = one<NetworksDocument>('networks');
  const ports = one<PortsDocument>('ports');
  const defaults = one<DefaultsDocument>('defaults');
  const blocklist = one<BlocklistDocument>('blocklist');
  if (networks) policy.networks = networks;
  if (ports) policy.ports = ports;
  if (defaults) policy.defaults = defaults;
  if (blocklist) policy.blocklist = blocklist;
  return { policy, diagnostics };
}
