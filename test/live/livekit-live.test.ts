import { describe, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { type LivekitTarget, runRoomScenario } from '../support/livekit/room-scenario.js';

/**
 * Against a real LiveKit server (e.g. `livekit-server --dev`: LIVEKIT_URL=ws://localhost:7880,
 * LIVEKIT_API_KEY=devkey, LIVEKIT_API_SECRET=secret): the daemon's LiveKit transport and a tone
 * agent on rtc-node in one call's room (test/support/livekit/room-scenario.ts). Skipped unless the
 * three variables are set.
 */
function liveTarget(): LivekitTarget | undefined {
  const url = process.env['LIVEKIT_URL']?.trim();
  const credentials = parseEnv({
    LIVEKIT_API_KEY: process.env['LIVEKIT_API_KEY'],
    LIVEKIT_API_SECRET: process.env['LIVEKIT_API_SECRET'],
  }).livekit;
  return url === undefined || url === '' || credentials === undefined ? undefined : { url, ...credentials };
}

const target = liveTarget();

describe.skipIf(target === undefined)(
  'LiveKit live (set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET to run against a real server)',
  () => {
    it('a call room on a real LiveKit server: audio both ways keeps its frequency, RPC transfer, data packets, the agent leaving', async () => {
      if (target !== undefined) await runRoomScenario(target);
    }, 60_000);
  },
);
