import { describe, expect, it } from 'vitest';
import type { HookMatch } from '../../sim/faults.js';
import { transferEvents, useE2e, warm } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * The hold reaches the carrier twice: the carrier acted on the daemon's redirect into the room but
 * answered it after the REST client's timeout, so the client sent it again. The second copy
 * takes the caller out of the room and straight back in, and the room's report of them leaving
 * comes after the one of them entering again (neither carrier orders its callbacks). Soak seeds
 * 9112 and 12225 recorded that caller `caller_hangup` while they sat on hold, alone. The daemon
 * now asks the carrier whether the caller's call is live before taking them for gone, and the
 * human it was ringing still gets them. On virtual time: the REST timeout costs no wall time.
 */

const LEAVE: Readonly<Record<'twilio' | 'plivo', (callSid: string) => HookMatch>> = {
  twilio: (callSid) => ({ kind: 'conference', event: 'participant-leave', callSid }),
  plivo: (callSid) => ({ kind: 'conference', event: 'exit', callSid }),
};

describe.each(['twilio', 'plivo'] as const)(
  '%s: the room reports a twice-sent hold out of order (virtual time)',
  (carrier) => {
    const e2e = useE2e(carrier, { virtualTime: true });

    it('the caller is asked after, found on the line, and connected to the human', async () => {
      const h = await e2e.run({
        script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
        agent: warm('Incoming refund request, please assist.'),
      });
      const human = h.sim.network.addHuman('+14155550111', {
        type: 'answer',
        afterMs: 13_000,
        speak: { type: 'tone', hz: 660, durationMs: 20_000 },
      });
      const call = await e2e.placeCall(h);
      const path = carrier === 'twilio' ? `/Calls/${call.sid}.json` : `/Call/${call.sid}/`;
      // Acted on at once, answered 12 s later: after the client's 10 s timeout, which sends it again.
      const slow = h.sim.faults.add({ type: 'rest.slow', method: 'POST', path, delayMs: 12_000, times: 1 });
      // The caller's "out of the room" reaches the daemon 600 ms late: after their "back in".
      const late = h.sim.faults.add({
        type: 'callback.delay',
        match: LEAVE[carrier](call.sid),
        delayMs: 600,
      });

      const done = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 60_000);
      expect(slow.hits).toBe(1);
      expect(late.hits).toBeGreaterThanOrEqual(1);
      // The simulator's own record: two redirects of the caller's call, the caller left the room once and came back.
      const redirects = h.sim.log
        .ofType('rest.request')
        .filter((e) => e.method === 'POST' && e.path.endsWith(path));
      expect(redirects.length).toBeGreaterThanOrEqual(2);
      expect(transferEvents(done)).toContain('caller.left');
      expect(transferEvents(done)).toContain('caller.present');
      expect(done.transfers[0]?.outcome).toBe('connected');
      expect(done.phase).toBe('human');
      // The caller hears the human, and the human the caller: nobody was left alone on hold.
      await h.sim.waitFor(() => call.heard.from('party:').length > 0, 10_000);
      expect(human.activeLeg?.state).toBe('answered');
      call.hangup();
      expect((await waitForRecord(h, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('transferred');
    });
  },
);
