import { describe, expect, it } from 'vitest';
import { ANSWERS, useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * Transfer scenarios that run, and are asserted, the same on several carriers. What a carrier does
 * differently (Exotel's flow, Plivo's REST calls) stays in its own `<carrier>-transfers` file.
 */

describe.each(['twilio', 'plivo'] as const)('%s transfers end to end (Redis)', (carrier) => {
  const { run, placeCall } = useE2e(carrier);

  it('busy, then the next number in the chain answers', async () => {
    const hh = await run({ script: [{ say: 200 }, { transfer: { rule: 'Billing' } }, { say: 200 }] });
    const first = hh.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 200 });
    const second = hh.sim.network.addHuman('+14155550112', ANSWERS);
    const call = await placeCall(hh);
    const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(record.transfer?.legs.map((l) => l.outcome)).toEqual(['busy', 'connected']);
    expect(first.legs).toHaveLength(1);
    expect(second.legs).toHaveLength(1);
    await hh.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
  });
});
