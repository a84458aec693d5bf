import { describe, expect, it } from 'vitest';
import { useE2e, warm } from './fixture.js';
import { ACCOUNT_SID, sourcesHeard, waitForRecord } from './harness.js';

/**
 * Failed effects, through the Twilio simulator's REST fault injection (sim/faults.ts): each
 * failure becomes an event the call decides on, and a retryable one is retried from a durable
 * timer until the command takes (src/runtime/effect-failures.ts). On virtual time: the retry
 * backoffs and the rings cost no wall time.
 */

const { run, placeCall } = useE2e('twilio', { virtualTime: true });
const HUMAN = '+14155550111';
const RINGS = { type: 'no-answer' } as const;

/** The REST path of one call's resource (update: redirect or hang-up). */
const callPath = (sid: string): string => `/Accounts/${ACCOUNT_SID}/Calls/${sid}.json`;
/** Every call resource but `sid`'s: the human's legs. */
const otherCalls = (sid: string): RegExp => new RegExp(`/Calls/(?!${sid})CA[0-9a-f]{32}\\.json$`);

describe('failed effects on Twilio (virtual time)', () => {
  it('carrier.cancel answered 503 more often than the client retries: retried from a timer, the phone stops', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('Refund request.'),
    });
    const human = hh.sim.network.addHuman(HUMAN, RINGS);
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => human.legs.some((l) => l.state === 'ringing'), 10_000);
    // Three failures: the carrier client's first attempt and its two quick retries.
    const fault = hh.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: otherCalls(call.sid),
      status: 503,
      times: 3,
    });
    call.hangup();
    const leg = human.legs[0];
    if (leg === undefined) throw new Error('the human was not dialed');
    const end = await leg.ended;
    expect(fault.hits).toBe(3);
    // Canceled by our REST hang-up, not ended by the carrier's ring timeout.
    expect(end.status).toBe('canceled');
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    const events = ended.timeline.map((t) => `${t.event} ${t.detail ?? ''}`);
    expect(events).toEqual(
      expect.arrayContaining([expect.stringMatching(/^effect\.retry_scheduled carrier\.cancel/)]),
    );
    expect(events.some((e) => e.startsWith('effect.failed carrier.cancel'))).toBe(false);
  });

  it('carrier.cancel still being retried when the call ends: the retry outlives the end, the phone stops', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('Refund request.'),
    });
    const human = hh.sim.network.addHuman(HUMAN, RINGS);
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.transfer?.flags.callerHeld === true, 10_000);
    await hh.sim.waitFor(() => human.legs.some((l) => l.state === 'ringing'), 10_000);
    const fault = hh.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: otherCalls(call.sid),
      status: 503,
      times: 3,
    });
    // The caller hangs up on hold: the conference tells of it at once, the call's own `completed`
    // comes 3 s late (Twilio orders neither before the other). The transfer ends with the
    // conference's news, the human's leg is canceled, the cancel fails past the client's quick
    // retries and waits for its durable retry, 1 s later; the call's end comes before it.
    hh.sim.faults.add({
      type: 'callback.delay',
      match: { kind: 'status', event: 'completed', callSid: call.sid },
      delayMs: 3_000,
    });
    call.hangup();
    const pending = await waitForRecord(
      hh,
      call.sid,
      (r) => (r.retries ?? []).length > 0 && r.transfer?.outcome != null,
    );
    expect(pending.phase).not.toBe('ended');
    const leg = human.legs[0];
    if (leg === undefined) throw new Error('the human was not dialed');
    const end = await leg.ended;
    expect(fault.hits).toBe(3);
    // Canceled by the retry after the call's end, not left to the carrier's ring timeout.
    expect(end.status).toBe('canceled');
    const ended = await waitForRecord(
      hh,
      call.sid,
      (r) => r.phase === 'ended' && (r.retries ?? []).length === 0,
    );
    expect(ended.endedReason).toBe('caller_hangup');
    // The cancel was pending (retry scheduled) when the call ended, and never given up.
    const events = ended.timeline.map((t) => `${t.event} ${t.detail ?? ''}`);
    const scheduled = events.findIndex((e) => e.startsWith('effect.retry_scheduled carrier.cancel'));
    expect(scheduled).toBeGreaterThanOrEqual(0);
    expect(scheduled).toBeLessThan(events.findIndex((e) => e.startsWith('call.ended')));
    expect(events.some((e) => e.startsWith('effect.failed'))).toBe(false);
  });

  it('caller.to_agent answered 503 past the client retries: retried, and the caller is back with the AI', async () => {
    const hh = await run({
      script: [
        { say: 200 },
        { text: ['One moment [TRANSFER:+14155550111]'] },
        { say: 200 },
        { awaitEvent: 'resume' },
        { say: 2000 },
      ],
      agent: warm('Refund request.'),
    });
    hh.sim.network.addHuman(HUMAN, { type: 'busy', afterMs: 2500 });
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.transfer?.flags.callerHeld === true, 10_000);
    const fault = hh.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: callPath(call.sid),
      status: 503,
      times: 3,
    });
    // The caller hears the AI again after the hold audio.
    await hh.sim.waitFor(() => {
      const heard = sourcesHeard(call.heard.segments);
      return heard.includes('hold') && heard.at(-1) === 'stream:';
    }, 15_000);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'stream:']);
    expect(fault.hits).toBe(3);
    const back = await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    expect(back.transfers).toMatchObject([{ outcome: 'busy' }]);
    expect(back.retries).toEqual([]);
    const events = back.timeline.map((t) => `${t.event} ${t.detail ?? ''}`);
    expect(events).toEqual(
      expect.arrayContaining([expect.stringMatching(/^effect\.retry_scheduled caller\.to_agent/)]),
    );
    call.hangup();
  });

  it('caller.hold refused for good (400): the transfer ends carrier_error at once, the human is canceled, the AI resumes', async () => {
    const hh = await run({
      script: [
        { say: 200 },
        { text: ['One moment [TRANSFER:+14155550111]'] },
        { say: 200 },
        { awaitEvent: 'resume' },
        { say: 500 },
      ],
      agent: warm('Refund request.'),
    });
    const human = hh.sim.network.addHuman(HUMAN, RINGS);
    const call = await placeCall(hh);
    hh.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: callPath(call.sid),
      status: 400,
      times: 1,
    });
    const back = await waitForRecord(
      hh,
      call.sid,
      (r) => r.phase === 'ai' && r.transfers.length === 1,
      10_000,
    );
    expect(back.transfers).toMatchObject([{ outcome: 'carrier_error' }]);
    expect(back.timeline.map((t) => t.event)).toContain('effect.failed');
    const end = await human.legs[0]?.ended;
    expect(end?.status).toBe('canceled');
    const session = await hh.agent!.session(0);
    const resume = await session.waitFor((f) => f.event === 'resume');
    expect(resume.frame['outcome']).toBe('carrier_error');
    // The caller never left the AI stream: no hold audio, no second stream.
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:']);
    call.hangup();
  });

  it('call.hangup answered 429 past the client retries: retried until the caller is hung up', async () => {
    const hh = await run({ script: [{ say: 200 }, { hangup: 'done' }] });
    const call = await placeCall(hh);
    const fault = hh.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: callPath(call.sid),
      status: 429,
      times: 3,
    });
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('agent_hangup');
    await call.leg.ended;
    expect(fault.hits).toBe(3);
    const last = await waitForRecord(hh, call.sid, (r) =>
      r.timeline.some((t) => t.event === 'effect.retry_scheduled'),
    );
    expect(last.timeline.map((t) => t.event)).not.toContain('effect.failed');
  });
});
