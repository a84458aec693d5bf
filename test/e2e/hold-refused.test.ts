import { afterEach, describe, expect, it } from 'vitest';
import { STREAM_LOST_GRACE_MS } from '../../src/runtime/sessions.js';
import { warm } from './fixture.js';
import { sourcesHeard } from './harness.js';
import { backWithAi, startVirtual, type VirtualRun } from './virtual.js';

/**
 * The caller's move to hold refused by the carrier more often than its client retries within a
 * request (a 5xx, which both carriers permit): property seeds 0x6af (Twilio) and 0xab5 (Plivo,
 * 500 three times) ended such transfers `carrier_error`, the human never reached. The move is now
 * retried from a durable timer while its transfer waits for it (effect-failures.ts): the AI stays
 * paused, the caller hears the wait audio, the human's phone rings on, and the transfer connects.
 * Refused past those retries too, it ends `carrier_error` with the caller still with the AI.
 */

const HUMAN = '+14155550122';
/** The REST path that moves the caller's own call, per carrier. */
const MOVE_CALLER: Record<'twilio' | 'plivo', RegExp> = {
  twilio: /\/Calls\/CA[0-9a-f]+\.json$/,
  plivo: /\/Call\/[^/]+\/$/,
};
/** The client's first attempt and its two quick retries (DEFAULT_CARRIER_RETRY). */
const ONE_REQUEST = 3;
/** The first request, then the three durable retries, sent once each (`#retryHold`). */
const ALL_ATTEMPTS = ONE_REQUEST + 3;

const runs: VirtualRun[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

async function refusedHold(
  carrier: 'twilio' | 'plivo',
  refusals: number,
  status: number,
  answerMs = 4000,
  applied = false,
) {
  const run = await startVirtual({
    carrier,
    script: [
      { say: 600 },
      { transfer: { destination: HUMAN, mode: 'warm', reason: 'hold refused' } },
      { awaitEvent: 'resume' },
      { say: 1500 },
    ],
    agent: warm('A caller whose move to hold was refused.'),
  });
  runs.push(run);
  const human = run.h.sim.network.addHuman(HUMAN, {
    type: 'answer',
    afterMs: answerMs,
    speak: { type: 'tone', hz: 660 },
  });
  const fault = run.h.sim.faults.add({
    type: 'rest.error',
    method: 'POST',
    path: MOVE_CALLER[carrier],
    status,
    times: refusals,
    applied,
  });
  const call = await run.placeCall();
  return { run, human, fault, call };
}

describe.each(['twilio', 'plivo'] as const)(
  '%s: the move to hold refused past the quick retries',
  (carrier) => {
    it('retried from a durable timer: the caller waits on the wait audio, then hold, then the human', async () => {
      const { run, fault, call } = await refusedHold(carrier, ONE_REQUEST, carrier === 'plivo' ? 500 : 503);
      const record = await run.record(call.sid, (r) => r.phase === 'human', 'the human connected');
      expect(fault.hits).toBe(ONE_REQUEST);
      expect(record.transfer?.outcome).toBe('connected');
      const events = record.timeline.map((t) => `${t.event} ${t.detail ?? ''}`);
      expect(events).toEqual(
        expect.arrayContaining([expect.stringMatching(/^effect\.retry_scheduled caller\.hold/)]),
      );
      expect(events.some((e) => e.startsWith('effect.failed'))).toBe(false);
      await run.until(() => call.heard.first('party:') !== undefined, 'the caller hears the human');
      // Never dead air: the AI, the wait audio while the move was refused, hold, the human.
      const heard = sourcesHeard(call.heard.segments);
      expect(heard.slice(0, 1)).toEqual(['stream:']);
      expect(heard).toContain('hold');
      expect(heard.indexOf('hold')).toBeLessThan(
        heard.indexOf(heard.find((s) => s.startsWith('party:')) ?? ''),
      );
      const waited = call.heard.segments.filter((s) => s.level === 'quiet');
      expect(waited.length).toBeGreaterThan(0);
      call.hangup();
    });

    it('refused past the durable retries too: carrier_error, the human canceled, the caller still with the AI', async () => {
      // The first request (the client's three attempts) and three durable retries (one attempt
      // each: the timer is their retry). The human still ringing when the last refusal comes.
      const { run, human, fault, call } = await refusedHold(carrier, ALL_ATTEMPTS, 503, 12_000);
      const back = await backWithAi(run, call.sid);
      expect(fault.hits).toBe(ALL_ATTEMPTS);
      expect(back.transfers).toMatchObject([{ outcome: 'carrier_error' }]);
      const leg = human.legs[0];
      if (leg === undefined) throw new Error('the human was not dialed');
      expect((await leg.ended).status).toBe('canceled');
      // The caller never left the AI's stream, and hears the AI again after `resume`.
      const endedAtMs = back.transfers[0]?.endedAtMs ?? Number.POSITIVE_INFINITY;
      await run.until(
        () => call.heard.segments.some((s) => s.level === undefined && s.startMs >= endedAtMs),
        'the AI speaking again',
      );
      expect(sourcesHeard(call.heard.segments).every((s) => s.startsWith('stream:'))).toBe(true);
      // Between the AI's words, only the wait audio: never more than a second of nothing.
      const segments = call.heard.segments;
      for (let i = 1; i < segments.length; i++)
        expect((segments[i]?.startMs ?? 0) - (segments[i - 1]?.endMs ?? 0)).toBeLessThanOrEqual(1_100);
      call.hangup();
    });
  },
);

describe.each(['twilio', 'plivo'] as const)(
  '%s: the move to hold done, yet answered with an error every time',
  (carrier) => {
    it("the room's report of the caller lost too: the transfer ends carrier_error and the caller is brought back to the AI", async () => {
      // Every attempt moved the caller to the room and was answered 503; the room's reports never came.
      const { run, fault, call } = await refusedHold(carrier, ALL_ATTEMPTS, 503, 12_000, true);
      run.h.sim.faults.add({
        type: 'callback.drop',
        match: { kind: 'conference' },
        times: Number.POSITIVE_INFINITY,
      });
      const back = await backWithAi(run, call.sid);
      expect(fault.hits).toBe(ALL_ATTEMPTS);
      expect(back.transfers).toMatchObject([{ outcome: 'carrier_error' }]);
      const endedAtMs = back.transfers[0]?.endedAtMs ?? Number.POSITIVE_INFINITY;
      await run.until(
        () =>
          call.heard.segments.some(
            (s) => s.source.startsWith('stream:') && s.level === undefined && s.startMs >= endedAtMs,
          ),
        'the AI speaking again',
      );
      // Back with the AI within the grace a resumed caller's stream has to come back (the Plivo
      // simulator asks the daemon for the caller's markup on each move, so there at once).
      const backOnStream = call.heard.segments.find(
        (s) => s.source.startsWith('stream:') && s.startMs >= endedAtMs,
      );
      expect((backOnStream?.startMs ?? Number.POSITIVE_INFINITY) - endedAtMs).toBeLessThanOrEqual(
        STREAM_LOST_GRACE_MS + 500,
      );
      if (carrier === 'twilio') {
        const after = await run.record(call.sid, (r) =>
          r.timeline.some((t) => t.event === 'caller.restored'),
        );
        expect(after.phase).toBe('ai');
      }
      // The caller was on hold in between, and is not any more.
      expect(sourcesHeard(call.heard.segments)).toContain('hold');
      expect(call.heard.segments.at(-1)?.source.startsWith('stream:')).toBe(true);
      call.hangup();
    });
  },
);
