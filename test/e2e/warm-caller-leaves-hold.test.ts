import { describe, expect, it } from 'vitest';
import { transferEvents, useE2e, warm } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * The caller hangs up on hold while the human's phone rings, and the caller's own status callback
 * comes late: Plivo retries a `hangup_url` it could not deliver, and neither Plivo nor Twilio
 * orders a call's status callback after its conference events (seed 0xa2 of the property test).
 * The room's report of the caller leaving is then the first news: the ringing human is hung up
 * at once (nobody briefed into an empty room) and the transfer ends `caller_hangup`, not with
 * whatever the human's phone did later.
 */
describe.each(['twilio', 'plivo'] as const)(
  '%s: the caller leaves the hold room, their status callback 4 s late (Redis)',
  (carrier) => {
    const e2e = useE2e(carrier);

    it('the ringing human is hung up before the caller’s status callback comes; the transfer ends caller_hangup', async () => {
      const h = await e2e.run({
        script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 100 }],
        agent: warm('Caller needs help.'),
      });
      const human = h.sim.network.addHuman('+14155550111', { type: 'no-answer' });
      const late = h.sim.faults.add({
        type: 'callback.delay',
        match: { kind: 'status', url: new RegExp(`/${carrier}/status$`) },
        delayMs: 4_000,
      });
      const call = await e2e.placeCall(h);
      await waitForRecord(h, call.sid, (r) => transferEvents(r).includes('caller.held'));
      await h.sim.waitFor(() => human.activeLeg?.state === 'ringing', 8000);
      call.hangup();

      const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
      expect(late.hits).toBe(1);
      expect(ended.transfers[0]?.outcome).toBe('caller_hangup');
      expect(ended.endedReason).toBe('caller_hangup');
      // The human's leg ended before the caller's own status callback reached the daemon.
      const humanEnd = h.sim.log
        .ofType('leg.ended')
        .find((e) => e.callSid !== undefined && human.legs.some((l) => l.label === e.callSid));
      // Logged once the daemon answered it, which may be after the record ended.
      const callerStatus = await h.sim.waitFor(() =>
        h.sim.log
          .ofType('webhook.sent')
          .find((e) => e.kind === 'status' && e.callSid === call.sid && e.copy === 0),
      );
      expect(humanEnd?.status).toBe('canceled');
      expect(humanEnd?.seq).toBeLessThan(callerStatus.seq);
      expect(transferEvents(ended)).toContain('caller.left');
      const session = await h.agent!.session(0);
      expect(session.frames('resume')).toHaveLength(0);
    });
  },
);
