import { expect, it } from 'vitest';
import { exotelSimulator } from '../../sim/carriers/exotel/simulator.js';

/**
 * `npm run sim -- --exotel-number N=URL` builds the flow docs/exotel.md has users build, whose
 * Connect applet rings as long as an agent's cold transfer (10 s), not the applet's 30 s default.
 */
it('--exotel-number builds a Connect applet with a 10 s ring timeout', () => {
  const section = exotelSimulator.applyFlags(
    { numbers: {} } as Parameters<typeof exotelSimulator.applyFlags>[0],
    { 'exotel-number': ['+918045550100=http://exotel:secret-0123456789@127.0.0.1:3000'] },
  ) as { numbers: Record<string, { flow: { type: string }[] }> };
  const flow = section.numbers['+918045550100']?.flow ?? [];
  expect(flow.find((a) => a.type === 'connect')).toMatchObject({ type: 'connect', ringTimeoutSec: 10 });
});
