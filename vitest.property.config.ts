import { defineConfig } from 'vitest/config';

/**
 * The property run (test/property/seeds.test.ts): 300 seeded scenarios on virtual time, each with
 * its adversary. Virtual time moves as fast as the process runs, so it runs by itself after the
 * rest of the suite (`npm test`), one file at a time; `npm run test:property` runs only it.
 */
export default defineConfig({
  test: {
    include: ['test/property/seeds.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
