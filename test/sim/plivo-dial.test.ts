import plivo from 'plivo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { type AppRequest, TestApp } from './helpers.js';

/**
 * `<Dial>` (protocols.md §3.5): seed 003's `/plivo/dial-up` document — ringback, bridge, the
 * `action` with `DialStatus`/`DialBLegUUID`…, `callbackUrl` answer/hangup, busy, no answer,
 * `redirect="false"`, and a transfer of the A-leg during the dial.
 */

const AUTH_ID = 'MA1234567890ABCDEFGH';
const TOKEN = 'plivo-test-token';
const NUMBER = '+14155550100';
const CALLER = '+14155557777';
const HUMAN = '+14155550111';

function signed(req: AppRequest): boolean {
  const nonce = req.headers['x-plivo-signature-v3-nonce'];
  const signature = req.headers['x-plivo-signature-v3'];
  if (typeof nonce !== 'string' || typeof signature !== 'string') return false;
  return plivo.validateV3Signature(req.method, req.url, nonce, TOKEN, signature, req.params) === true;
}

const dialUp = (attrs = '', number = '14155550111') =>
  `<Response><Dial callerId="14155550100" timeout="5" action="/dial-done" method="POST" callbackUrl="/dial-events" ${attrs}><Number>${number}</Number></Dial><Speak>after dial</Speak></Response>`;

describe('Plivo Dial', () => {
  let sim: Simulator;
  let app: TestApp;
  /** The simulator runs on it: rings, speech and waits cost no wall time. */
  let time: VirtualTime;

  beforeEach(async () => {
    time = new VirtualTime();
    sim = await startSimulator({ plivo: { authId: AUTH_ID, authToken: TOKEN, sayMsPerChar: 5 }, time });
    app = await TestApp.start(TOKEN);
    sim.plivo.configureNumber(NUMBER, { answerUrl: `${app.url}/answer`, hangupUrl: `${app.url}/hangup` });
    app.route('/dial-done', '<Response><Speak>back from the dial</Speak></Response>');
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
    time.stop();
  });

  it('answered: ringback, bridge, callbackUrl answer/hangup, then action with DialStatus=completed and its XML', async () => {
    const human = sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660 },
      hangupAfterMs: 700,
    });
    app.route('/answer', dialUp());
    const call = await sim.network.placeCall({
      carrier: 'plivo',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone' },
    });
    await sim.waitFor(() => call.heard.first('say'), 8000);
    expect(call.heard.segments.map((s) => s.source.split(':')[0])).toEqual(['ringback', 'party', 'say']);
    expect(human.heard.first(`party:${call.sid}`)).toBeDefined();
    expect(human.legs[0]?.from).toBe('+14155550100');
    const events = app.to('/dial-events');
    expect(events.map((e) => e.params['DialAction'])).toEqual(['answer', 'hangup']);
    const bLeg = events[0]!.params['DialBLegUUID'];
    expect(events[0]!.params).toMatchObject({ DialALegUUID: call.sid, DialBLegStatus: 'answer' });
    expect(events[1]!.params).toMatchObject({ DialBLegUUID: bLeg, DialBLegHangupCause: 'NORMAL_CLEARING' });
    const done = app.to('/dial-done')[0]!;
    expect(signed(done)).toBe(true);
    expect(done.params).toMatchObject({
      CallUUID: call.sid,
      DialStatus: 'completed',
      DialRingStatus: 'true',
      DialALegUUID: call.sid,
      DialBLegUUID: bLeg,
      DialHangupCause: 'NORMAL_CLEARING',
    });
    expect(call.heard.first('say')?.text).toBe('back from the dial');
    expect(events.every(signed)).toBe(true);
  });

  it('busy: DialStatus=busy, no B-leg UUID, no callbackUrl event', async () => {
    sim.network.addHuman(HUMAN, { type: 'busy', afterMs: 100 });
    app.route('/answer', dialUp());
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => app.to('/dial-done').length > 0, 5000);
    expect(app.to('/dial-done')[0]!.params).toMatchObject({
      DialStatus: 'busy',
      DialBLegUUID: '',
      DialHangupCause: 'USER_BUSY',
      DialRingStatus: 'false',
    });
    expect(app.to('/dial-events')).toHaveLength(0);
    await sim.waitFor(() => call.heard.first('say'));
  });

  it('no answer within timeout: DialStatus=no-answer (or timeout, an option)', async () => {
    sim.network.addHuman(HUMAN, { type: 'no-answer' });
    app.route('/answer', dialUp('', '14155550111').replace('timeout="5"', 'timeout="1"'));
    await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => app.to('/dial-done').length > 0, 5000);
    expect(app.to('/dial-done')[0]!.params).toMatchObject({
      DialStatus: 'no-answer',
      DialRingStatus: 'true',
      DialHangupCause: 'NO_ANSWER',
    });
  });

  it('a declined call reports busy with CALL_REJECTED', async () => {
    sim.network.addHuman(HUMAN, { type: 'reject', afterMs: 200 });
    app.route('/answer', dialUp());
    await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => app.to('/dial-done').length > 0, 5000);
    expect(app.to('/dial-done')[0]!.params).toMatchObject({
      DialStatus: 'busy',
      DialHangupCause: 'CALL_REJECTED',
    });
  });

  it('redirect="false": the action is told, and the document goes on after <Dial>', async () => {
    sim.network.addHuman(HUMAN, { type: 'busy', afterMs: 100 });
    app.route('/answer', dialUp('redirect="false"'));
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => call.heard.first('say'), 5000);
    expect(call.heard.first('say')?.text).toBe('after dial');
    expect(app.to('/dial-done')).toHaveLength(1);
  });

  it('a <User> SIP target and a transfer of the A-leg while ringing: the B-leg is canceled, the action told', async () => {
    const human = sim.network.addHuman('sip:agent@pbx.example.com', { type: 'no-answer' });
    app.route(
      '/answer',
      '<Response><Dial action="/dial-done"><User>sip:agent@pbx.example.com</User></Dial></Response>',
    );
    app.route('/elsewhere', '<Response><Speak>elsewhere</Speak></Response>');
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => human.activeLeg?.state === 'ringing', 5000);
    const res = await fetch(`${sim.url}/v1/Account/${AUTH_ID}/Call/${call.sid}/`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ legs: 'aleg', aleg_url: `${app.url}/elsewhere`, aleg_method: 'POST' }),
    });
    expect(res.status).toBe(202);
    await sim.waitFor(() => call.heard.first('say'), 5000);
    expect(human.legs[0]?.end?.status).toBe('canceled');
    expect(app.to('/dial-done')[0]?.params['DialStatus']).toBe('cancel');
    expect(call.heard.first('say')?.text).toBe('elsewhere');
  });

  it('the caller hanging up during the bridge ends the B-leg; the action is still told', async () => {
    const human = sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 100 });
    app.route('/answer', dialUp());
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => human.activeLeg?.state === 'answered', 5000);
    call.hangup();
    await sim.waitFor(() => app.to('/dial-done').length > 0, 5000);
    expect(human.legs[0]?.state).toBe('ended');
    await sim.waitFor(() => app.to('/hangup').length > 0);
    expect(app.to('/hangup')[0]!.params).toMatchObject({ CallStatus: 'completed', HangupSource: 'Caller' });
  });
});
