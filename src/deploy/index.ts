/**
 * The deploy stage: the only code in benteng that opens SSH connections or runs commands on servers.
 * Every function returns typed reports and emits typed progress events; none prints or exits.
 * Protocol and guarantees: docs/deploy.md and agent/agent.sh.
 */
export { deployHost } from './host-deploy.js';
export { deployFleet } from './fleet.js';
export { rollbackHost } from './rollback.js';
export { statusHost } from './status.js';
export { blockHosts, unblockHosts, listBlocks, type BlockEntry, type BlockHostReport } from './blocks.js';
export { readDrops, summariseDrops, type DropsReport } from './drops.js';
export { connectSsh, type Connect, type Transport, type ExecResult } from './ssh/transport.js';
export { retryFirstConnection, type RetryPolicy } from './ssh/retry.js';
export { fingerprintOf, verifyHostKey, parseKnownHosts } from './ssh/host-key.js';
export { unifiedDiff } from './diff.js';
export * from './types.js';
