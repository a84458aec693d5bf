import { afterEach, describe, expect, it } from 'vitest';
import type { ExotelApplet } from '../../sim/carriers/exotel/options.js';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import { tone } from '../../src/media/tone.js';
import { TestApp, TestStreamServer } from './helpers.js';

/**
 * The Exotel Voicebot client (protocols.md §4.1, §4.2) against a real WebSocket server: frames,
 * pacing, formats, Basic auth, chunk rules, marks, clear, dtmf, stop.
 */

const NUMBER = '08047491899';
const CALLER = '09999000111';
const PCM16_8K = { encoding: 'pcm16', sampleRate: 8000 } as const;

let sim: Simulator | undefined;
let bot: TestStreamServer | undefined;
let app: TestApp | undefined;

afterEach(async () => {
  await sim?.stop();
  await bot?.stop();
  await app?.stop();
  sim = bot = app = undefined;
});

async function setup(flow: (botUrl: string, appUrl: string) => ExotelApplet[], options = {}) {
  bot = await TestStreamServer.start();
  app = await TestApp.start('unused');
  sim = await startSimulator({ exotel: options });
  sim.exotel.configureNumber(NUMBER, { flow: flow(bot.url, app.url) });
  return { sim, bot, app };
}

const sidOf = (conn: { messages: Array<Record<string, unknown>> }) =>
  String(conn.messages.find((m) => m['event'] === 'start')?.['stream_sid'] ?? '');

describe('exotel voicebot stream', () => {
  it('connected, start in snake_case with custom parameters and media format, Basic auth from the URL', async () => {
    const { sim, bot } = await setup((b) => [
      {
        type: 'voicebot',
        id: 'bot',
        url: `${b.replace('ws://', 'ws://tenant:s3cret@')}/media?callId=c1&mediaToken=t1`,
      },
    ]);
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => (bot.connections[0]?.of('media').length ?? 0) > 0);
    const conn = bot.connections[0]!;
    expect(conn.headers['authorization']).toBe(`Basic ${Buffer.from('tenant:s3cret').toString('base64')}`);
    expect(conn.messages[0]).toEqual({ event: 'connected' });
    const start = conn.messages[1]!;
    expect(start).toMatchObject({
      event: 'start',
      sequence_number: '1',
      start: {
        call_sid: call.sid,
        account_sid: 'sim-exotel',
        from: CALLER,
        to: NUMBER,
        custom_parameters: { callId: 'c1', mediaToken: 't1' },
        media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
      },
    });
    expect(start['stream_sid']).toMatch(/^[0-9a-f]{32}$/);
    expect(call.sid).toMatch(/^[0-9a-f]{32}$/);
    call.hangup();
  });

  it('sends ≈100 ms of PCM16 per media message (1600 bytes at 8 kHz, 3200 at 16 kHz), string counters', async () => {
    const { sim, bot } = await setup((b) => [
      { type: 'voicebot', id: 'bot', url: `${b}/m?sample-rate=16000` },
    ]);
    const call = await sim.network.placeCall({
      carrier: 'exotel',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone', hz: 500 },
    });
    await sim.waitFor(() => (bot.connections[0]?.of('media').length ?? 0) >= 3);
    const conn = bot.connections[0]!;
    expect(conn.of('start')[0]?.['start']).toMatchObject({
      media_format: { sample_rate: '16000' },
      custom_parameters: {},
    });
    const media = conn.of('media');
    for (const m of media.slice(0, 3)) {
      const inner = m['media'] as Record<string, string>;
      expect(Buffer.from(inner['payload']!, 'base64')).toHaveLength(3200);
      expect(typeof m['sequence_number']).toBe('string');
    }
    expect((media[1]!['media'] as Record<string, string>)['chunk']).toBe('2');
    call.hangup();
  });

  it('plays valid bot audio to the caller, refuses chunks that break the 320-byte rules, accepts camelCase', async () => {
    const { sim, bot } = await setup((b) => [{ type: 'voicebot', id: 'bot', url: `${b}/m` }]);
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => bot.connections[0]?.of('start').length);
    const conn = bot.connections[0]!;
    const sid = sidOf(conn);
    const good = tone(PCM16_8K, { frequencyHz: 400, durationMs: 200 });
    expect(good).toHaveLength(3200);
    conn.send({ event: 'media', stream_sid: sid, media: { payload: Buffer.alloc(320).toString('base64') } });
    conn.send({ event: 'media', stream_sid: sid, media: { payload: Buffer.alloc(3210).toString('base64') } });
    conn.send({ event: 'media', streamSid: sid, media: { payload: good.toString('base64') } });
    conn.send({ event: 'mark', stream_sid: sid, mark: { name: 'after-tone' } });
    await sim.waitFor(() => conn.of('mark').length > 0, 3000);
    const stream = sim.exotel.streamsOf(call.sid)[0]!;
    expect(stream.stats.rejected).toBe(2);
    expect(stream.stats.bytesReceived).toBe(3200);
    const heard = call.heard.from(`stream:${sid}`);
    expect(heard.reduce((n, s) => n + s.bytes, 0)).toBe(1600);
    // The mark comes back once the 200 ms before it has played.
    expect(conn.of('mark')[0]).toMatchObject({
      event: 'mark',
      stream_sid: sid,
      mark: { name: 'after-tone' },
    });
    const rejected = sim.log
      .ofType('media.event')
      .filter((e) => e.event === 'rejected')
      .map((e) => e.detail);
    expect(rejected[0]).toContain('multiple of 320');
    call.hangup();
  });

  it('clear drops queued audio and its marks (not echoed by default)', async () => {
    const { sim, bot } = await setup((b) => [{ type: 'voicebot', id: 'bot', url: `${b}/m` }]);
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => bot.connections[0]?.of('start').length);
    const conn = bot.connections[0]!;
    const sid = sidOf(conn);
    conn.send({
      event: 'media',
      stream_sid: sid,
      media: { payload: Buffer.alloc(32_000).toString('base64') },
    });
    conn.send({ event: 'mark', stream_sid: sid, mark: { name: 'late' } });
    await sim.waitFor(() => (sim.exotel.streamsOf(call.sid)[0]?.stats.bytesPlayed ?? 0) > 0);
    conn.send({ event: 'clear', stream_sid: sid });
    await sim.waitFor(() => sim.exotel.streamsOf(call.sid)[0]?.queuedBytes === 0);
    expect(conn.of('mark')).toHaveLength(0);
    call.hangup();
  });

  it('dtmf goes to the bot; the caller hanging up sends stop with reason callended, then close', async () => {
    const { sim, bot } = await setup((b) => [{ type: 'voicebot', id: 'bot', url: `${b}/m` }]);
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => bot.connections[0]?.of('start').length);
    const conn = bot.connections[0]!;
    await call.pressDigits('5');
    await sim.waitFor(() => conn.of('dtmf').length);
    expect(conn.of('dtmf')[0]).toMatchObject({ dtmf: { digit: '5' } });
    call.hangup();
    await sim.waitFor(() => conn.closed);
    expect(conn.of('stop')[0]).toMatchObject({
      event: 'stop',
      stop: { call_sid: call.sid, account_sid: 'sim-exotel', reason: 'callended' },
    });
  });

  it('the bot closing the socket runs the next applet, which gets Stream[...] details', async () => {
    const { sim, bot, app } = await setup((b, a) => [
      { type: 'voicebot', id: 'bot', url: `${b}/m`, next: 'after' },
      { type: 'passthru', id: 'after', url: `${a}/after` },
    ]);
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => bot.connections[0]?.of('start').length);
    bot.connections[0]!.socket.close(1000);
    await sim.waitFor(() => app.to('/after').length);
    expect(app.to('/after')[0]?.params).toMatchObject({
      CallSid: call.sid,
      'Stream[Status]': 'completed',
      'Stream[DisconnectedBy]': 'bot',
    });
    const ended = await call.ended;
    expect(ended).toMatchObject({ status: 'completed', by: 'network' });
  });

  it('an upgrade the bot refuses is tried once more, then the flow goes on', async () => {
    app = await TestApp.start('unused');
    sim = await startSimulator();
    const s = sim;
    s.exotel.configureNumber(NUMBER, {
      flow: [
        { type: 'voicebot', id: 'bot', url: 'ws://127.0.0.1:9/refused', next: 'after' },
        { type: 'passthru', id: 'after', url: `${app.url}/after` },
      ],
    });
    const call = await s.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    const a = app;
    await s.waitFor(() => a.to('/after').length);
    const failures = s.log
      .forCall(call.sid)
      .entries.filter((e) => e.type === 'media.event' && e.event === 'ended.failed');
    expect(failures).toHaveLength(2);
  });

  it('a dynamic URL that fails once and answers the second try is no markup error; failing twice is one (soak seed 31524)', async () => {
    const { sim, bot, app } = await setup((_b, a) => [
      { type: 'voicebot', id: 'bot', url: `${a}/bot-url`, next: 'after' },
      { type: 'passthru', id: 'after', url: `${a}/after` },
    ]);
    let asked = 0;
    app.route('/bot-url', () => {
      asked += 1;
      return asked === 1
        ? { status: 500, body: 'cut' }
        : { contentType: 'application/json', body: JSON.stringify({ url: `${bot.url}/m` }) };
    });
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => (bot.connections[0]?.of('media').length ?? 0) > 0);
    expect(asked).toBe(2);
    expect(sim.log.forCall(call.sid).entries.filter((e) => e.type === 'markup.error')).toEqual([]);
    call.hangup();
    // Both tries fail: the caller is left without the bot, and that is said once.
    app.route('/bot-url', () => ({ status: 500, body: 'down' }));
    const second = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => app.to('/after').length > 0);
    const errors = sim.log.forCall(second.sid).entries.filter((e) => e.type === 'markup.error');
    expect(errors.map((e) => ('message' in e ? e.message : ''))).toEqual(['voicebot URL: HTTP 500']);
  });

  it('caller audio reaches the bot as PCM16 that keeps its frequency', async () => {
    const { sim, bot } = await setup((b) => [{ type: 'voicebot', id: 'bot', url: `${b}/m` }]);
    const call = await sim.network.placeCall({
      carrier: 'exotel',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone', hz: 1000 },
    });
    await sim.waitFor(() => (bot.connections[0]?.of('media').length ?? 0) >= 4);
    const payload = Buffer.from(
      String((bot.connections[0]!.of('media')[3]!['media'] as Record<string, string>)['payload']),
      'base64',
    );
    // 1 kHz over 100 ms at 8 kHz: 200 zero crossings.
    expect(zeroCrossings(payload)).toBeGreaterThan(190);
    expect(zeroCrossings(payload)).toBeLessThan(210);
    call.hangup();
  });
});

function zeroCrossings(pcm: Buffer): number {
  let n = 0;
  for (let i = 2; i + 1 < pcm.length; i += 2) {
    const a = pcm.readInt16LE(i - 2);
    const b = pcm.readInt16LE(i);
    if ((a < 0 && b >= 0) || (a >= 0 && b < 0)) n++;
  }
  return n;
}
