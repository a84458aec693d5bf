import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Run by themselves after the rest: the cluster loads the machine (vitest.cluster.config.ts),
    // and the property run's virtual time moves as fast as its process (vitest.property.config.ts),
    // its regressions included: a seed repeats given the order its IO arrives in, which the rest
    // of the suite's load can change.
    exclude: [
      'test/cluster/**',
      'test/netns/**',
      'test/property/seeds.test.ts',
      'test/property/property.test.ts',
      'node_modules/**',
    ],
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
