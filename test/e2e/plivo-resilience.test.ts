import { describe, expect, it } from 'vitest';
import { expectEchoedExactly, noise, useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * What must never drop a caller on Plivo: a plain Twilio bot as the agent (μ-law passes
 * bit-exact through a Plivo stream), a dropped audio stream (the `<Redirect>` after a
 * `keepCallAlive` stream brings the caller back), duplicated and late callbacks. The dropped
 * stream waits on the agent's pauses: it runs on virtual time.
 */

describe('plivo resilience end to end (Redis)', () => {
  const { run, placeCall, echoBot } = useE2e('plivo');

  it('a bot that speaks only Twilio Media Streams works as the agent; μ-law passes bit-exact; checkpoints are its marks', async () => {
    const echo = await echoBot();
    const hh = await run({ agentUrl: echo.url });
    const sent = noise(8000 * 3);
    const call = await placeCall(hh, { audio: { type: 'mulaw', data: sent } });
    await hh.sim.waitFor(() => call.heard.bytes('stream:') >= 8000, 8000);
    expectEchoedExactly(call, sent);
    const session = echo.sessions[0]!;
    expect(session.received.find((f) => f['event'] === 'start')).toMatchObject({
      start: { mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } },
    });
    // The bot's marks went to Plivo as checkpoints and came back (playedStream) as mark echoes.
    await echo.until(() => session.received.some((f) => f['event'] === 'mark'));
    expect(hh.sim.log.ofType('media.event').some((e) => e.event === 'playedStream')).toBe(true);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });

  it('duplicated and late callbacks apply once: busy then answered, with every callback doubled', async () => {
    const hh = await run({ script: [{ say: 200 }, { transfer: { rule: 'Billing' } }, { say: 200 }] });
    hh.sim.faults.add({ type: 'callback.duplicate', copies: 2, times: Number.POSITIVE_INFINITY });
    hh.sim.faults.add({ type: 'callback.delay', match: { kind: 'dial' }, delayMs: 300, times: 1 });
    hh.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 200 });
    hh.sim.network.addHuman('+14155550112', {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660 },
    });
    const call = await placeCall(hh, { audio: { type: 'tone' } });
    const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(record.transfers).toHaveLength(1);
    expect(record.transfer?.legs.map((l) => l.outcome)).toEqual(['busy', 'connected']);
    await hh.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(ended.timeline.filter((t) => t.event === 'call.ended')).toHaveLength(1);
  });
});

describe('plivo resilience end to end (virtual time)', () => {
  const { run, placeCall } = useE2e('plivo', { virtualTime: true });

  it('a dropped audio stream comes back through the continuation to the same conversation', async () => {
    const hh = await run({ script: [{ say: 300 }, { waitMs: 1500 }, { say: 500 }] });
    hh.sim.faults.add({ type: 'media.drop', afterFrames: 25 });
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => new Set(call.heard.from('stream:').map((s) => s.source)).size >= 2, 8000);
    expect((await hh.app.engine.get(call.sid))?.phase).toBe('ai');
    expect(hh.agent?.sessions).toHaveLength(1);
    expect(
      hh.sim.log
        .ofType('webhook.sent')
        .some((e) => e.kind === 'redirect' && e.url.includes('/plivo/voice?callId=')),
    ).toBe(true);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });
});
