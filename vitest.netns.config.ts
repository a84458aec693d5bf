import { defineConfig } from 'vitest/config';

/**
 * Tests that need a network namespace of their own (real WebRTC: libwebrtc ignores loopback).
 * test/e2e/livekit-rooms.test.ts runs them inside one (`unshare -n`, support/livekit/netns.sh).
 */
export default defineConfig({
  test: {
    include: ['test/netns/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
