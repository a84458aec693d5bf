import { describe, expect, it } from 'vitest';
import { plivoSignatureV3 } from '../../providers/plivo/signature-v3.js';
import type { HeardSegment } from '../../sim/heard.js';
import { holdMusicWav } from '../../src/media/hold-music.js';
import { encodeMulaw } from '../../src/media/mulaw.js';
import { DEAD_AIR_BOUND_MS } from '../property/bounds.js';
import { handoff, useE2e, warm } from './fixture.js';
import { PLIVO_AUTH_TOKEN, sourcesHeard, waitForRecord } from './harness.js';

/**
 * No caller left in silence on a warm hold when the agent names no `holdAudio` (issue 13): on
 * Plivo, which plays nothing unless `waitSound` says what, the daemon serves its own `waitSound`
 * and hold music; on Twilio the conference's default `waitUrl` plays Twilio's music. The
 * simulator fetches and plays what the carrier would, and labels it `hold`.
 */

/** The longest stretch between the answer and the hang-up in which the caller heard nothing, ms. */
function longestSilenceMs(segments: readonly HeardSegment[], fromMs: number, toMs: number): number {
  let cursor = fromMs;
  let longest = 0;
  for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) {
    longest = Math.max(longest, s.startMs - cursor);
    cursor = Math.max(cursor, s.endMs);
  }
  return Math.max(longest, toMs - cursor);
}

/** The hold music's samples as the caller hears them: μ-law, after the WAV's 44-byte header. */
const HOLD_MULAW = encodeMulaw(holdMusicWav().subarray(44));

const TRANSFER = [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }];

describe.each(['plivo', 'twilio'] as const)('%s: a warm hold with no holdAudio', (carrier) => {
  const { run, placeCall } = useE2e(carrier, { virtualTime: true });

  it('the caller hears hold audio from the hold until the human joins', async () => {
    const hh = await run({ script: TRANSFER, agent: warm('Caller waiting.') });
    hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 4000,
      speak: { type: 'tone', hz: 660, durationMs: 20_000 },
    });
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 20_000);
    await hh.sim.waitFor(() => call.heard.first('party:'), 5000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    const segments = call.heard.segments;
    expect(sourcesHeard(segments)).toEqual(['stream:', 'hold', 'party:']);
    const hold = call.heard.from('hold');
    const held = hold.reduce((ms, s) => ms + (s.endMs - s.startMs), 0);
    // The human answered 4 s after the dial: most of that was music, and it ran up to the join.
    expect(held).toBeGreaterThan(3000);
    expect(call.heard.first('party:')!.startMs - hold.at(-1)!.endMs).toBeLessThanOrEqual(100);
    const answeredAtMs = segments[0]!.startMs;
    expect(longestSilenceMs(segments, answeredAtMs, call.heard.first('party:')!.startMs)).toBeLessThan(
      DEAD_AIR_BOUND_MS,
    );
    if (carrier === 'plivo') {
      // The daemon's own music, on its public URL, byte for byte.
      expect(hold[0]?.url).toBe(`${hh.publicUrl}/plivo/hold.wav`);
      const heard = call.heard.audio('hold');
      expect(heard.equals(HOLD_MULAW.subarray(0, heard.length))).toBe(true);
    }
  });

  it('nobody answers: the caller hears hold audio until back with the AI', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550122]'] }, { awaitEvent: 'resume' }, { say: 300 }],
      agent: (agent) => handoff({ ringTimeoutSec: 5 })(warm('Caller waiting.')(agent)),
    });
    hh.sim.network.addHuman('+14155550122', { type: 'no-answer' });
    const call = await placeCall(hh);
    await waitForRecord(
      hh,
      call.sid,
      (r) => r.phase === 'ai' && r.transfers[0]?.outcome === 'no_answer',
      20_000,
    );
    await hh.sim.waitFor(() => sourcesHeard(call.heard.segments).join(',') === 'stream:,hold,stream:', 5000);
    const back = call.heard.from('stream:').find((s) => s.startMs > call.heard.first('hold')!.startMs)!;
    expect(back.startMs - call.heard.last('hold')!.endMs).toBeLessThan(DEAD_AIR_BOUND_MS);
    expect(longestSilenceMs(call.heard.segments, call.heard.segments[0]!.startMs, back.startMs)).toBeLessThan(
      DEAD_AIR_BOUND_MS,
    );
    call.hangup();
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
  });
});

describe('plivo: the default waitSound and its music', () => {
  const { run } = useE2e('plivo', { virtualTime: true });

  it('answers a signed POST with <Play loop="0"> of the music; refuses a wrong or missing signature', async () => {
    const hh = await run({ script: [] });
    const url = `${hh.publicUrl}/plivo/hold`;
    const params = { CallUUID: 'a1b2c3', From: '14155559999', To: '14155550100', CallStatus: 'in-progress' };
    const nonce = '27151302896315391745';
    const post = (headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(params).toString(),
      });
    const signedWith = (token: string) => ({
      'x-plivo-signature-v3': plivoSignatureV3(token, 'POST', url, params, nonce),
      'x-plivo-signature-v3-nonce': nonce,
    });
    const ok = await post(signedWith(PLIVO_AUTH_TOKEN));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await ok.text()).toBe(`<Response><Play loop="0">${hh.publicUrl}/plivo/hold.wav</Play></Response>`);
    const forged = await post(signedWith('wrong-token'));
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ error: { code: 'signature_invalid' } });
    expect((await post({})).status).toBe(403);
    const music = await fetch(`${hh.publicUrl}/plivo/hold.wav`);
    expect(music.status).toBe(200);
    expect(music.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await music.arrayBuffer()).equals(holdMusicWav())).toBe(true);
  });
});
