import type { YamlSource } from '../load/index.js';
import type { BlocklistDocument, DefaultsDocument, HostsDocument, NetworksDocument, PortsDocument, ServiceDocument } from './types.generated.js';

export type * from './types.generated.js';

/** A document that passed its schema, with the source it came from (for spans). */
export interface Sourced<T> {
  source: YamlSource;
  data: T;
}

/** The validated policy: the output of the validate stage, the input of resolve and lint. */
export interface PolicySet {
  dir: string;
  hosts: Sourced<HostsDocument>;
  networks?: Sourced<NetworksDocument>;
  ports?: Sourced<PortsDocument>;
  defaults?: Sourced<DefaultsDocument>;
  /** Permanent blocks (`blocklist.yaml`), in file order. */
  blocklist?: Sourced<BlocklistDocument>;
  /** Sorted by service name. */
  services: Array<Sourced<ServiceDocument>>;
}
