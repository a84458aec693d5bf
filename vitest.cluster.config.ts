import { defineConfig } from 'vitest/config';

/**
 * The cluster test (test/cluster/) alone: three daemon processes, haproxy and ~40 calls load a
 * 2-core machine, so it never runs beside other files. It is a chaos run: each failure is a race
 * under SIGKILL to fix, printed with its call's timeline. `npm run test:cluster` runs it; `npm
 * test` does not (a race it finds at random must not decide whether unrelated work lands), and
 * `npm run soak` runs the same judgement over thousands of calls.
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
