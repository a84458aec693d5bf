import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { ACCOUNT_SID, AUTH_TOKEN, CALLER, HUMAN, sdkClient, TestApp, TWILIO_NUMBER } from './helpers.js';

const { VoiceResponse } = twilio.twiml;

describe('conferences: hold, wait audio, announcements, start and end rules', () => {
  let sim: Simulator;
  let app: TestApp;
  /** The simulator runs on it: rings, speech and waits cost no wall time. */
  let time: VirtualTime;
  let client: ReturnType<typeof sdkClient>;

  beforeEach(async () => {
    time = new VirtualTime();
    sim = await startSimulator({
      twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, sayMsPerChar: 10 },
      time,
    });
    app = await TestApp.start(AUTH_TOKEN);
    client = sdkClient(sim.url, ACCOUNT_SID, AUTH_TOKEN);
    sim.twilio.configureNumber(TWILIO_NUMBER, { voiceUrl: `${app.url}/voice` });
    app.route('/announce', '<Response><Say>Customer wants a refund</Say></Response>');
    app.route('/dial-done', '<Response><Say>conference over</Say></Response>');
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
    time.stop();
  });

  function conferenceTwiml(attrs: Record<string, string | boolean>): string {
    const r = new VoiceResponse();
    r.dial({ action: `${app.url}/dial-done` }).conference(
      {
        statusCallback: `${app.url}/conf`,
        statusCallbackEvent: ['start', 'end', 'join', 'leave', 'hold', 'announcement'],
        participantLabel: 'customer',
        ...attrs,
      },
      'xfer-1',
    );
    return r.toString();
  }

  it('runs a warm transfer: wait music, human joins, whisper to the human only, hold, unhold, end on exit', async () => {
    app.route(
      '/voice',
      conferenceTwiml({ startConferenceOnEnter: false, waitUrl: 'https://example.com/wait' }),
    );
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 100, speak: { type: 'tone', hz: 660 } });
    const caller = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    const conf = await sim.waitFor(() => sim.twilio.conference('xfer-1'));
    await sim.waitFor(() => caller.heard.first('hold'));
    expect(caller.heard.first('hold')?.url).toBe('https://example.com/wait');
    expect(conf.status).toBe('init');

    await client
      .conferences(conf.sid)
      .participants('customer')
      .update({ hold: true, holdUrl: 'https://example.com/hold' });
    const agent = await client.conferences('xfer-1').participants.create({
      from: TWILIO_NUMBER,
      to: HUMAN,
      label: 'agent',
      startConferenceOnEnter: true,
      endConferenceOnExit: true,
      beep: 'false',
    });
    await sim.waitFor(() => conf.status === 'in-progress');
    await client
      .conferences(conf.sid)
      .participants('agent')
      .update({ announceUrl: `${app.url}/announce` });
    await sim.waitFor(() =>
      app.to('/conf').some((r) => r.params['StatusCallbackEvent'] === 'announcement-end'),
    );
    const human = sim.network.endpoint(HUMAN);
    expect(human.heard.first('say')?.text).toBe('Customer wants a refund');
    expect(caller.heard.from('say')).toEqual([]);
    expect(caller.heard.last('hold')?.url).toBe('https://example.com/hold');
    // On hold, the caller and the human do not hear each other.
    expect(caller.heard.from('party:')).toEqual([]);
    expect(human.heard.from('party:')).toEqual([]);

    await client.conferences(conf.sid).participants(caller.sid).update({ hold: false });
    await sim.waitFor(() => caller.heard.first(`party:${agent.callSid}`));
    await sim.waitFor(() => human.heard.first(`party:${caller.sid}`));
    const hold = caller.heard.last('hold');
    const talk = caller.heard.first(`party:${agent.callSid}`);
    expect(hold && talk && talk.startMs >= hold.endMs - 20).toBe(true);

    human.hangup();
    await sim.waitFor(() => app.to('/dial-done').length === 1);
    expect(app.to('/dial-done')[0]?.params['DialCallStatus']).toBe('answered');
    await sim.waitFor(() =>
      app.to('/conf').some((r) => r.params['StatusCallbackEvent'] === 'conference-end'),
    );
    const events = app.to('/conf').map((r) => r.params['StatusCallbackEvent']);
    expect(events).toEqual([
      'participant-join',
      'participant-hold',
      'participant-join',
      'conference-start',
      'announcement-end',
      'participant-unhold',
      'participant-leave',
      'participant-leave',
      'conference-end',
    ]);
    const seqs = app.to('/conf').map((r) => Number(r.params['SequenceNumber']));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const end = app.to('/conf').at(-1)?.params ?? {};
    expect(end).toMatchObject({
      ReasonConferenceEnded: 'participant-with-end-conference-on-exit-left',
      CallSidEndingConference: agent.callSid,
      ParticipantLabelEndingConference: 'agent',
      FriendlyName: 'xfer-1',
    });
    expect(app.to('/conf').every((r) => r.signatureValid && r.params['Timestamp']?.endsWith('+0000'))).toBe(
      true,
    );
    expect(conf.status).toBe('completed');
  });

  it('keeps a lone participant on wait audio until a second one starts the conference', async () => {
    app.route('/voice', conferenceTwiml({ startConferenceOnEnter: true }));
    const caller = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    const conf = await sim.waitFor(() => sim.twilio.conference('xfer-1'));
    await sim.waitFor(() => caller.heard.first('hold'));
    expect(caller.heard.first('hold')?.url).toContain('twimlets.com/holdmusic');
    expect(conf.status).toBe('init');
    caller.hangup();
    await sim.waitFor(() => conf.status === 'completed');
    expect(conf.resource()['reason_conference_ended']).toBe('last-participant-left');
  });

  it('ends the conference through the API and sends the TwiML participant on to its action', async () => {
    app.route('/voice', conferenceTwiml({}));
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 50 });
    const caller = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    const conf = await sim.waitFor(() => sim.twilio.conference('xfer-1'));
    const agent = await client.conferences(conf.sid).participants.create({ from: TWILIO_NUMBER, to: HUMAN });
    await sim.waitFor(() => conf.status === 'in-progress');
    // Beep on entry (default true): the caller heard it when the agent joined.
    await sim.waitFor(() => caller.heard.first('beep'));
    await client.conferences(conf.sid).update({ status: 'completed' });
    await sim.waitFor(() => caller.heard.first('say'));
    expect(caller.heard.first('say')?.text).toBe('conference over');
    await sim.waitFor(() => sim.twilio.call(agent.callSid)?.isEnded);
    expect(conf.resource()['reason_conference_ended']).toBe('conference-ended-via-api');
  });

  it('mutes a participant: nobody hears it', async () => {
    app.route('/voice', conferenceTwiml({ beep: 'false' }));
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 50, speak: { type: 'tone' } });
    const caller = await sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: TWILIO_NUMBER,
      audio: { type: 'tone' },
    });
    const conf = await sim.waitFor(() => sim.twilio.conference('xfer-1'));
    const agent = await client
      .conferences(conf.sid)
      .participants.create({ from: TWILIO_NUMBER, to: HUMAN, muted: true, beep: 'false' });
    await sim.waitFor(() => sim.network.endpoint(HUMAN).heard.bytes(`party:${caller.sid}`) >= 1600);
    expect(caller.heard.bytes(`party:${agent.callSid}`)).toBe(0);
    await client.conferences(conf.sid).participants(agent.callSid).update({ muted: false });
    await sim.waitFor(() => caller.heard.first(`party:${agent.callSid}`));
  });

  it('lets a coach be heard by the coached participant only', async () => {
    const COACH = '+15558880002';
    app.route('/voice', conferenceTwiml({ beep: 'false' }));
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 30 });
    sim.network.addHuman(COACH, { type: 'answer', afterMs: 30, speak: { type: 'tone', hz: 300 } });
    const caller = await sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: TWILIO_NUMBER });
    const conf = await sim.waitFor(() => sim.twilio.conference('xfer-1'));
    const agent = await client
      .conferences(conf.sid)
      .participants.create({ from: TWILIO_NUMBER, to: HUMAN, beep: 'false' });
    await sim.waitFor(() => conf.participants.has(agent.callSid));
    const coach = await client.conferences(conf.sid).participants.create({
      from: TWILIO_NUMBER,
      to: COACH,
      beep: 'false',
      coaching: true,
      callSidToCoach: agent.callSid,
    });
    expect(coach.coaching).toBe(true);
    expect(coach.callSidToCoach).toBe(agent.callSid);
    await sim.waitFor(() => sim.network.endpoint(HUMAN).heard.bytes(`party:${coach.callSid}`) >= 1600);
    expect(caller.heard.bytes(`party:${coach.callSid}`)).toBe(0);
    const updated = await client
      .conferences(conf.sid)
      .participants(coach.callSid)
      .update({ coaching: false });
    expect(updated.coaching).toBe(false);
    await sim.waitFor(() => caller.heard.first(`party:${coach.callSid}`));
  });
});
