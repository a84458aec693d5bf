import type { E2e } from './fixture.js';
import { exotelNumber, type Harness, type HarnessOptions, INBOUND } from './harness.js';

/**
 * What the seed end-to-end files share: an agents-file entry made of the demo agent's identity
 * (id, inbound number, carrier, the scripted agent's URL) and a seed's own configuration, copied
 * from its page with only the numbers changed, plus the native fields the daemon needs besides.
 */

/**
 * The seed's configuration as the agent, beside the demo agent's identity, `native` fields and
 * `endpoint` settings (e.g. `speaksMessages`) on the scripted agent's `agent` block.
 */
export function seedAgent(
  seed: Record<string, unknown>,
  native: Record<string, unknown> = {},
  endpoint: Record<string, unknown> = {},
): (demo: Record<string, unknown>) => Record<string, unknown> {
  return (demo) => ({
    id: demo['id'],
    numbers: demo['numbers'],
    carrier: demo['carrier'],
    agent: { ...(demo['agent'] as object), ...endpoint },
    ...native,
    ...seed,
  });
}

/** Starts the harness; on Exotel the number runs Programmable Connect (ring timeout, playback). */
export async function runSeed(e2e: E2e, options: HarnessOptions): Promise<Harness> {
  const h = await e2e.run(options);
  if (e2e.carrier === 'exotel')
    h.sim.exotel.configureNumber(INBOUND, exotelNumber(h.publicUrl, { programmable: true }));
  return h;
}
