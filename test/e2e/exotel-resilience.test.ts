import { describe, expect, it } from 'vitest';
import { useE2e } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';

/**
 * Invariant 1 on Exotel: the flow is the continuation. A Voicebot socket that drops, or a worker
 * that goes away, sends the call through the Passthru and the Connect applet (which dials nobody
 * while the caller belongs to the AI) back to the Voicebot, which the daemon answers with a new
 * stream to the same call. The worker restart stays on Redis; the dropped socket and the silent
 * caller (its timeout) run on virtual time.
 */

describe('exotel resilience end to end (Redis)', () => {
  const { run, placeCall } = useE2e('exotel');

  it('a restarted worker: the flow reaches the new one, which resumes the AI and can still transfer', async () => {
    let sessions = 0;
    const hh = await run({
      // The new worker opens a new agent session: that one transfers.
      script: () => {
        sessions += 1;
        return sessions > 1
          ? [{ say: 300 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 100 }]
          : [{ say: 300 }, { waitMs: 60_000 }];
      },
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660, durationMs: 3000 },
    });
    const call = await placeCall(hh, { audio: { type: 'tone' } });
    await hh.sim.waitFor(() => (hh.sim.exotel.streamsOf(call.sid)[0]?.stats.mediaSent ?? 0) > 2);
    await hh.restartDaemon();
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers).toMatchObject([{ mode: 'cold', outcome: 'connected' }]);
    expect(human.legs).toHaveLength(1);
    expect(hh.sim.exotel.streamsOf(call.sid)).toHaveLength(2);
    await hh.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    expect(sourcesHeard(call.heard.segments).slice(-2)).toEqual(['ringback', 'party:']);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
  });
});

describe('exotel resilience end to end (virtual time)', () => {
  const { run, placeCall } = useE2e('exotel', { virtualTime: true });

  it('a dropped Voicebot socket comes back through the flow to the same conversation', async () => {
    const hh = await run({ script: [{ say: 300 }, { waitMs: 60_000 }] });
    hh.sim.faults.add({ type: 'media.drop', afterFrames: 5 });
    const call = await placeCall(hh, { audio: { type: 'tone' } });
    await hh.sim.waitFor(() => hh.sim.exotel.streamsOf(call.sid).length === 2, 8000);
    await hh.sim.waitFor(() => (hh.sim.exotel.streamsOf(call.sid)[1]?.stats.mediaSent ?? 0) > 2);
    expect(hh.sim.exotel.streamsOf(call.sid)[1]?.isEnded).toBe(false);
    expect(hh.agent!.sessions).toHaveLength(1);
    const record = await hh.app.engine.get(call.sid);
    expect(record?.phase).toBe('ai');
    // Nobody was dialed on the way: the Connect applet got no number.
    expect(
      hh.sim.log
        .ofType('webhook.sent')
        .filter((e) => e.kind === 'dial-whom')
        .map((e) => e.body),
    ).toEqual(['']);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });

  it('a silent caller (PCM16 zeros on the Voicebot stream) triggers onNoResponseAction: transfer', async () => {
    const hh = await run({
      script: [{ say: 200 }],
      agent: (a) => ({ ...a, callControl: { onNoResponseAction: 'transfer', noResponseTimeoutSec: 1 } }),
    });
    const human = hh.sim.network.addHuman('+14155550133', { type: 'answer', afterMs: 200 });
    const call = await placeCall(hh, { audio: { type: 'silence' } });
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers[0]).toMatchObject({ trigger: 'silence', outcome: 'connected' });
    expect(connected.timeline.map((t) => t.event)).toContain('caller.silent');
    expect(human.legs).toHaveLength(1);
    call.hangup();
  });
});
