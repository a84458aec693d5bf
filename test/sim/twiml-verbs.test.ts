import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLICATION_ERROR_TEXT } from '../../sim/carriers/twilio/twiml-runner.js';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { ACCOUNT_SID, AUTH_TOKEN, CALLER, TestApp, TWILIO_NUMBER } from './helpers.js';

const { VoiceResponse } = twilio.twiml;

describe('TwiML Say, Play, Pause, Hangup, Redirect and application errors', () => {
  let sim: Simulator;
  let app: TestApp;
  /** The simulator runs on it: rings, speech and waits cost no wall time. */
  let time: VirtualTime;

  beforeEach(async () => {
    time = new VirtualTime();
    sim = await startSimulator({
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, sayMsPerChar: 5, playDurationMs: 200 },
      time,
    });
    app = await TestApp.start(AUTH_TOKEN);
    sim.twilio.configureNumber(TWILIO_NUMBER, {
      voiceUrl: `${app.url}/voice?tenant=acme`,
      statusCallback: `${app.url}/status`,
    });
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
    time.stop();
  });

  it('plays Say, Play and Pause in order, stops at Hangup, and reports completed', async () => {
    const r = new VoiceResponse();
    r.say('welcome');
    r.pause({ length: 1 });
    r.play({ loop: 2 }, 'https://cdn.example.com/jingle.mp3');
    r.hangup();
    r.say('never');
    app.route('/voice', r.toString());
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    const end = await call.ended;
    expect(end).toMatchObject({ status: 'completed', by: 'network' });
    const segments = call.heard.segments;
    expect(segments.map((s) => [s.source, s.text ?? s.url])).toEqual([
      ['say', 'welcome'],
      ['play', 'https://cdn.example.com/jingle.mp3'],
    ]);
    const [say, play] = segments;
    // The pause is silence between them: two separate segments, in order.
    expect(play && say && play.startMs > say.endMs).toBe(true);
    expect(play?.frames).toBe(20);
    const voice = app.to('/voice')[0];
    expect(voice?.params).toMatchObject({
      CallSid: call.sid,
      From: CALLER,
      To: TWILIO_NUMBER,
      Direction: 'inbound',
      CallStatus: 'ringing',
    });
    expect(voice?.url).toBe(`${app.url}/voice?tenant=acme`);
    expect(voice?.signatureValid).toBe(true);
    await sim.waitFor(() => app.to('/status').length === 1);
    expect(app.to('/status')[0]?.params).toMatchObject({
      CallStatus: 'completed',
      CallbackSource: 'call-progress-events',
      SequenceNumber: '0',
    });
    const verbs = sim.log
      .forCall(call.sid)
      .entries.flatMap((e) => (e.type === 'markup.verb' ? [e.verb] : []));
    expect(verbs).toEqual(['Say', 'Pause', 'Play', 'Hangup']);
  });

  it('follows a relative <Redirect> with GET, signing the URL with its query', async () => {
    app.route('/voice', '<Response><Redirect method="GET">next?step=2</Redirect></Response>');
    app.route('/next', '<Response><Say>second document</Say></Response>');
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await call.ended;
    const next = app.to('/next')[0];
    expect(next?.method).toBe('GET');
    expect(next?.url).toContain('/next?step=2&');
    expect(next?.params['CallSid']).toBe(call.sid);
    expect(next?.params['CallStatus']).toBe('in-progress');
    expect(next?.signatureValid).toBe(true);
    expect(call.heard.first('say')?.text).toBe('second document');
  });

  it.each([
    ['an HTTP 500', { status: 500, body: 'boom' }, 11200],
    [
      'a non-XML content type',
      { contentType: 'text/plain', body: '<Response><Say>x</Say></Response>' },
      12300,
    ],
    ['unparsable TwiML', { body: '<Response><Say>x</Response>' }, 12100],
  ])('speaks the application error and hangs up on %s', async (_name, reply, code) => {
    app.route('/voice', () => reply);
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await call.ended;
    expect(call.heard.from('say').map((s) => s.text)).toEqual([APPLICATION_ERROR_TEXT]);
    const errors = sim.log.forCall(call.sid).entries.filter((e) => e.type === 'markup.error');
    expect(errors.map((e) => (e.type === 'markup.error' ? e.code : 0))).toEqual([code]);
  });

  it('hangs up silently on an application error when configured to', async () => {
    await sim.stop();
    sim = await startSimulator({
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, onApplicationError: 'hangup' },
    });
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/missing` });
    app.route('/missing', () => ({ status: 404, body: '' }));
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await call.ended;
    expect(call.heard.segments).toEqual([]);
  });

  it('fails a call to a number nobody configured', async () => {
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: '+15550009999' });
    const end = await call.ended;
    expect(end).toMatchObject({ status: 'failed', sipCode: 404 });
    expect(app.requests).toEqual([]);
  });
});
