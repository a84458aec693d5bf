import { defineConfig } from 'vitest/config';

/**
 * The cluster test (test/cluster/) alone: three daemon processes, haproxy and ~40 calls load a
 * 2-core machine, so it runs after the rest of the suite (`npm test`), never beside it, where it
 * would slow other files' bounded waits. `npm run test:cluster` runs only it.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/support/global-setup-cluster.ts'],
    testTimeout: 600_000,
    hookTimeout: 90_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
