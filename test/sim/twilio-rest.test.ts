import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { ACCOUNT_SID, AUTH_TOKEN, CALLER, HUMAN, sdkClient, TestApp, TWILIO_NUMBER } from './helpers.js';

const { RestException } = twilio;

describe('Twilio REST via the official SDK', () => {
  let sim: Simulator;
  let app: TestApp;
  let client: ReturnType<typeof sdkClient>;

  beforeEach(async () => {
    sim = await startSimulator({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
    app = await TestApp.start(AUTH_TOKEN);
    client = sdkClient(sim.url, ACCOUNT_SID, AUTH_TOKEN);
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/voice` });
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
  });

  it('creates, fetches, redirects and hangs up a call', async () => {
    app.route('/answer', '<Response><Pause length="30"/></Response>');
    app.route('/next', '<Response><Say>moved</Say><Pause length="30"/></Response>');
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 100 });
    const created = await client.calls.create({
      to: HUMAN,
      from: TWILIO_NUMBER,
      url: `${app.url}/answer`,
      statusCallback: `${app.url}/status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      timeout: 20,
    });
    expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(created.status).toBe('queued');
    expect(created.direction).toBe('outbound-api');
    expect(created.to).toBe(HUMAN);

    await sim.waitFor(() => app.to('/answer').length === 1);
    const fetched = await client.calls(created.sid).fetch();
    expect(fetched.status).toBe('in-progress');
    expect(fetched.startTime).toBeInstanceOf(Date);

    const updated = await client.calls(created.sid).update({ url: `${app.url}/next`, method: 'POST' });
    expect(updated.sid).toBe(created.sid);
    await sim.waitFor(() => app.to('/next').length === 1);
    await sim.waitFor(() => sim.network.endpoint(HUMAN).heard.first('say'));

    const hung = await client.calls(created.sid).update({ status: 'completed' });
    expect(hung.status).toBe('completed');
    await sim.waitFor(() => app.to('/status').some((r) => r.params['CallStatus'] === 'completed'));
    const statuses = app.to('/status').map((r) => r.params['CallStatus']);
    expect(statuses).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(app.to('/status').map((r) => r.params['SequenceNumber'])).toEqual(['0', '1', '2', '3']);
    expect(app.requests.every((r) => r.signatureValid)).toBe(true);

    const log = sim.log.forCall(created.sid);
    const rest = log.entries.filter((e) => e.type === 'rest.request');
    expect(rest.map((e) => (e.type === 'rest.request' ? [e.method, e.status] : []))).toEqual([
      ['POST', 201],
      ['GET', 200],
      ['POST', 200],
      ['POST', 200],
    ]);
  });

  it('runs inline Twiml on create and lists calls', async () => {
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 50 });
    const call = await client.calls.create({
      to: HUMAN,
      from: TWILIO_NUMBER,
      twiml: '<Response><Say>hi there</Say></Response>',
    });
    await sim.waitFor(() => sim.network.endpoint(HUMAN).heard.first('say'));
    expect(sim.network.endpoint(HUMAN).heard.first('say')?.text).toBe('hi there');
    const list = await client.calls.list({ to: HUMAN });
    expect(list.map((c) => c.sid)).toContain(call.sid);
  });

  it('answers malformed requests with Twilio error JSON', async () => {
    const expectRest = async (p: Promise<unknown>, status: number, code: number) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RestException);
      expect((err as InstanceType<typeof RestException>).status).toBe(status);
      expect((err as InstanceType<typeof RestException>).code).toBe(code);
      expect((err as InstanceType<typeof RestException>).moreInfo).toBe(
        `https://www.twilio.com/docs/errors/${code}`,
      );
    };
    // The SDK checks To/From itself, so requests missing them go through its raw request().
    const raw = async (data: Record<string, string>) => {
      const res = await client.request({
        method: 'post',
        uri: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`,
        data,
      });
      const body = typeof res.body === 'string' ? JSON.parse(res.body) : res.body;
      return { status: res.statusCode, body: body as Record<string, unknown> };
    };
    expect(await raw({ From: TWILIO_NUMBER, Url: `${app.url}/x` })).toEqual({
      status: 400,
      body: {
        code: 21201,
        message: "No 'To' number is specified",
        more_info: 'https://www.twilio.com/docs/errors/21201',
        status: 400,
      },
    });
    expect((await raw({ To: HUMAN, Url: `${app.url}/x` })).body['code']).toBe(21213);
    expect((await raw({ To: HUMAN, From: TWILIO_NUMBER })).body['code']).toBe(21205);
    await expectRest(client.calls.create({ to: HUMAN, from: TWILIO_NUMBER, url: 'not a url' }), 400, 21205);
    await expectRest(
      client.calls.create({ to: 'nope', from: TWILIO_NUMBER, url: `${app.url}/x` }),
      400,
      21211,
    );
    await expectRest(
      client.calls.create({ to: HUMAN, from: '+15559990000', url: `${app.url}/x` }),
      400,
      21210,
    );
    await expectRest(client.calls(`CA${'f'.repeat(32)}`).fetch(), 404, 20404);
    await expectRest(client.conferences(`CF${'f'.repeat(32)}`).fetch(), 404, 20404);
    await expectRest(
      client.conferences('no-such-room').participants('agent').update({ hold: true }),
      404,
      20404,
    );
    const wrong = sdkClient(sim.url, ACCOUNT_SID, 'wrong-token');
    await expectRest(wrong.calls.list(), 401, 20003);
    const otherAccount = sdkClient(sim.url, `AC${'2'.repeat(32)}`, AUTH_TOKEN);
    await expectRest(otherAccount.calls.list(), 401, 20003);
    const rejected = sim.log.ofType('rest.request').filter((e) => e.status >= 400);
    expect(rejected.length).toBe(11);
    expect(rejected.map((e) => e.errorCode)).toEqual([
      21201, 21213, 21205, 21205, 21211, 21210, 20404, 20404, 20404, 20003, 20003,
    ]);
  });

  it('refuses to redirect an ended call (21220) and 404s hanging it up again', async () => {
    sim.network.addHuman(HUMAN, { type: 'busy', afterMs: 10 });
    const call = await client.calls.create({
      to: HUMAN,
      from: TWILIO_NUMBER,
      twiml: '<Response><Pause/></Response>',
    });
    await sim.waitFor(() => sim.twilio.call(call.sid)?.isEnded);
    expect((await client.calls(call.sid).fetch()).status).toBe('busy');
    const redirect = await client
      .calls(call.sid)
      .update({ twiml: '<Response/>' })
      .catch((e: unknown) => e);
    expect((redirect as InstanceType<typeof RestException>).code).toBe(21220);
    const hangup = await client
      .calls(call.sid)
      .update({ status: 'completed' })
      .catch((e: unknown) => e);
    expect((hangup as InstanceType<typeof RestException>).status).toBe(404);
  });

  it('reports no-answer when the REST Timeout (plus the ring buffer) expires', async () => {
    await sim.stop();
    sim = await startSimulator({
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, ringTimeoutBufferMs: 100 },
    });
    client = sdkClient(sim.url, ACCOUNT_SID, AUTH_TOKEN);
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/voice` });
    sim.network.addHuman(HUMAN, { type: 'no-answer' });
    const call = await client.calls.create({
      to: HUMAN,
      from: TWILIO_NUMBER,
      twiml: '<Response/>',
      timeout: 1,
      statusCallback: `${app.url}/status`,
    });
    await sim.waitFor(() => app.to('/status').length === 1);
    expect(app.to('/status')[0]?.params).toMatchObject({
      CallSid: call.sid,
      CallStatus: 'no-answer',
      CallDuration: '0',
    });
  });

  it('cancels a ringing call with Status=canceled', async () => {
    sim.network.addHuman(HUMAN, { type: 'no-answer' });
    const call = await client.calls.create({
      to: HUMAN,
      from: TWILIO_NUMBER,
      twiml: '<Response><Pause/></Response>',
    });
    await sim.waitFor(() => sim.twilio.call(call.sid)?.status === 'ringing');
    const canceled = await client.calls(call.sid).update({ status: 'canceled' });
    expect(canceled.status).toBe('canceled');
    expect(sim.network.endpoint(HUMAN).legs[0]?.end?.status).toBe('canceled');
  });

  it('creates, updates, fetches and removes conference participants by FriendlyName and sid', async () => {
    app.route(
      '/voice',
      `<Response><Dial><Conference statusCallback="${app.url}/conf" statusCallbackEvent="join leave">room1</Conference></Dial></Response>`,
    );
    app.route('/announce', '<Response><Say>customer asks about billing</Say></Response>');
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 100 });
    const caller = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => sim.twilio.conference('room1')?.participants.size === 1);

    const created = await client.conferences('room1').participants.create({
      from: TWILIO_NUMBER,
      to: HUMAN,
      label: 'agent',
      startConferenceOnEnter: true,
      endConferenceOnExit: false,
      beep: 'false',
      earlyMedia: true,
      timeout: 20,
      // Ignored: only the first participant's conference callback counts (protocols.md §2.4).
      conferenceStatusCallback: `${app.url}/ignored`,
      conferenceStatusCallbackEvent: ['start', 'end'],
      statusCallback: `${app.url}/agent-status`,
      statusCallbackEvent: ['ringing', 'answered', 'completed'],
    });
    expect(created.callSid).toMatch(/^CA/);
    expect(created.label).toBe('agent');
    expect(created.status).toBe('queued');
    await sim.waitFor(() => sim.twilio.conference('room1')?.status === 'in-progress');
    const cf = sim.twilio.conference('room1');
    expect(cf?.sid).toMatch(/^CF/);
    const confs = await client.conferences.list({ friendlyName: 'room1', status: 'in-progress' });
    expect(confs.map((c) => c.sid)).toEqual([cf?.sid]);

    const held = await client
      .conferences(cf?.sid as string)
      .participants(caller.sid)
      .update({
        hold: true,
        holdUrl: 'https://example.com/hold.mp3',
      });
    expect(held.hold).toBe(true);
    const announced = await client
      .conferences(cf?.sid as string)
      .participants('agent')
      .update({
        announceUrl: `${app.url}/announce`,
        announceMethod: 'POST',
      });
    expect(announced.callSid).toBe(created.callSid);
    await sim.waitFor(() => sim.network.endpoint(HUMAN).heard.first('say'));
    const fetched = await client
      .conferences(cf?.sid as string)
      .participants('agent')
      .fetch();
    expect(fetched.status).toBe('connected');
    expect(fetched.muted).toBe(false);

    await client
      .conferences(cf?.sid as string)
      .participants('agent')
      .remove();
    await sim.waitFor(() => sim.twilio.call(created.callSid)?.isEnded);
    expect(sim.twilio.conference(cf?.sid as string)?.participants.has(caller.sid)).toBe(true);
    expect(app.to('/conf').map((r) => r.params['StatusCallbackEvent'])).toContain('participant-join');
    await sim.waitFor(() =>
      app.to('/conf').some((r) => r.params['StatusCallbackEvent'] === 'participant-leave'),
    );
    expect(app.to('/agent-status').map((r) => r.params['CallStatus'])).toEqual([
      'ringing',
      'in-progress',
      'completed',
    ]);
    expect(app.to('/ignored')).toEqual([]);
    expect(app.requests.every((r) => r.signatureValid)).toBe(true);

    const ended = await client.conferences(cf?.sid as string).update({ status: 'completed' });
    expect(ended.status).toBe('completed');
    await sim.waitFor(() => caller.state === 'ended');
  });
});
