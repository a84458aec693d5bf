import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Run by itself after the rest (vitest.cluster.config.ts): it loads the machine.
    exclude: ['test/cluster/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most files wait on sockets and timers, not on the CPU: four forks finish a 2-core run in
    // about a third of the wall time of the default (one per core), with the same results.
    maxWorkers: 4,
    reporters: ['default'],
  },
});
