import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlivoSimulatorOptions } from '../../sim/carriers/plivo/options.js';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { decodeMulaw, encodeMulaw } from '../../src/media/mulaw.js';
import { type StreamConnection, TestApp, TestStreamServer } from './helpers.js';

/**
 * The Plivo audio-stream client (protocols.md §3.3): `start` and `media` shapes (numbers vs
 * strings), the negotiated contentType both ways, `playAudio` at real time, `checkpoint` →
 * `playedStream`, `clearAudio` → `clearedAudio`, the socket close ending the stream, and
 * `keepCallAlive`.
 */

const AUTH_ID = 'MA1234567890ABCDEFGH';
const TOKEN = 'plivo-test-token';
const NUMBER = '+14155550100';
const CALLER = '+14155557777';

const xml = (body: string) => `<Response>${body}</Response>`;

describe('Plivo audio streams', () => {
  let sim: Simulator;
  let app: TestApp;
  let ws: TestStreamServer;
  /** The simulator runs on it: speech, waits and playback cost no wall time. */
  let time: VirtualTime | undefined;

  async function setup(options: PlivoSimulatorOptions = {}) {
    time = new VirtualTime();
    sim = await startSimulator({
      plivo: { authId: AUTH_ID, authToken: TOKEN, sayMsPerChar: 5, ...options },
      time,
    });
    sim.plivo.configureNumber(NUMBER, { answerUrl: `${app.url}/answer`, hangupUrl: `${app.url}/hangup` });
    time.start();
  }

  beforeEach(async () => {
    app = await TestApp.start(TOKEN);
    ws = await TestStreamServer.start();
  });

  afterEach(async () => {
    await sim.stop();
    await ws.stop();
    await app.stop();
    time?.stop();
  });

  const stream = (attrs: string, after = '<Speak>after</Speak>') =>
    xml(`<Stream ${attrs}>${ws.url}/plivo/media</Stream>${after}`);

  async function connection(): Promise<StreamConnection> {
    return sim.waitFor(() => (ws.connections[0]?.of('start').length ? ws.connections[0] : undefined), 5000);
  }

  it('start and media: numbers and strings as §3.3 says, extra_headers, 20 ms μ-law frames of the caller', async () => {
    await setup();
    app.route(
      '/answer',
      stream(
        'bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000" extraHeaders="tenant=acme,leg=a"',
      ),
    );
    const call = await sim.network.placeCall({
      carrier: 'plivo',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone', hz: 440 },
    });
    const conn = await connection();
    await sim.waitFor(() => conn.of('media').length >= 10);
    const start = conn.of('start')[0]!;
    expect(start).toMatchObject({
      event: 'start',
      sequenceNumber: 1,
      start: {
        callId: call.sid,
        accountId: AUTH_ID,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 },
      },
      extra_headers: 'tenant=acme,leg=a',
    });
    const streamId = (start['start'] as Record<string, unknown>)['streamId'];
    expect(streamId).toMatch(/^[0-9a-f-]{36}$/);
    const media = conn.of('media').slice(0, 5);
    for (const [i, m] of media.entries()) {
      expect(m).toMatchObject({
        event: 'media',
        streamId,
        sequenceNumber: i + 2,
        media: { track: 'inbound', chunk: i + 1 },
      });
      const inner = m['media'] as Record<string, unknown>;
      expect(typeof inner['timestamp']).toBe('string');
      expect(Buffer.from(String(inner['payload']), 'base64')).toHaveLength(160);
    }
    const t0 = Number((media[0]!['media'] as Record<string, string>)['timestamp']);
    const t4 = Number((media[4]!['media'] as Record<string, string>)['timestamp']);
    expect(t4 - t0).toBe(80);
    call.hangup();
    await sim.waitFor(() => conn.closed);
    expect(conn.of('stop')).toHaveLength(0);
  });

  it('L16 8 kHz both ways: little-endian PCM of the caller in, playAudio L16 heard as μ-law', async () => {
    await setup();
    app.route('/answer', stream('bidirectional="true" keepCallAlive="true"'));
    const call = await sim.network.placeCall({
      carrier: 'plivo',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone', hz: 500 },
    });
    const conn = await connection();
    expect(conn.of('start')[0]).toMatchObject({
      start: { mediaFormat: { encoding: 'audio/x-l16', sampleRate: 8000 } },
    });
    await sim.waitFor(() => conn.of('media').length >= 20);
    const payloads = conn
      .of('media')
      .map((m) => Buffer.from(String((m['media'] as Record<string, string>)['payload']), 'base64'));
    expect(payloads.every((p) => p.length === 320)).toBe(true);
    // What the caller said, decoded exactly as the reference μ-law table decodes it.
    const said = Buffer.concat(payloads.slice(5, 15));
    expect(said.equals(decodeMulaw(encodeMulaw(said)))).toBe(true);
    expect(said.readInt16LE(2)).not.toBe(0);
    const pcm = decodeMulaw(Buffer.alloc(1600, 0x20));
    conn.send({
      event: 'playAudio',
      media: { contentType: 'audio/x-l16', sampleRate: '8000', payload: pcm.toString('base64') },
    });
    await sim.waitFor(() => call.heard.bytes('stream:') >= 1600);
    expect(call.heard.audio('stream:').subarray(0, 1600).equals(Buffer.alloc(1600, 0x20))).toBe(true);
  });

  it('L16 16 kHz: 640-byte frames in, a mismatched playAudio is refused', async () => {
    await setup();
    app.route(
      '/answer',
      stream('bidirectional="true" keepCallAlive="true" contentType="audio/x-l16;rate=16000"'),
    );
    const call = await sim.network.placeCall({
      carrier: 'plivo',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone' },
    });
    const conn = await connection();
    await sim.waitFor(() => conn.of('media').length >= 3);
    expect(
      Buffer.from(String((conn.of('media')[2]!['media'] as Record<string, string>)['payload']), 'base64'),
    ).toHaveLength(640);
    conn.send({
      event: 'playAudio',
      media: {
        contentType: 'audio/x-mulaw',
        sampleRate: 8000,
        payload: Buffer.alloc(160, 0xff).toString('base64'),
      },
    });
    conn.send({
      event: 'playAudio',
      media: {
        contentType: 'audio/x-l16',
        sampleRate: 16000,
        payload: Buffer.alloc(3200).toString('base64'),
      },
    });
    await sim.waitFor(() => call.heard.bytes('stream:') >= 800);
    const stream0 = sim.plivo.streamsOf(call.sid)[0]!;
    expect(stream0.stats.rejected).toBe(1);
    expect(call.heard.bytes('stream:')).toBe(800);
  });

  it('playAudio plays at real time; checkpoint is answered with playedStream once the audio before it played', async () => {
    await setup();
    app.route(
      '/answer',
      stream('bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"'),
    );
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    const conn = await connection();
    const streamId = String((conn.of('start')[0]!['start'] as Record<string, unknown>)['streamId']);
    conn.send({
      event: 'playAudio',
      streamId,
      media: {
        contentType: 'audio/x-mulaw',
        sampleRate: 8000,
        payload: Buffer.alloc(4000, 0x11).toString('base64'),
      },
    });
    conn.send({ event: 'checkpoint', streamId, name: 'utt-1' });
    const played = await sim.waitFor(() => conn.of('playedStream')[0], 5000);
    expect(played).toMatchObject({ event: 'playedStream', streamId, name: 'utt-1' });
    expect(typeof played['sequenceNumber']).toBe('number');
    // Everything before the checkpoint had been heard before the ack: 4000 bytes, paced as
    // 25 frames of 160 bytes (one per 20 ms tick).
    expect(call.heard.bytes('stream:')).toBe(4000);
    expect(call.heard.first('stream:')?.frames).toBe(25);
  });

  it('clearAudio drops queued audio and is answered with clearedAudio; pending checkpoints are dropped', async () => {
    await setup();
    app.route(
      '/answer',
      stream('bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"'),
    );
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    const conn = await connection();
    const streamId = String((conn.of('start')[0]!['start'] as Record<string, unknown>)['streamId']);
    conn.send({
      event: 'playAudio',
      media: {
        contentType: 'audio/x-mulaw',
        sampleRate: 8000,
        payload: Buffer.alloc(80_000, 0x11).toString('base64'),
      },
    });
    conn.send({ event: 'checkpoint', streamId, name: 'long' });
    await sim.waitFor(() => call.heard.bytes('stream:') >= 800);
    conn.send({ event: 'clearAudio', streamId });
    const cleared = await sim.waitFor(() => conn.of('clearedAudio')[0]);
    expect(cleared).toMatchObject({ event: 'clearedAudio', streamId });
    expect(sim.plivo.streamsOf(call.sid)[0]!.queuedBytes).toBe(0);
    conn.send({ event: 'checkpoint', streamId, name: 'after-clear' });
    await sim.waitFor(() => conn.of('playedStream').length > 0);
    expect(conn.of('playedStream').map((m) => m['name'])).toEqual(['after-clear']);
  });

  it('keepCallAlive: the next element runs once the server closes the socket', async () => {
    await setup();
    app.route(
      '/answer',
      stream('bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"'),
    );
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    const conn = await connection();
    await sim.waitFor(() => conn.of('media').length >= 5);
    expect(call.heard.from('say')).toHaveLength(0);
    conn.socket.close();
    await sim.waitFor(() => call.heard.first('say'));
    expect(call.heard.first('say')?.text).toBe('after');
    expect((await call.ended).status).toBe('completed');
  });

  it('without keepCallAlive the stream forks off and the document goes on at once', async () => {
    await setup();
    app.route(
      '/answer',
      stream('contentType="audio/x-mulaw;rate=8000"', '<Speak>at once</Speak><Wait length="2"/>'),
    );
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    const conn = await connection();
    await sim.waitFor(() => call.heard.first('say'));
    expect(conn.closed).toBe(false);
    // Not bidirectional: what the server sends is not played.
    conn.send({
      event: 'playAudio',
      media: {
        contentType: 'audio/x-mulaw',
        sampleRate: 8000,
        payload: Buffer.alloc(160).toString('base64'),
      },
    });
    await call.ended;
    await sim.waitFor(() => conn.closed);
    expect(call.heard.from('stream:')).toHaveLength(0);
  });

  it('a transfer closes the socket (no stop event by default; one with streamStopEvent)', async () => {
    await setup({ streamStopEvent: true });
    app.route(
      '/answer',
      stream('bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"'),
    );
    app.route('/next', xml('<Speak>transferred</Speak>'));
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    const conn = await connection();
    const res = await fetch(`${sim.url}/v1/Account/${AUTH_ID}/Call/${call.sid}/`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ legs: 'aleg', aleg_url: `${app.url}/next`, aleg_method: 'POST' }),
    });
    expect(res.status).toBe(202);
    await sim.waitFor(() => conn.closed && call.heard.first('say'));
    expect(conn.messages.at(-1)).toMatchObject({ event: 'stop' });
    expect(call.heard.first('say')?.text).toBe('transferred');
  });

  it('refuses extraHeaders that are not alphanumeric k=v pairs, and a bidirectional stream of another track', async () => {
    await setup();
    app.route('/answer', stream('bidirectional="true" keepCallAlive="true" extraHeaders="token=a-b_c"'));
    const first = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await first.ended;
    expect(ws.connections).toHaveLength(0);
    app.route('/answer', stream('bidirectional="true" audioTrack="both"'));
    const second = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await second.ended;
    expect(ws.connections).toHaveLength(0);
    const errors = sim.log.ofType('markup.error').map((e) => e.message);
    expect(errors.some((m) => m.includes('extraHeaders'))).toBe(true);
    expect(errors.some((m) => m.includes('audioTrack'))).toBe(true);
  });

  it('a dropped socket (media.drop) ends the stream; the next element runs', async () => {
    await setup();
    app.route(
      '/answer',
      stream('bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"'),
    );
    sim.faults.add({ type: 'media.drop', afterFrames: 5 });
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => call.heard.first('say'));
    expect((await sim.plivo.streamsOf(call.sid)[0]!.ended).reason).toBe('dropped');
  });
});
