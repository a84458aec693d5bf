import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallerHangupPhase, HangupPhase } from '../../sim/faults.js';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { AUTH_TOKEN, CALLER, HUMAN, TestApp, TWILIO_NUMBER } from './helpers.js';

/**
 * `human.hangup` and `caller.hangup` at every phase, on the Twilio front-end: the caller's call
 * dials the human with a `<Number url>` whisper, or joins a conference on hold. The simulator
 * runs on virtual time: the rings, whispers and hang-up delays cost no wall time.
 */
describe('hang-up faults at a phase', () => {
  let sim: Simulator;
  let app: TestApp;
  let time: VirtualTime;

  beforeEach(async () => {
    time = new VirtualTime();
    app = await TestApp.start(AUTH_TOKEN);
    app.route(
      '/voice',
      `<Response><Dial timeout="10"><Number url="/whisper">${HUMAN}</Number></Dial></Response>`,
    );
    app.route(
      '/whisper',
      '<Response><Say>A caller about a refund, order one two three four.</Say></Response>',
    );
    app.route(
      '/hold',
      '<Response><Dial><Conference waitUrl="http://hold.example/music">room</Conference></Dial></Response>',
    );
    sim = await startSimulator({ twilio: { authToken: AUTH_TOKEN, sayMsPerChar: 20 }, time });
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/voice` });
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
    time.stop();
  });

  async function humanHangsUp(phase: HangupPhase) {
    const human = sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 400, speak: { type: 'tone' } });
    sim.faults.add({ type: 'human.hangup', address: HUMAN, phase, afterMs: 150 });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    const leg = await sim.waitFor(() => human.legs[0], 3000);
    const end = await leg.ended;
    call.hangup();
    return { human, leg, end };
  }

  it('human, ringing: declines 150 ms after the ring, before the scripted answer', async () => {
    const { leg, end } = await humanHangsUp('ringing');
    expect(end).toMatchObject({ status: 'declined', by: 'endpoint' });
    expect(leg.answeredAtMs).toBeUndefined();
  });

  it('human, whisper: hangs up 150 ms into the whisper, never hearing the caller', async () => {
    const { human, end } = await humanHangsUp('whisper');
    expect(end).toMatchObject({ status: 'completed', by: 'endpoint' });
    const say = human.heard.first('say');
    expect(end.atMs - say!.startMs).toBeGreaterThanOrEqual(140);
    expect(human.heard.from('party:')).toHaveLength(0);
  });

  it('human, joined: hangs up 150 ms after first hearing the caller', async () => {
    const { human, end } = await humanHangsUp('joined');
    expect(end).toMatchObject({ status: 'completed', by: 'endpoint' });
    expect(end.atMs - human.heard.first('party:')!.startMs).toBeGreaterThanOrEqual(140);
  });

  async function callerHangsUp(phase: CallerHangupPhase, voice = '/voice') {
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}${voice}` });
    const human = sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 400, speak: { type: 'tone' } });
    sim.faults.add({ type: 'caller.hangup', phase, afterMs: 150 });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    const end = await call.ended;
    return { human, call, end };
  }

  it('caller, ringing: hangs up 150 ms after the human starts ringing; the dial is canceled', async () => {
    const { human, end } = await callerHangsUp('ringing');
    expect(end).toMatchObject({ status: 'completed', by: 'endpoint' });
    const leg = human.legs[0]!;
    await leg.ended;
    expect(leg.answeredAtMs).toBeUndefined();
    expect(leg.end?.status).toBe('canceled');
  });

  it('caller, whisper: hangs up while the human hears the whisper', async () => {
    const { human, end } = await callerHangsUp('whisper');
    expect(end.atMs - human.heard.first('say')!.startMs).toBeGreaterThanOrEqual(140);
    expect(human.heard.from('party:')).toHaveLength(0);
  });

  it('caller, joined: hangs up 150 ms after first hearing the human', async () => {
    const { call, end } = await callerHangsUp('joined');
    expect(end.atMs - call.heard.first('party:')!.startMs).toBeGreaterThanOrEqual(140);
  });

  it('caller, hold: hangs up 150 ms into the hold audio', async () => {
    const { call, end } = await callerHangsUp('hold', '/hold');
    expect(end.atMs - call.heard.first('hold')!.startMs).toBeGreaterThanOrEqual(140);
    expect(sim.log.entries.filter((e) => e.type === 'fault.applied')).toHaveLength(1);
  });

  it('a rule for another human, or another carrier, is left alone', async () => {
    sim.faults.add({ type: 'human.hangup', address: '+15550000000', phase: 'joined' });
    sim.faults.add({ type: 'caller.hangup', carrier: 'plivo', phase: 'joined' });
    const human = sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 200, hangupAfterMs: 1500 });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    await call.ended;
    expect(human.legs[0]?.end).toMatchObject({ status: 'completed', by: 'endpoint' });
    expect(sim.faults.list().map((h) => h.hits)).toEqual([0, 0]);
  });
});
