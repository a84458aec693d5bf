import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLICATION_ERROR_TEXT } from '../../sim/carriers/twilio/twiml-runner.js';
import { type Simulator, startSimulator } from '../../sim/index.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  CALLER,
  HUMAN,
  sdkClient,
  TestApp,
  TestStreamServer,
  TWILIO_NUMBER,
} from './helpers.js';

const { VoiceResponse } = twilio.twiml;
const { RestException } = twilio;

describe('faults on demand', () => {
  let sim: Simulator;
  let app: TestApp;
  let client: ReturnType<typeof sdkClient>;

  async function start(options: Parameters<typeof startSimulator>[0] = {}) {
    sim = await startSimulator({
      ...options,
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, sayMsPerChar: 5, ...options.twilio },
    });
    client = sdkClient(sim.url, ACCOUNT_SID, AUTH_TOKEN);
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/voice` });
  }

  beforeEach(async () => {
    app = await TestApp.start(AUTH_TOKEN);
    await start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
  });

  async function outboundCall(): Promise<string> {
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 80, hangupAfterMs: 50 });
    const call = await client.calls.create({
      to: HUMAN,
      from: TWILIO_NUMBER,
      twiml: '<Response><Pause length="5"/></Response>',
      statusCallback: `${app.url}/status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    return call.sid;
  }

  const statuses = () => app.to('/status').map((r) => r.params['CallStatus']);

  it('duplicates a callback: same body, same signature, same idempotency token', async () => {
    const fault = sim.faults.add({
      type: 'callback.duplicate',
      match: { kind: 'status', event: 'completed' },
      copies: 2,
    });
    await outboundCall();
    await sim.waitFor(() => statuses().filter((s) => s === 'completed').length === 3);
    const completed = app.to('/status').filter((r) => r.params['CallStatus'] === 'completed');
    expect(new Set(completed.map((r) => JSON.stringify(r.params))).size).toBe(1);
    expect(new Set(completed.map((r) => r.headers['x-twilio-signature'])).size).toBe(1);
    expect(new Set(completed.map((r) => r.headers['i-twilio-idempotency-token'])).size).toBe(1);
    expect(completed.every((r) => r.signatureValid)).toBe(true);
    expect(fault.hits).toBe(1);
    expect(statuses()).toEqual([
      'initiated',
      'ringing',
      'in-progress',
      'completed',
      'completed',
      'completed',
    ]);
  });

  it('delays a callback past later ones', async () => {
    sim.faults.add({ type: 'callback.delay', match: { event: 'ringing' }, delayMs: 400 });
    await outboundCall();
    await sim.waitFor(() => statuses().length === 4);
    expect(statuses()).toEqual(['initiated', 'in-progress', 'completed', 'ringing']);
    expect(
      app.to('/status').find((r) => r.params['CallStatus'] === 'ringing')?.params['SequenceNumber'],
    ).toBe('1');
  });

  it('reorders a callback after the next one of the same call', async () => {
    sim.faults.add({ type: 'callback.reorder', match: { kind: 'status', event: 'initiated' } });
    await outboundCall();
    await sim.waitFor(() => statuses().length === 4);
    expect(statuses()).toEqual(['ringing', 'initiated', 'in-progress', 'completed']);
  });

  it('answers chosen REST requests with 429 / 503 a given number of times', async () => {
    app.route('/voice', '<Response><Dial><Conference>room</Conference></Dial></Response>');
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 50 });
    await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => sim.twilio.conference('room'));
    const busy = sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: /\/Participants\.json$/,
      status: 429,
    });
    const down = sim.faults.add({
      type: 'rest.error',
      path: '/Conferences/room.json',
      status: 503,
      times: 2,
    });
    const first = await client
      .conferences('room')
      .participants.create({ from: TWILIO_NUMBER, to: HUMAN })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RestException);
    expect((first as InstanceType<typeof RestException>).status).toBe(429);
    expect((first as InstanceType<typeof RestException>).code).toBe(20429);
    const second = await client.conferences('room').participants.create({ from: TWILIO_NUMBER, to: HUMAN });
    expect(second.callSid).toMatch(/^CA/);
    for (let i = 0; i < 2; i++) {
      const err = await client
        .conferences('room')
        .fetch()
        .catch((e: unknown) => e);
      expect((err as InstanceType<typeof RestException>).status).toBe(503);
    }
    expect((await client.conferences('room').fetch()).friendlyName).toBe('room');
    expect([busy.hits, down.hits, down.remaining]).toEqual([1, 2, 0]);
    const statusesSeen = sim.log.ofType('rest.request').map((e) => e.status);
    expect(statusesSeen).toEqual([429, 201, 503, 503, 200]);
  });

  it('lets `after` matching requests through before the errors begin (an edge that fails later in the call)', async () => {
    app.route('/voice', '<Response><Dial><Conference>room</Conference></Dial></Response>');
    await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => sim.twilio.conference('room'));
    const later = sim.faults.add({
      type: 'rest.error',
      path: '/Conferences/room.json',
      status: 503,
      after: 2,
      times: 2,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        await client
          .conferences('room')
          .fetch()
          .then(
            () => 200,
            (e: unknown) => (e as InstanceType<typeof RestException>).status,
          ),
      );
    expect(statuses).toEqual([200, 200, 503, 503, 200]);
    expect([later.hits, later.remaining]).toEqual([2, 0]);
  });

  it('matches only the requests whose body holds `body`: hang-ups fail, a redirect of the same call does not', async () => {
    app.route('/voice', '<Response><Dial><Conference>room</Conference></Dial></Response>');
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => sim.twilio.conference('room'));
    const hangups = sim.faults.add({
      type: 'rest.error',
      path: '/Calls/',
      body: 'Status=completed',
      status: 503,
    });
    const redirected = await client.calls(call.sid).update({ url: `${app.url}/voice`, method: 'POST' });
    expect(redirected.sid).toBe(call.sid);
    expect(hangups.hits).toBe(0);
    const refused = await client
      .calls(call.sid)
      .update({ status: 'completed' })
      .then(
        () => 200,
        (e: unknown) => (e as InstanceType<typeof RestException>).status,
      );
    expect(refused).toBe(503);
    expect(hangups.hits).toBe(1);
    expect((await client.calls(call.sid).update({ status: 'completed' })).status).toBe('completed');
  });

  it('answers a REST request late but acts on it at once, and logs when it arrived', async () => {
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 50 });
    const call = await client.calls.create({
      to: HUMAN,
      from: TWILIO_NUMBER,
      twiml: '<Response><Pause length="30"/></Response>',
    });
    await sim.waitFor(() => sim.twilio.call(call.sid)?.status === 'in-progress');
    sim.faults.add({ type: 'rest.slow', method: 'POST', path: `/Calls/${call.sid}.json`, delayMs: 300 });
    await client.calls(call.sid).update({ status: 'completed' });
    const ended = sim.log.ofType('leg.ended').find((e) => e.callSid === call.sid);
    const hangup = sim.log.ofType('rest.request').find((e) => e.path.endsWith(`/Calls/${call.sid}.json`));
    // The hang-up took when the request arrived; only its answer waited (a callback it causes can
    // overtake the answer): the entry says both.
    expect(ended?.seq).toBeLessThan(hangup?.seq ?? 0);
    expect(hangup?.receivedAtMs).toBeLessThanOrEqual(ended?.atMs ?? 0);
    expect((hangup?.atMs ?? 0) - (hangup?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(300);
  });
  it('delays a webhook before sending it (a caller who hangs up meanwhile is never fetched for)', async () => {
    app.route('/voice', '<Response><Say>hello</Say></Response>');
    sim.faults.add({ type: 'webhook.slow', match: { kind: 'voice' }, delayMs: 300 });
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => sim.log.ofType('fault.applied').length === 1);
    call.hangup();
    await call.ended;
    const later = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await later.ended;
    expect(app.to('/voice').map((r) => r.params['CallSid'])).toEqual([later.sid]);
  });

  it('times out a webhook on demand: application error, then hang-up', async () => {
    app.route('/voice', '<Response><Say>never played</Say></Response>');
    sim.faults.add({ type: 'webhook.timeout', match: { kind: 'voice' }, afterMs: 200 });
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await call.ended;
    expect(app.to('/voice').length).toBe(1);
    expect(call.heard.from('say').map((s) => s.text)).toEqual([APPLICATION_ERROR_TEXT]);
    const sent = sim.log.forCall(call.sid).entries.find((e) => e.type === 'webhook.sent');
    expect(sent?.type === 'webhook.sent' && sent.error).toContain('injected timeout');
  });

  it('times out a webhook whose server is slower than webhookTimeoutMs', async () => {
    await sim.stop();
    await start({ twilio: { webhookTimeoutMs: 200 } });
    app.route('/voice', () => ({ delayMs: 1500, body: '<Response><Say>too late</Say></Response>' }));
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await call.ended;
    expect(call.heard.from('say').map((s) => s.text)).toEqual([APPLICATION_ERROR_TEXT]);
    const codes = sim.log
      .forCall(call.sid)
      .entries.flatMap((e) => (e.type === 'markup.error' ? [e.code] : []));
    expect(codes).toEqual([11205]);
  });

  describe('dropping a media socket', () => {
    let ws: TestStreamServer;

    beforeEach(async () => {
      ws = await TestStreamServer.start();
      const r = new VoiceResponse();
      r.connect().stream({ url: `${ws.url}/media` });
      r.say('after the drop');
      app.route('/voice', r.toString());
    });

    afterEach(async () => {
      await ws.stop();
    });

    it('closes the socket abruptly mid-call and continues with the next verb', async () => {
      const fault = sim.faults.add({ type: 'media.drop', afterFrames: 5 });
      const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
      await sim.waitFor(() => ws.connections[0]?.closed);
      const conn = ws.connections[0];
      expect(conn?.of('media').length).toBeGreaterThanOrEqual(5);
      expect(conn?.of('stop')).toEqual([]);
      await sim.waitFor(() => call.heard.first('say'));
      expect(call.heard.first('say')?.text).toBe('after the drop');
      expect(fault.hits).toBe(1);
      expect(sim.twilio.streamsOf(call.sid)[0]?.isEnded).toBe(true);
    });

    it('hangs up on a dropped socket when configured to', async () => {
      await sim.stop();
      await start({ twilio: { onMediaDrop: 'hangup' } });
      sim.faults.add({ type: 'media.drop', afterFrames: 2 });
      const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
      await call.ended;
      expect(call.heard.from('say')).toEqual([]);
      expect(ws.connections[0]?.of('stop')).toEqual([]);
    });
  });
});
