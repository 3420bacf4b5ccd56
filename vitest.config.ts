import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// The build cache of every test goes to a temporary directory (removed by the global setup's teardown),
// never into the repository's policies/ (test/build/cache.test.ts tests the default location itself).
process.env.BENTENG_CACHE_DIR ??= mkdtempSync(join(tmpdir(), 'benteng-test-cache-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    env: { BENTENG_CACHE_DIR: process.env.BENTENG_CACHE_DIR },
    // Kernel and sshd tests create namespaces with unique names, so files may run in parallel.
    fileParallelism: true,
    pool: 'forks',
    // Vitest's default is one worker per core minus one: a single worker on a 2-core CI machine. Most
    // kernel and sshd tests wait on the kernel or on ssh round trips rather than compute, so two
    // workers halve the wall time; probes and deploy waits are deadlines, not sleeps (see netns.ts).
    maxWorkers: 2,
  },
});
