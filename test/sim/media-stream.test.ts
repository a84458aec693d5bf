import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SimCall, type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  CALLER,
  type StreamConnection,
  sdkClient,
  TestApp,
  TestStreamServer,
  TWILIO_NUMBER,
} from './helpers.js';

const { VoiceResponse } = twilio.twiml;

describe('Twilio Media Streams client', () => {
  let sim: Simulator;
  let app: TestApp;
  /** The simulator runs on it: rings, speech and waits cost no wall time. */
  let time: VirtualTime;
  let ws: TestStreamServer;

  beforeEach(async () => {
    time = new VirtualTime();
    sim = await startSimulator({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, time });
    app = await TestApp.start(AUTH_TOKEN);
    ws = await TestStreamServer.start();
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/voice` });
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await ws.stop();
    await app.stop();
    time.stop();
  });

  function connectTwiml(opts: { action?: string; after?: string } = {}): string {
    const r = new VoiceResponse();
    const connect = r.connect(opts.action ? { action: `${app.url}${opts.action}` } : {});
    const stream = connect.stream({ url: `${ws.url}/media`, name: 'agent' });
    stream.parameter({ name: 'tenant', value: 'acme & co' });
    if (opts.after) r.say(opts.after);
    return r.toString();
  }

  async function connected(audio = true): Promise<{ call: SimCall; conn: StreamConnection }> {
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      ...(audio ? { audio: { type: 'tone', hz: 440 } as const } : {}),
    });
    const conn = await sim.waitFor(() => ws.connections.find((c) => c.of('start').length === 1));
    return { call, conn };
  }

  it('sends connected, start and 20 ms media frames of 160 bytes with string counters', async () => {
    app.route('/voice', connectTwiml());
    const { call, conn } = await connected();
    await sim.waitFor(() => conn.of('media').length >= 25);
    const [first, second] = conn.messages;
    expect(first).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(second?.['event']).toBe('start');
    expect(second?.['sequenceNumber']).toBe('1');
    const start = second?.['start'] as Record<string, unknown>;
    expect(start).toMatchObject({
      accountSid: ACCOUNT_SID,
      callSid: call.sid,
      tracks: ['inbound'],
      customParameters: { tenant: 'acme & co' },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    });
    expect(start['streamSid']).toMatch(/^MZ[0-9a-f]{32}$/);
    const media = conn.of('media').slice(0, 25);
    media.forEach((m, i) => {
      const body = m['media'] as Record<string, string>;
      expect(m['sequenceNumber']).toBe(String(i + 2));
      expect(body['chunk']).toBe(String(i + 1));
      expect(body['track']).toBe('inbound');
      expect(Number(body['timestamp']) % 20).toBe(0);
      expect(Buffer.from(body['payload'] as string, 'base64').length).toBe(160);
    });
    const stamps = media.map((m) => Number((m['media'] as Record<string, string>)['timestamp']));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    // The caller's tone reaches the server: not every payload is μ-law silence.
    expect(media.some((m) => !(m['media'] as Record<string, string>)['payload']?.startsWith('/////'))).toBe(
      true,
    );
    // The upgrade is signed over the stream URL with no params (UNCONFIRMED, on by default).
    const sig = conn.headers['x-twilio-signature'];
    expect(typeof sig).toBe('string');
    expect(twilio.validateRequest(AUTH_TOKEN, sig as string, `${ws.url}/media`, {})).toBe(true);
  });

  it('plays server audio at real-time rate and echoes a mark only after the audio before it played', async () => {
    app.route('/voice', connectTwiml());
    const { call, conn } = await connected(false);
    const sid = conn.streamSid();
    const heardAtMark: number[] = [];
    conn.socket.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as Record<string, unknown>;
      if (msg['event'] === 'mark') heardAtMark.push(call.heard.bytes(`stream:${sid}`));
    });
    conn.send({
      event: 'media',
      streamSid: sid,
      media: { payload: Buffer.alloc(800, 0x55).toString('base64') },
    });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'm1' } });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'm2' } });
    conn.send({
      event: 'media',
      streamSid: sid,
      media: { payload: Buffer.alloc(333, 0x22).toString('base64') },
    });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'm3' } });
    await sim.waitFor(() => conn.of('mark').length === 3);
    expect(conn.of('mark').map((m) => (m['mark'] as Record<string, string>)['name'])).toEqual([
      'm1',
      'm2',
      'm3',
    ]);
    // Each echo arrives only once everything queued before its mark was heard by the caller.
    expect(heardAtMark[0]).toBeGreaterThanOrEqual(800);
    expect(heardAtMark[1]).toBeGreaterThanOrEqual(800);
    expect(heardAtMark[2]).toBe(1133);
    const segment = call.heard.first(`stream:${sid}`);
    expect(segment?.bytes).toBe(1133);
    // 1133 bytes are 8 frames (7 full, one of 13 bytes), one per tick.
    expect(segment?.frames).toBe(8);
    expect(
      call.heard
        .audio(`stream:${sid}`)
        .subarray(0, 800)
        .every((b) => b === 0x55),
    ).toBe(true);
  });

  it('clear drops queued audio and releases pending marks at once', async () => {
    app.route('/voice', connectTwiml());
    const { call, conn } = await connected(false);
    const sid = conn.streamSid();
    conn.send({
      event: 'media',
      streamSid: sid,
      media: { payload: Buffer.alloc(16000, 0x33).toString('base64') },
    });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'end-of-utterance' } });
    await sim.waitFor(() => call.heard.bytes(`stream:${sid}`) >= 320);
    conn.send({ event: 'clear', streamSid: sid });
    await sim.waitFor(() => conn.of('mark').length === 1);
    const heard = call.heard.bytes(`stream:${sid}`);
    expect(heard).toBeLessThan(16000);
    // Nothing queued is left: new audio after the clear plays on its own.
    conn.send({
      event: 'media',
      streamSid: sid,
      media: { payload: Buffer.alloc(160, 0x44).toString('base64') },
    });
    conn.send({ event: 'mark', streamSid: sid, mark: { name: 'after' } });
    await sim.waitFor(() => conn.of('mark').length === 2);
    expect(call.heard.bytes(`stream:${sid}`)).toBe(heard + 160);
  });

  it('forwards DTMF from the caller', async () => {
    app.route('/voice', connectTwiml());
    const { call, conn } = await connected(false);
    await call.pressDigits('5#');
    await sim.waitFor(() => conn.of('dtmf').length === 2);
    expect(conn.of('dtmf').map((m) => m['dtmf'])).toEqual([
      { track: 'inbound_track', digit: '5' },
      { track: 'inbound_track', digit: '#' },
    ]);
    expect(conn.of('dtmf')[0]?.['streamSid']).toBe(conn.streamSid());
  });

  it('ignores messages with a wrong streamSid or a bad payload', async () => {
    app.route('/voice', connectTwiml());
    const { call, conn } = await connected(false);
    conn.send({
      event: 'media',
      streamSid: 'MZwrong',
      media: { payload: Buffer.alloc(160).toString('base64') },
    });
    conn.send({ event: 'media', streamSid: conn.streamSid(), media: { payload: '***' } });
    conn.send({ event: 'mark', streamSid: conn.streamSid(), mark: { name: 'ok' } });
    await sim.waitFor(() => conn.of('mark').length === 1);
    expect(call.heard.bytes('stream:')).toBe(0);
    const rejected = sim.log
      .forCall(call.sid)
      .entries.filter((e) => e.type === 'media.event' && e.event === 'rejected');
    expect(rejected.length).toBe(2);
  });

  it('sends stop and closes on a REST redirect, then runs the new TwiML', async () => {
    app.route('/voice', connectTwiml({ after: 'never said' }));
    const { call, conn } = await connected();
    await sim.waitFor(() => conn.of('media').length >= 3);
    const client = sdkClient(sim.url, ACCOUNT_SID, AUTH_TOKEN);
    const r = new VoiceResponse();
    r.say('transferring you');
    r.pause({ length: 5 });
    await client.calls(call.sid).update({ twiml: r.toString() });
    await sim.waitFor(() => conn.closed);
    const last = conn.messages.at(-1);
    expect(last?.['event']).toBe('stop');
    expect(last?.['stop']).toEqual({ accountSid: ACCOUNT_SID, callSid: call.sid });
    expect(Number(last?.['sequenceNumber'])).toBe(conn.messages.length - 1);
    await sim.waitFor(() => call.heard.first('say'));
    expect(call.heard.first('say')?.text).toBe('transferring you');
    expect(call.heard.from('say').some((s) => s.text === 'never said')).toBe(false);
  });

  it('sends stop and closes when the caller hangs up', async () => {
    app.route('/voice', connectTwiml());
    const { call, conn } = await connected();
    call.hangup();
    await sim.waitFor(() => conn.closed);
    expect(conn.messages.at(-1)?.['event']).toBe('stop');
    expect(sim.twilio.call(call.sid)?.status).toBe('completed');
  });

  it('continues with the next verb when the server closes the socket', async () => {
    app.route('/voice', connectTwiml({ after: 'back from the stream' }));
    const { call, conn } = await connected();
    conn.socket.close();
    await sim.waitFor(() => call.heard.first('say'));
    expect(call.heard.first('say')?.text).toBe('back from the stream');
    expect(conn.of('stop')).toEqual([]);
    await call.ended;
    expect(call.leg.end?.by).toBe('network');
  });

  it('requests <Connect action> (instead of the next verb) when the server closes', async () => {
    app.route('/voice', connectTwiml({ action: '/after', after: 'skipped' }));
    app.route('/after', '<Response><Say>from the action</Say></Response>');
    const { call, conn } = await connected();
    conn.socket.close();
    await sim.waitFor(() => call.heard.first('say'));
    expect(call.heard.from('say').map((s) => s.text)).toEqual(['from the action']);
    expect(app.to('/after')[0]?.params['CallSid']).toBe(call.sid);
    expect(app.to('/after')[0]?.signatureValid).toBe(true);
  });

  it('forks with <Start><Stream> and keeps executing; outbound track carries what the caller hears', async () => {
    const r = new VoiceResponse();
    r.start().stream({ url: `${ws.url}/fork`, track: 'both_tracks' });
    r.say('hello and welcome to the simulator');
    app.route('/voice', r.toString());
    const { call, conn } = await connected();
    const start = conn.of('start')[0]?.['start'] as Record<string, unknown> | undefined;
    expect(start?.['tracks']).toEqual(['inbound', 'outbound']);
    await sim.waitFor(() => call.heard.first('say'));
    await sim.waitFor(
      () =>
        conn.of('media').filter((m) => (m['media'] as Record<string, string>)['track'] === 'outbound')
          .length >= 5,
    );
    // A fork is one-way: audio the server sends is not played.
    conn.send({
      event: 'media',
      streamSid: conn.streamSid(),
      media: { payload: Buffer.alloc(160).toString('base64') },
    });
    await call.ended;
    await sim.waitFor(() => conn.closed);
    expect(call.heard.bytes('stream:')).toBe(0);
    expect(conn.of('stop').length).toBe(1);
  });
});
