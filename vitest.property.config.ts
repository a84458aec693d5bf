import { defineConfig } from 'vitest/config';

/**
 * The property run (test/property/seeds.test.ts): 300 seeded scenarios on virtual time, each with
 * its adversary; and the seeds kept as regressions (test/property/property.test.ts). Virtual time
 * moves as fast as the process runs, and a seed repeats given the order its IO arrives in, which
 * a loaded machine can change (2026-12-04: two regressions whose race did not happen under the
 * full suite's four forks). So it runs by itself after the rest of the suite (`npm test`), one
 * file at a time; `npm run test:property` runs only it.
 */
export default defineConfig({
  test: {
    include: ['test/property/seeds.test.ts', 'test/property/property.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
