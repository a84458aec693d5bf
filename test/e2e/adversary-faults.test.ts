import { describe, expect, it } from 'vitest';
import type { SimLogEntry } from '../../sim/log.js';
import { transferEvents, useE2e, warm } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * The fault types the seeded adversary added to the simulator (`human.hangup`, `caller.hangup`,
 * `callback.drop`), each proven on the wire with the daemon: the person really hangs up at that
 * phase whatever their script says, and the lost callback is really never sent. On virtual time:
 * the rings, whispers and hold cost no wall time.
 */

const { run, placeCall } = useE2e('twilio', { virtualTime: true });
const HUMAN = '+14155550111';

const applied = (entries: readonly SimLogEntry[], fault: string) =>
  entries.filter((e) => e.type === 'fault.applied' && 'fault' in e && e.fault === fault);

describe('adversary fault types on the wire (Twilio, daemon, virtual time)', () => {
  it('human.hangup at the whisper: a human scripted to stay hangs up 150 ms into the whisper', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }, { say: 200 }],
      agent: warm('A caller needs help with a refund for order 1234 placed last week.'),
    });
    const human = hh.sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 200 });
    hh.sim.faults.add({ type: 'human.hangup', address: HUMAN, phase: 'whisper', afterMs: 150 });
    const call = await placeCall(hh);
    const back = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 15_000);
    expect(back.transfers[0]?.outcome).toBe('human_hangup');
    expect(applied(hh.sim.log.entries, 'human.hangup')).toHaveLength(1);
    const leg = human.legs[0];
    expect(leg?.end).toMatchObject({ status: 'completed', by: 'endpoint' });
    // Hung up during the whisper: heard it, never heard the caller, 150 ms (a tick of slack) in.
    const whisper = human.heard.first('say');
    expect(whisper).toBeDefined();
    expect(human.heard.from('party:')).toHaveLength(0);
    expect(leg!.end!.atMs - whisper!.startMs).toBeGreaterThanOrEqual(140);
    // The carrier told the daemon: a callback about the human's leg ending went out (it is
    // logged once answered, which may be after the record moved on another callback).
    const told = () =>
      hh.sim.log.entries.filter(
        (e) =>
          e.type === 'webhook.sent' &&
          e.callSid === leg?.label &&
          (e.params['CallStatus'] === 'completed' || e.params['StatusCallbackEvent'] === 'participant-leave'),
      ).length;
    await hh.sim.waitFor(() => told() > 0, 5000);
    call.hangup();
  });

  it('caller.hangup on hold: the caller hangs up 200 ms after hold audio starts; every leg ends', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('Caller waiting.'),
    });
    const human = hh.sim.network.addHuman(HUMAN, { type: 'no-answer' });
    hh.sim.faults.add({ type: 'caller.hangup', phase: 'hold', afterMs: 200 });
    const call = await placeCall(hh);
    const end = await call.ended;
    expect(end).toMatchObject({ status: 'completed', by: 'endpoint' });
    const hold = call.heard.first('hold');
    expect(hold).toBeDefined();
    expect(end.atMs - hold!.startMs).toBeGreaterThanOrEqual(190);
    expect(applied(hh.sim.log.entries, 'caller.hangup')).toHaveLength(1);
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    await hh.sim.waitFor(() => human.legs.every((l) => l.isEnded), 8000);
  });

  it("callback.drop: the human leg's `ringing` callback is never sent; the transfer still connects", async () => {
    const hh = await run({
      script: [{ say: 300 }, { text: ['Putting you through [TRANSFER:+14155550111]'] }, { say: 200 }],
    });
    const human = hh.sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 600,
      speak: { type: 'tone', hz: 660, durationMs: 300 },
    });
    const drop = hh.sim.faults.add({ type: 'callback.drop', match: { kind: 'status', event: 'ringing' } });
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome === 'connected', 15_000);
    expect(drop.hits).toBe(1);
    const ringing = hh.sim.log.entries.filter(
      (e) => e.type === 'webhook.sent' && e.kind === 'status' && e.params['CallStatus'] === 'ringing',
    );
    // Logged as not delivered, and no ringing callback got an HTTP reply.
    expect(ringing.length).toBeGreaterThan(0);
    expect(ringing.every((e) => e.type === 'webhook.sent' && e.status === undefined)).toBe(true);
    expect(ringing.map((e) => (e.type === 'webhook.sent' ? e.error : ''))).toContain(
      'not delivered: injected loss',
    );
    await hh.sim.waitFor(() => human.heard.from('party:').length > 0, 5000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(transferEvents(ended)).not.toContain('leg.ringing');
    expect(transferEvents(ended)).toContain('leg.answered');
  });
});
