import { describe, expect, it } from 'vitest';
import type { HeardSegment } from '../../sim/heard.js';
import type { SimCall } from '../../sim/index.js';
import { parsePrometheus, sampleValue } from '../ops/prom-text.js';
import { useE2e, warm } from './fixture.js';
import type { Harness } from './harness.js';

/**
 * While the agent's socket is opening (or reopening after it dropped) the caller hears comfort
 * noise, from `agent.waitAudio.afterMs` (1 000 ms) into the wait until the agent is there, then
 * the agent: no stretch of nothing longer than that, on every carrier's stream and its frame
 * rules. The simulator tells the noise (`level: 'quiet'`, below −35 dBFS) from a voice and from
 * digital silence, so the noise cannot pass for the agent, nor silence for the noise.
 */

const SLOW_ACCEPT_MS = 3000;

/** When the call's first (or `n`th) media stream started at the carrier. */
function streamStartMs(h: Harness, call: SimCall, n = 0): number {
  const starts = h.sim.log
    .forCall(call.sid)
    .entries.filter((e) => e.type === 'media.event' && e.direction === 'sent' && e.event === 'start');
  const at = starts[n]?.atMs;
  if (at === undefined) throw new Error(`stream #${n} never started`);
  return at;
}

/** `patchthrough_wait_audio_total`: callers who began hearing the wait audio. */
async function waitAudioCount(h: Harness): Promise<number> {
  return sampleValue(parsePrometheus(await h.app.metrics.text()), 'patchthrough_wait_audio_total');
}

const streamSegments = (call: SimCall): HeardSegment[] => call.heard.from('stream:');
const voice = (call: SimCall): HeardSegment | undefined =>
  streamSegments(call).find((s) => s.level === undefined);

describe.each(['twilio', 'plivo', 'exotel'] as const)(
  '%s: what the caller hears while the agent is away',
  (carrier) => {
    const e2e = useE2e(carrier, { virtualTime: true });
    const withAgent = (changes: Record<string, unknown>) => (agent: Record<string, unknown>) => ({
      ...agent,
      agent: { ...(agent['agent'] as object), ...changes },
    });

    it('a slow agent: comfort noise from 1 s into the wait until the agent speaks, never silence', async () => {
      const h = await e2e.run({ script: [{ say: 1500 }], acceptDelayMs: SLOW_ACCEPT_MS });
      const call = await e2e.placeCall(h);
      await h.sim.waitFor(() => voice(call), 20_000);
      const started = streamStartMs(h, call);
      const before = streamSegments(call).filter((s) => s.startMs < (voice(call)?.startMs ?? 0));
      expect(before.length).toBeGreaterThan(0);
      for (const s of before) expect(s.level).toBe('quiet');
      // From afterMs into the wait (the daemon's stream start is the carrier's, on loopback), within a tick or two.
      const first = before[0] as HeardSegment;
      expect(first.startMs - started).toBeGreaterThanOrEqual(1000);
      expect(first.startMs - started).toBeLessThan(1000 + 300);
      // Unbroken up to the agent's voice, which comes when the agent accepted, not later.
      const last = before[before.length - 1] as HeardSegment;
      const ai = voice(call) as HeardSegment;
      expect(ai.startMs - last.endMs).toBeLessThanOrEqual(40);
      expect(ai.startMs - started).toBeGreaterThanOrEqual(SLOW_ACCEPT_MS);
      expect(ai.startMs - started).toBeLessThan(SLOW_ACCEPT_MS + 600);
      expect(before.reduce((ms, s) => ms + (s.endMs - s.startMs), 0)).toBeGreaterThan(
        SLOW_ACCEPT_MS - 1000 - 300,
      );
      expect(await waitAudioCount(h)).toBe(1);
      call.hangup();
    });

    it("`waitAudio.sound: 'none'`: nothing until the agent speaks", async () => {
      const h = await e2e.run({
        script: [{ say: 1500 }],
        acceptDelayMs: SLOW_ACCEPT_MS,
        agent: withAgent({ waitAudio: { sound: 'none' } }),
      });
      const call = await e2e.placeCall(h);
      await h.sim.waitFor(() => voice(call), 20_000);
      const ai = voice(call) as HeardSegment;
      expect(streamSegments(call).filter((s) => s.startMs < ai.startMs && s.level !== 'silence')).toEqual([]);
      expect(ai.startMs - streamStartMs(h, call)).toBeGreaterThanOrEqual(SLOW_ACCEPT_MS);
      expect(await waitAudioCount(h)).toBe(0);
      call.hangup();
    });

    it('the agent drops mid-call and reopens slowly: comfort noise from afterMs into the gap, then the agent again', async () => {
      const h = await e2e.run({
        script: (start) => (start.resumed ? [{ say: 1500 }] : [{ say: 800 }, { close: 'abrupt' }]),
        acceptDelayMs: (index) => (index === 0 ? 0 : 2500),
        agent: withAgent({ waitAudio: { afterMs: 500 } }),
      });
      const call = await e2e.placeCall(h);
      await h.sim.waitFor(
        () => streamSegments(call).filter((s) => s.level === undefined).length >= 2,
        20_000,
      );
      const voices = streamSegments(call).filter((s) => s.level === undefined);
      const [greeting, back] = voices as [HeardSegment, HeardSegment];
      const between = streamSegments(call).filter(
        (s) => s.startMs >= greeting.endMs && s.startMs < back.startMs,
      );
      expect(between.length).toBeGreaterThan(0);
      for (const s of between) expect(s.level).toBe('quiet');
      // The agent sent its greeting at once and dropped: the noise, due 500 ms into the absence,
      // waits behind the greeting still playing and follows it without a gap, up to the agent's return.
      expect((between[0] as HeardSegment).startMs - greeting.endMs).toBeLessThanOrEqual(40);
      expect(back.startMs - (between[between.length - 1] as HeardSegment).endMs).toBeLessThanOrEqual(40);
      const noiseMs = between.reduce((ms, s) => ms + (s.endMs - s.startMs), 0);
      // The reopen takes its 250 ms delay and the 2 500 ms accept; the greeting covered 800 ms of it.
      expect(noiseMs).toBeGreaterThan(2500 + 250 - 800 - 500 - 100);
      call.hangup();
    });
  },
);

describe('twilio: what the caller hears while the carrier is slow to move them at a transfer', () => {
  const e2e = useE2e('twilio', { virtualTime: true });
  const HUMAN = '+14155550122';
  /** The AI speaks, asks for a warm transfer, and the carrier refuses the move to hold twice (503) before taking it. */
  async function slowHold(waitAudio: Record<string, unknown>) {
    const h = await e2e.run({
      script: (s) =>
        s.resumed ? [] : [{ say: 600 }, { transfer: { destination: HUMAN, mode: 'warm', reason: 'order' } }],
      agent: (agent) => ({
        ...warm('A caller from the wait test.')(agent),
        agent: { ...(agent['agent'] as object), waitAudio },
      }),
    });
    h.sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 3000 });
    h.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: /\/Calls\/CA[0-9a-f]+\.json$/,
      status: 503,
      times: 2,
    });
    const call = await e2e.placeCall(h);
    await h.sim.waitFor(() => call.heard.first('hold'), 20_000);
    return { h, call };
  }

  it('the AI paused, the move retried: comfort noise from afterMs after the pause until the hold music', async () => {
    const { h, call } = await slowHold({ afterMs: 200 });
    const ai = streamSegments(call).filter((s) => s.level === undefined);
    const lastWords = ai[ai.length - 1] as HeardSegment;
    const hold = call.heard.first('hold') as HeardSegment;
    const between = streamSegments(call).filter(
      (s) => s.startMs >= lastWords.endMs && s.startMs < hold.startMs,
    );
    expect(between.length).toBeGreaterThan(0);
    for (const s of between) expect(s.level).toBe('quiet');
    // The two refusals and their 250 ms retries leave the caller on the stream for half a second or more.
    const first = between[0] as HeardSegment;
    expect(first.startMs - lastWords.endMs).toBeGreaterThanOrEqual(200);
    expect(first.startMs - lastWords.endMs).toBeLessThan(200 + 200);
    expect(hold.startMs - (between[between.length - 1] as HeardSegment).endMs).toBeLessThanOrEqual(100);
    expect(await waitAudioCount(h)).toBe(1);
    call.hangup();
  });

  it("`sound: 'none'`: the same wait in silence", async () => {
    const { h, call } = await slowHold({ sound: 'none', afterMs: 200 });
    expect(streamSegments(call).filter((s) => s.level === 'quiet')).toEqual([]);
    expect(await waitAudioCount(h)).toBe(0);
    call.hangup();
  });
});
