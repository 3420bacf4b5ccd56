import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Kernel and sshd tests create namespaces with unique names, so files may run in parallel.
    fileParallelism: true,
    pool: 'forks',
    // Vitest's default is one worker per core minus one: a single worker on a 2-core CI machine. Most
    // kernel and sshd tests wait on the kernel or on ssh round trips rather than compute, so two
    // workers halve the wall time; probes and deploy waits are deadlines, not sleeps (see netns.ts).
    maxWorkers: 2,
  },
});
