import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoSignatureV3 } from '../../providers/plivo/signature-v3.js';
import { wav } from '../../src/media/hold-music.js';
import { tone } from '../../src/media/tone.js';
import { ANSWERS, handoff, transferEvents, useE2e, warm as warmWith } from './fixture.js';
import { CALLER, PLIVO_AUTH_TOKEN, sourcesHeard, waitForRecord } from './harness.js';

/**
 * The transfer behaviours on Plivo, end to end: the daemon on a private real Redis, the Plivo
 * simulator (answer_url, `calls.transfer`, `<Dial>` with its action and callbackUrl, conference
 * hold and whisper, V3-signed callbacks, the audio stream), and the scripted agent, which speaks
 * Twilio's Media Streams protocol with μ-law 8 kHz as always.
 */

const { run, placeCall } = useE2e('plivo');
/**
 * Serves the Plivo XML the agent's `holdAudio` names (a `waitSound` must answer with XML) and the
 * music it plays: a second of 523 Hz, looped.
 */
let holdServer: http.Server;
let holdUrl = '';
let musicUrl = '';
const MUSIC = wav(tone({ encoding: 'pcm16', sampleRate: 8000 }, { frequencyHz: 523, durationMs: 1000 }));

beforeAll(async () => {
  holdServer = http.createServer((req, res) => {
    if (req.url === '/hold-music.wav') {
      res.writeHead(200, { 'content-type': 'audio/wav' });
      res.end(MUSIC);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(`<Response><Play loop="0">${musicUrl}</Play></Response>`);
  });
  await new Promise<void>((resolve) => holdServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(holdServer.address() as AddressInfo).port}`;
  holdUrl = `${base}/hold.xml`;
  musicUrl = `${base}/hold-music.wav`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => holdServer.close(() => resolve()));
});

const warm = (whisper: string | null) => warmWith(whisper, { holdAudio: holdUrl });

describe('plivo transfers end to end (Redis)', () => {
  it('cold, answered: calls.transfer to the dial XML, the caller reaches the human, endedReason transferred', async () => {
    const hh = await run({
      script: [
        { say: 400 },
        { text: ['Putting you through ', 'now [TRANS', 'FER:+14155550111]'] },
        { say: 200 },
      ],
    });
    const human = hh.sim.network.addHuman('+14155550111', ANSWERS);
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.phase === 'human');
    await hh.sim.waitFor(
      () => human.heard.from('party:').length > 0 && call.heard.from('party:').length > 0,
      5000,
    );
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(ended.transfers).toMatchObject([{ mode: 'cold', trigger: 'tag', outcome: 'connected' }]);
    expect(transferEvents(ended)).toEqual(['transfer.started', 'handoff.played', 'leg.answered']);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'ringback', 'party:']);
    expect(sourcesHeard(human.heard.segments)).toEqual(['party:']);
    // The caller's call was moved with calls.transfer (a URL, never inline XML), then dialed as seed 003 says.
    const transfer = hh.sim.log
      .ofType('rest.request')
      .find((e) => e.path.endsWith(`/Call/${call.sid}/`) && e.method === 'POST');
    expect(transfer?.params).toMatchObject({ legs: 'aleg', aleg_method: 'POST' });
    const dial = hh.sim.log.ofType('markup.verb').find((e) => e.callSid === call.sid && e.verb === 'Dial');
    // Caller-ID passthrough: the human sees the caller's number, in Plivo's format.
    expect(dial?.attributes).toMatchObject({ callerId: '14155559999', timeout: '10' });
    expect(human.legs[0]?.from).toBe(CALLER);
    const session = await hh.agent!.session(0);
    await session.finished;
    expect(session.frames('transfer_status').map((f) => f.frame['status'])).toEqual(
      expect.arrayContaining(['started', 'dialing', 'connected']),
    );
    expect(session.frames('stop')).toHaveLength(1);
    // The agent spoke Twilio's dialect with μ-law 8 kHz while the carrier was Plivo.
    expect(session.frames('start')[0]?.frame).toMatchObject({
      start: { mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } },
    });
    const lastAi = call.heard.last('stream:');
    expect(lastAi!.endMs).toBeLessThanOrEqual(call.heard.first('party:')!.startMs);
  });

  it('warm with a static whisper: the caller holds in the conference, the human hears the whisper, then they are joined', async () => {
    const hh = await run({
      script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('Incoming refund request, please assist.'),
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 500,
      speak: { type: 'tone', hz: 660, durationMs: 20_000 },
    });
    const call = await placeCall(hh);
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    await hh.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    expect(transferEvents(ended)).toEqual(
      expect.arrayContaining(['handoff.played', 'caller.held', 'leg.answered', 'human.joined']),
    );
    const whisper = human.heard.first('say');
    expect(whisper?.text).toBe('Incoming refund request, please assist.');
    expect(whisper!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
    expect(call.heard.from('say')).toHaveLength(0);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
    // The agent's holdAudio, not the daemon's: its waitSound was asked, its music played.
    expect(call.heard.first('hold')?.url).toBe(musicUrl);
    expect(hh.sim.log.ofType('webhook.sent').some((e) => e.url === holdUrl)).toBe(true);
    // The human's leg was placed with POST /Call/ and its answer_url answered with <Speak><Conference>.
    const create = hh.sim.log
      .ofType('rest.request')
      .find((e) => e.path.endsWith('/Call/') && e.method === 'POST');
    expect(create).toMatchObject({ status: 201, params: { to: '14155550111', answer_method: 'POST' } });
  });

  it('nobody answers: the dial action brings the caller back to the AI, which gets resume with no_answer', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550122]'] }, { awaitEvent: 'resume' }, { say: 300 }],
      agent: handoff({ ringTimeoutSec: 5 }),
    });
    hh.sim.network.addHuman('+14155550122', { type: 'no-answer' });
    const call = await placeCall(hh);
    const back = await waitForRecord(
      hh,
      call.sid,
      (r) => r.phase === 'ai' && r.transfers[0]?.outcome !== undefined,
      15_000,
    );
    expect(back.transfers[0]?.outcome).toBe('no_answer');
    const session = await hh.agent!.session(0);
    expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('no_answer');
    await hh.sim.waitFor(
      () => sourcesHeard(call.heard.segments).join(',') === 'stream:,ringback,stream:',
      5000,
    );
    expect(hh.agent!.sessions).toHaveLength(1);
    expect(hh.sim.plivo.streamsOf(call.sid)).toHaveLength(2);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });

  it('the caller hangs up while the human rings (warm): the human leg is canceled', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('Caller waiting.'),
    });
    const human = hh.sim.network.addHuman('+14155550111', { type: 'no-answer' });
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => human.activeLeg?.state === 'ringing', 8000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    expect(ended.transfers[0]?.outcome).toBe('caller_hangup');
    await hh.sim.waitFor(() => human.legs.every((l) => l.state === 'ended'), 5000);
    expect(human.legs[0]?.end?.status).toBe('canceled');
    expect(human.heard.from('say')).toHaveLength(0);
  });

  it('a [TRANSFER:] to a number not in the configuration is refused; the AI goes on', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['Sure [TRANSFER:+19005550199]'] }, { say: 200 }],
    });
    const premium = hh.sim.network.addHuman('+19005550199', ANSWERS);
    const call = await placeCall(hh);
    const refused = await waitForRecord(hh, call.sid, (r) => r.refusals.length > 0);
    expect(refused.refusals[0]).toMatchObject({ trigger: 'tag', refusal: 'destination_not_allowed' });
    expect(refused.phase).toBe('ai');
    expect(refused.transfers).toHaveLength(0);
    expect(premium.legs).toHaveLength(0);
    const session = await hh.agent!.session(0);
    await session.waitFor((f) => f.event === 'transfer_status' && f['status'] === 'failed');
    expect(hh.sim.log.ofType('rest.request')).toHaveLength(0);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });

  it('the human hangs up during the whisper: back to the AI with human_hangup', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }, { say: 200 }],
      agent: warm('A caller needs help with a refund for order 1234 placed last week.'),
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 200,
      hangupDuringWhisper: true,
    });
    const call = await placeCall(hh);
    const back = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 15_000);
    expect(back.transfers[0]?.outcome).toBe('human_hangup');
    expect(back.phase).toBe('ai');
    expect(human.heard.from('say').length).toBeGreaterThan(0);
    const session = await hh.agent!.session(0);
    expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('human_hangup');
    // The caller left the conference for a fresh stream to the same agent.
    await hh.sim.waitFor(() => call.heard.from('stream:').length >= 2, 5000);
    expect(call.heard.from('party:')).toHaveLength(0);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });

  it('the agent closing normally hangs the call up over REST: agent_hangup', async () => {
    const hh = await run({ script: [{ say: 300 }, { close: 'normal' }] });
    const call = await placeCall(hh);
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('agent_hangup');
    await hh.sim.waitFor(() => call.state === 'ended', 5000);
    expect(
      hh.sim.log
        .ofType('rest.request')
        .some((e) => e.method === 'DELETE' && e.path.endsWith(`/Call/${call.sid}/`) && e.status === 204),
    ).toBe(true);
  });

  it('forged webhooks get 403 and change nothing', async () => {
    const hh = await run({ script: [{ say: 200 }, { awaitEvent: 'stop' }] });
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.phase === 'ai');
    const post = (url: string, params: Record<string, string>, headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(params).toString(),
      });
    const nonce = '05429567804466091622';
    const sign = (token: string, url: string, params: Record<string, string>) => ({
      'x-plivo-signature-v3': plivoSignatureV3(token, 'POST', url, params, nonce),
      'x-plivo-signature-v3-nonce': nonce,
    });
    // A hang-up for the live call, signed with the wrong token, then unsigned.
    const hangupUrl = `${hh.publicUrl}/plivo/status`;
    const hangup = {
      CallUUID: call.sid,
      From: '14155559999',
      To: '14155550100',
      Direction: 'inbound',
      CallStatus: 'completed',
      HangupCause: 'NORMAL_CLEARING',
    };
    expect((await post(hangupUrl, hangup, sign('wrong-token', hangupUrl, hangup))).status).toBe(403);
    expect((await post(hangupUrl, hangup, {})).status).toBe(403);
    // A new call, signed correctly but over another URL (the signature covers the URL).
    const voiceUrl = `${hh.publicUrl}/plivo/voice`;
    const incoming = {
      CallUUID: '5b1c9e1a-7a47-4d2b-8b0b-00000000beef',
      From: '14155559999',
      To: '14155550100',
      Direction: 'inbound',
      CallStatus: 'ringing',
    };
    expect(
      (await post(voiceUrl, incoming, sign(PLIVO_AUTH_TOKEN, `${voiceUrl}?callId=x`, incoming))).status,
    ).toBe(403);
    // Correctly signed but malformed: 400 naming the field.
    const bad = { ...incoming, CallUUID: 'not-a-uuid' };
    const refused = await post(voiceUrl, bad, sign(PLIVO_AUTH_TOKEN, voiceUrl, bad));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { field: 'CallUUID' } });
    const record = await hh.app.engine.get(call.sid);
    expect(record?.phase).toBe('ai');
    expect(await hh.app.engine.get(incoming.CallUUID)).toBeUndefined();
    expect(call.state).toBe('answered');
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });
});
