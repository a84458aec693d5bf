import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HumanBehaviour } from '../../sim/index.js';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { ACCOUNT_SID, AUTH_TOKEN, CALLER, HUMAN, TestApp, TWILIO_NUMBER } from './helpers.js';

const { VoiceResponse } = twilio.twiml;

/** The simulator runs on virtual time: rings and ring timeouts cost no wall time. */
describe('TwiML <Dial><Number>', () => {
  let sim: Simulator;
  let app: TestApp;
  let time: VirtualTime;

  beforeEach(async () => {
    time = new VirtualTime();
    sim = await startSimulator({
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, sayMsPerChar: 10, playDurationMs: 200 },
      time,
    });
    app = await TestApp.start(AUTH_TOKEN);
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/voice` });
    app.route('/dial-done', '<Response><Say>after the dial</Say></Response>');
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
    time.stop();
  });

  function dialTwiml(attrs: Record<string, string | number> = {}, numberUrl?: string): string {
    const r = new VoiceResponse();
    const dial = r.dial({ action: `${app.url}/dial-done`, timeout: 5, ...attrs });
    dial.number(numberUrl ? { url: `${app.url}${numberUrl}` } : {}, HUMAN);
    r.say('not reached when action is set');
    return r.toString();
  }

  it('bridges the caller to the human, then posts DialCallStatus=completed to the action', async () => {
    app.route('/voice', dialTwiml());
    sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 150,
      speak: { type: 'tone', hz: 880 },
      hangupAfterMs: 300,
    });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    await sim.waitFor(() => app.to('/dial-done').length === 1);
    const human = sim.network.endpoint(HUMAN);
    const childSid = human.legs[0]?.label as string;
    const action = app.to('/dial-done')[0]?.params ?? {};
    expect(action).toMatchObject({
      DialCallStatus: 'completed',
      DialBridged: 'true',
      DialCallSid: childSid,
      CallSid: call.sid,
    });
    expect(action['DialCallDuration']).toMatch(/^\d+$/);
    expect(sim.twilio.call(childSid)?.parentCallSid).toBe(call.sid);
    expect(sim.twilio.call(childSid)?.direction).toBe('outbound-dial');
    // Ringback first, then the human's voice; the human heard the caller.
    const ringback = call.heard.first('ringback');
    const party = call.heard.first(`party:${childSid}`);
    expect(ringback && party && ringback.startMs <= party.startMs).toBe(true);
    expect(human.heard.first(`party:${call.sid}`)).toBeDefined();
    await sim.waitFor(() => call.heard.first('say'));
    expect(call.heard.from('say').map((s) => s.text)).toEqual(['after the dial']);
  });

  it.each<[string, HumanBehaviour, string, string]>([
    ['busy', { type: 'busy', afterMs: 20 }, 'busy', '486'],
    ['a failure', { type: 'fail', afterMs: 20 }, 'failed', '404'],
    ['a decline', { type: 'reject', afterMs: 60 }, 'busy', '603'],
  ])('reports %s to the action', async (_name, behaviour, dialStatus, sip) => {
    app.route('/voice', dialTwiml());
    app.route('/dial-done', '<Response><Hangup/></Response>');
    sim.network.addHuman(HUMAN, behaviour);
    const r = new VoiceResponse();
    const dial = r.dial({ action: `${app.url}/dial-done`, timeout: 5 });
    dial.number({ statusCallback: `${app.url}/child-status`, statusCallbackEvent: ['completed'] }, HUMAN);
    app.route('/voice', r.toString());
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await call.ended;
    expect(app.to('/dial-done')[0]?.params).toMatchObject({
      DialCallStatus: dialStatus,
      DialBridged: 'false',
    });
    await sim.waitFor(() => app.to('/child-status').length === 1);
    expect(app.to('/child-status')[0]?.params).toMatchObject({
      CallStatus: dialStatus,
      SipResponseCode: sip,
    });
  });

  it('reports no-answer when the ring timeout expires', async () => {
    app.route('/voice', dialTwiml({ timeout: 5 }));
    sim.network.addHuman(HUMAN, { type: 'no-answer' });
    await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => app.to('/dial-done').length === 1, 8000);
    expect(app.to('/dial-done')[0]?.params['DialCallStatus']).toBe('no-answer');
    expect(sim.network.endpoint(HUMAN).legs[0]?.end?.status).toBe('no-answer');
  });

  it('continues after <Dial> when there is no action', async () => {
    const r = new VoiceResponse();
    r.dial({ timeout: 5 }, HUMAN);
    r.say('next verb');
    app.route('/voice', r.toString());
    sim.network.addHuman(HUMAN, { type: 'busy', afterMs: 10 });
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => call.heard.first('say'));
    expect(call.heard.first('say')?.text).toBe('next verb');
  });

  it('plays the <Number url> whisper to the human only, before bridging', async () => {
    app.route('/voice', dialTwiml({}, '/whisper'));
    app.route('/whisper', '<Response><Say>Caller asks about billing</Say></Response>');
    sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 50,
      speak: { type: 'tone' },
      hangupAfterMs: 1200,
    });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    await sim.waitFor(() => app.to('/dial-done').length === 1);
    const human = sim.network.endpoint(HUMAN);
    const whisper = human.heard.first('say');
    const callerAudio = human.heard.first(`party:${call.sid}`);
    expect(whisper?.text).toBe('Caller asks about billing');
    expect(whisper && callerAudio && whisper.endMs <= callerAudio.startMs + 20).toBe(true);
    expect(call.heard.from('say').filter((s) => s.text === 'Caller asks about billing')).toEqual([]);
    const whisperReq = app.to('/whisper')[0];
    expect(whisperReq?.params['CallSid']).toBe(human.legs[0]?.label);
    expect(whisperReq?.params['Direction']).toBe('outbound-dial');
    expect(whisperReq?.signatureValid).toBe(true);
    expect(app.to('/dial-done')[0]?.params['DialBridged']).toBe('true');
  });

  it('does not bridge a human who hangs up during the whisper', async () => {
    app.route('/voice', dialTwiml({}, '/whisper'));
    app.route(
      '/whisper',
      '<Response><Say>A long briefing about the customer and their account</Say></Response>',
    );
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 50, hangupDuringWhisper: { afterMs: 60 } });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    await sim.waitFor(() => app.to('/dial-done').length === 1);
    expect(app.to('/dial-done')[0]?.params).toMatchObject({
      DialCallStatus: 'completed',
      DialBridged: 'false',
    });
    expect(call.heard.from('party:')).toEqual([]);
    expect(sim.network.endpoint(HUMAN).heard.from('party:')).toEqual([]);
  });

  it('keeps an inbound call unanswered until the bridge with answerOnBridge', async () => {
    app.route('/voice', dialTwiml({ answerOnBridge: 'true' }));
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 300, hangupAfterMs: 100 });
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => sim.network.endpoint(HUMAN).legs.length === 1);
    expect(sim.twilio.call(call.sid)?.status).toBe('ringing');
    await sim.waitFor(() => sim.network.endpoint(HUMAN).activeLeg);
    await sim.waitFor(() => call.state === 'answered');
    expect(call.heard.first('ringback')).toBeDefined();
  });

  it('refuses a callerId the account does not own (13214) and reports failed', async () => {
    app.route('/voice', dialTwiml({ callerId: '+15559990000' }));
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 10 });
    const call = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    await sim.waitFor(() => app.to('/dial-done').length === 1);
    expect(app.to('/dial-done')[0]?.params['DialCallStatus']).toBe('failed');
    expect(sim.network.endpoint(HUMAN).legs).toEqual([]);
    expect(sim.log.forCall(call.sid).entries.some((e) => e.type === 'markup.error' && e.code === 13214)).toBe(
      true,
    );
  });
});
