/**
 * Vitest global setup: the suite's build cache lives in a temporary `BENTENG_CACHE_DIR` (made in
 * vitest.config.ts) so that tests running `lint` and `build` on the repository's own `policies/` never
 * write into the repository; removed when the run ends.
 */
import { rmSync } from 'node:fs';
import { basename } from 'node:path';

export function teardown(): void {
  const dir = process.env.BENTENG_CACHE_DIR;
  if (dir && basename(dir).startsWith('benteng-test-cache-')) rmSync(dir, { recursive: true, force: true });
}
