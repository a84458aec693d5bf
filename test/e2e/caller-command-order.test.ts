import { afterEach, describe, expect, it } from 'vitest';
import { warm } from './fixture.js';
import { sourcesHeard } from './harness.js';
import { startVirtual, type VirtualRun } from './virtual.js';

/**
 * Commands to the caller's own call go to the carrier in the order the daemon decided them. Found
 * by the soak (seed 5009): the move to hold was refused once (503, which Twilio permits) and the
 * REST client retried it 250 ms later; meanwhile the human's line was busy and the daemon sent
 * the caller back to the AI. The retried hold landed after that, and the caller sat alone on hold
 * music until they hung up, while the record said "busy, back with the AI".
 */

const runs: VirtualRun[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

describe('the caller is commanded in order', () => {
  it('a hold retried after a 503 never lands after the return to the AI that followed it', async () => {
    const run = await startVirtual({
      carrier: 'twilio',
      script: (s) =>
        s.resumed
          ? []
          : [
              { say: 600 },
              { transfer: { destination: '+14155550122', mode: 'warm', reason: 'order' } },
              { awaitEvent: 'resume' },
              { say: 2000 },
            ],
      agent: warm('A caller from the order test.'),
    });
    runs.push(run);
    // Busy while the hold's retry waits (the hold follows the 600 ms the AI speaks).
    run.h.sim.network.addHuman('+14155550122', { type: 'busy', afterMs: 700 });
    run.h.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: /\/Calls\/CA[0-9a-f]+\.json$/,
      status: 503,
    });
    const call = await run.placeCall();
    await run.record(call.sid, (r) => r.transfers[0]?.outcome !== undefined, 'the outcome');
    // The caller ends with the AI, not on hold: the return came after the hold.
    await run.until(() => {
      const heard = sourcesHeard(call.heard.segments);
      return (
        heard.at(-1) === 'stream:' &&
        (call.heard.last('stream:')?.endMs ?? 0) - (call.heard.last('stream:')?.startMs ?? 0) >= 1000
      );
    }, 'the caller back with the AI for a second');
    const rest = run.h.sim.log
      .ofType('rest.request')
      .filter((e) => e.method === 'POST' && e.path.includes(call.sid) && e.status === 200)
      .map((e) => (String(e.params['Twiml'] ?? '').includes('<Conference') ? 'hold' : 'agent'));
    expect(rest).toEqual(['hold', 'agent']);
    call.hangup();
  });
});
