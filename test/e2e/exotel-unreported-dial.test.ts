import { describe, expect, it } from 'vitest';
import { useE2e } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';

/**
 * Exotel's status callbacks "may be delayed or fail" (docs/simulator.md, the Exotel orderings),
 * and a Passthru whose URL fails takes the flow on anyway. When both reports of a dial's end are
 * lost, the flow still comes back to the Voicebot: that request is itself the news that the
 * Connect applet is over. The daemon must take it so — not answer "dial" again, which would ring
 * the same human a second time and keep the caller from the AI for good.
 */

const { run, placeCall } = useE2e('exotel');

describe('exotel: a dial whose end the carrier never reported', () => {
  it('the flow back at the Voicebot ends the dial: the caller is with the AI, the human rang once', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550122]'] }, { awaitEvent: 'resume' }, { say: 300 }],
    });
    const human = hh.sim.network.addHuman('+14155550122', { type: 'busy', afterMs: 300 });
    // The Connect applet's Terminal event is lost, and the dial-action Passthru never reaches the daemon.
    hh.sim.faults.add({
      type: 'callback.drop',
      match: { kind: 'connect-event', event: 'Terminal' },
      times: 5,
    });
    hh.sim.faults.add({
      type: 'webhook.unreachable',
      match: { url: '/exotel/dial-action' },
      times: 5,
    });
    const call = await placeCall(hh);
    const back = await waitForRecord(
      hh,
      call.sid,
      (r) => r.phase === 'ai' && r.transfers[0]?.outcome !== undefined,
      15_000,
    );
    // What the daemon can honestly say: the dial failed, the carrier did not say how.
    expect(back.transfers[0]?.outcome).toBe('failed');
    await hh.sim.waitFor(() => sourcesHeard(call.heard.segments).at(-1) === 'stream:', 5000);
    expect(human.legs).toHaveLength(1);
    const session = await hh.agent!.session(0);
    const resume = await session.waitFor((f) => f.event === 'resume');
    expect(resume.frame['outcome']).toBe('failed');
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });
});
