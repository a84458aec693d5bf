import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeMulaw } from '../../src/media/mulaw.js';
import { useE2e } from './fixture.js';
import { CALLER, EXOTEL_WEBHOOK_SECRET, exotelNumber, INBOUND, waitForRecord } from './harness.js';

/**
 * Exotel end to end, beyond transfers: Exotel signs nothing, so every request must carry the
 * shared secret (refused otherwise, with nothing changed); the agent speaks μ-law 8 kHz while
 * Exotel streams PCM16, and a tone keeps its frequency through both transcodings and the 320-byte
 * re-chunking; a caller hanging up on the AI ends the call from the stream's `stop` alone; seed
 * 003's two-applet flow (Voicebot → Connect) transfers too. The media and flows run on virtual
 * time (the audio and the rings cost no wall time); the authentication on Redis and real time.
 */

const basic = (secret: string) => `Basic ${Buffer.from(`exotel:${secret}`).toString('base64')}`;
const SID = 'c'.repeat(32);

describe('exotel webhooks are authenticated by the shared secret', () => {
  const { run, placeCall } = useE2e('exotel');

  it('no secret or a wrong one: 403 and no call is created; the right one, in a header or the query, is accepted', async () => {
    const hh = await run({ script: [{ say: 200 }] });
    const query = new URLSearchParams({
      CallSid: SID,
      CallFrom: CALLER,
      CallTo: INBOUND,
      Direction: 'incoming',
    });
    const voice = `${hh.publicUrl}/exotel/voice?${query}`;
    expect((await fetch(voice)).status).toBe(403);
    expect(
      (await fetch(voice, { headers: { authorization: basic('wrong-secret-wrong-secret') } })).status,
    ).toBe(403);
    expect((await fetch(`${voice}&secret=nope`)).status).toBe(403);
    expect(await hh.app.engine.get(SID)).toBeUndefined();
    const ok = await fetch(voice, { headers: { authorization: basic(EXOTEL_WEBHOOK_SECRET) } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { url: string }).url).toMatch(
      /^ws:\/\/exotel:[^@]+@127\.0\.0\.1:\d+\/exotel\/media\?callId=/,
    );
    expect((await fetch(`${voice}&secret=${EXOTEL_WEBHOOK_SECRET}`)).status).toBe(200);
    expect((await hh.app.engine.get(SID))?.phase).toBe('ai');
  });

  it('a forged "caller hung up" status callback is refused and changes nothing', async () => {
    const hh = await run({ script: [{ say: 200 }, { waitMs: 60_000 }] });
    const call = await placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    const form = new FormData();
    form.set('CallSid', call.sid);
    form.set('Status', 'completed');
    form.set('EventType', 'terminal');
    const forged = await fetch(`${hh.publicUrl}/exotel/status`, { method: 'POST', body: form });
    expect(forged.status).toBe(403);
    const wrong = await fetch(`${hh.publicUrl}/exotel/status`, {
      method: 'POST',
      body: form,
      headers: { authorization: basic('wrong-secret-wrong-secret') },
    });
    expect(wrong.status).toBe(403);
    expect((await hh.app.engine.get(call.sid))?.phase).toBe('ai');
    // The same callback with the secret (multipart, as Exotel sends it) ends the call.
    const real = await fetch(`${hh.publicUrl}/exotel/status`, {
      method: 'POST',
      body: form,
      headers: { authorization: basic(EXOTEL_WEBHOOK_SECRET) },
    });
    expect(real.status).toBe(200);
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });

  it('the Voicebot upgrade without the secret as Basic auth is refused', async () => {
    const hh = await run({ script: [] });
    const url = `${hh.publicUrl.replace('http', 'ws')}/exotel/media?callId=${SID}&mediaToken=x`;
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve(101);
        ws.close();
      });
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
  });
});

describe('exotel media and flows (virtual time)', () => {
  const { run, placeCall, echoBot } = useE2e('exotel', { virtualTime: true });

  it('a 440 Hz tone keeps its frequency through PCM16 ↔ μ-law and the 320-byte re-chunking', async () => {
    // No marks: a mark makes the bridge pad the audio before it to Exotel's 3.2 KB minimum.
    const echo = await echoBot({ burstFrames: 1_000_000 });
    const hh = await run({ agentUrl: echo.url });
    const call = await placeCall(hh, { audio: { type: 'tone', hz: 440, amplitude: 0.5 } });
    // 1.5 s of the tone, echoed by a bot that knows only Twilio's protocol and μ-law.
    await hh.sim.waitFor(() => call.heard.bytes('stream:') >= 12_000, 10_000);
    const echoed = decodeMulaw(call.heard.audio('stream:').subarray(4000, 12_000));
    const hz = crossings(echoed) / 2 / (echoed.length / 2 / 8000);
    expect(hz).toBeGreaterThan(425);
    expect(hz).toBeLessThan(455);
    const stream = hh.sim.exotel.streamsOf(call.sid)[0]!;
    expect(stream.stats.rejected).toBe(0);
    expect(stream.stats.bytesReceived % 320).toBe(0);
    // The bot was given μ-law 8 kHz, as from Twilio.
    const start = echo.sessions[0]?.received.find((f) => f['event'] === 'start');
    expect((start?.['start'] as Record<string, unknown> | undefined)?.['mediaFormat']).toMatchObject({
      encoding: 'audio/x-mulaw',
      sampleRate: 8000,
    });
    call.hangup();
  });

  it('the caller hanging up on the AI ends the call from the stream stop alone (no status callback)', async () => {
    const hh = await run({ script: [{ say: 200 }, { waitMs: 60_000 }] });
    const { statusCallback: _, ...withoutCallback } = exotelNumber(hh.publicUrl);
    hh.sim.exotel.configureNumber(INBOUND, withoutCallback);
    const call = await placeCall(hh, {});
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    await hh.sim.waitFor(() => hh.sim.exotel.streamsOf(call.sid)[0]?.stats.mediaSent);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    const session = await hh.agent!.session(0);
    await session.finished;
  });

  it("seed 003's two applets, Voicebot → Connect (dial-up as plain text) → Hangup, transfer cold", async () => {
    const hh = await run({
      script: [{ say: 300 }, { text: ['Connecting you [TRANSFER:+14155550111]'] }, { say: 200 }],
    });
    const flow = exotelNumber(hh.publicUrl).flow;
    const pick = (id: string) => flow.find((a) => a.id === id)!;
    const voicebot = pick('voicebot');
    const connect = pick('connect');
    hh.sim.exotel.configureNumber(INBOUND, {
      flow: [
        { ...voicebot, next: 'connect' } as typeof voicebot,
        { ...connect, onNoAnswer: 'voicebot' } as typeof connect,
        pick('hangup'),
      ],
      statusCallback: exotelNumber(hh.publicUrl).statusCallback!,
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 300,
      hangupAfterMs: 600,
    });
    const call = await placeCall(hh, {});
    await call.ended;
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(ended.transfers[0]?.outcome).toBe('connected');
    expect(human.legs).toHaveLength(1);
  });
});

function crossings(pcm: Buffer): number {
  let n = 0;
  for (let i = 2; i + 1 < pcm.length; i += 2) {
    const a = pcm.readInt16LE(i - 2);
    const b = pcm.readInt16LE(i);
    if ((a < 0 && b >= 0) || (a >= 0 && b < 0)) n++;
  }
  return n;
}
