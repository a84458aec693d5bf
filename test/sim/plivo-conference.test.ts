import plivo from 'plivo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pcm16ToMulaw } from '../../sim/codec.js';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { wav } from '../../src/media/hold-music.js';
import { tone } from '../../src/media/tone.js';
import { type AppRequest, TestApp } from './helpers.js';

/**
 * `<Conference>` and the conference REST endpoints (protocols.md §3.4–§3.6): Plivo's warm
 * transfer recipe — the caller waits with `startConferenceOnEnter="false"` hearing `waitSound`,
 * the human is dialed with `POST /Call/` and hears a `<Speak>` whisper before joining — plus
 * enter/exit callbacks, `endConferenceOnExit`, kick, mute and hang-up through the API.
 */

const AUTH_ID = 'MA1234567890ABCDEFGH';
const TOKEN = 'plivo-test-token';
const NUMBER = '+14155550100';
const CALLER = '+14155557777';
const HUMAN = '+14155550111';
const AUTH = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;
/** One second of 440 Hz as the WAV a `waitSound` plays: 16-bit PCM, 8 kHz mono. */
const MUSIC_PCM = tone({ encoding: 'pcm16', sampleRate: 8000 }, { frequencyHz: 440, durationMs: 1000 });
const MUSIC = wav(MUSIC_PCM);

function signed(req: AppRequest): boolean {
  const nonce = req.headers['x-plivo-signature-v3-nonce'];
  const signature = req.headers['x-plivo-signature-v3'];
  if (typeof nonce !== 'string' || typeof signature !== 'string') return false;
  return plivo.validateV3Signature(req.method, req.url, nonce, TOKEN, signature, req.params) === true;
}

describe('Plivo Conference', () => {
  let sim: Simulator;
  let app: TestApp;
  /** The simulator runs on it: rings, speech and waits cost no wall time. */
  let time: VirtualTime;

  const rest = (method: string, path: string, body?: object) =>
    fetch(`${sim.url}/v1/Account/${AUTH_ID}/${path}`, {
      method,
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeEach(async () => {
    time = new VirtualTime();
    sim = await startSimulator({ plivo: { authId: AUTH_ID, authToken: TOKEN, sayMsPerChar: 10 }, time });
    app = await TestApp.start(TOKEN);
    sim.plivo.configureNumber(NUMBER, { answerUrl: `${app.url}/answer`, hangupUrl: `${app.url}/hangup` });
    app.route('/hold', `<Response><Play loop="0">${app.url}/music.wav</Play></Response>`);
    app.route('/music.wav', () => ({ contentType: 'audio/wav', body: MUSIC }));
    app.route(
      '/answer',
      '<Response><Conference startConferenceOnEnter="false" endConferenceOnExit="true" waitSound="/hold" callbackUrl="/conf?label=caller">xfer-1</Conference><Speak>after the conference</Speak></Response>',
    );
    app.route(
      '/human',
      '<Response><Speak>Caller asks about a refund.</Speak><Conference startConferenceOnEnter="true" endConferenceOnExit="true" callbackUrl="/conf?label=human">xfer-1</Conference></Response>',
    );
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
    time.stop();
  });

  it('warm transfer: hold for the caller, whisper for the human only, then together; the human leaving ends the room', async () => {
    const human = sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660 },
      speakAfterMs: 0,
      hangupAfterMs: 2500,
    });
    const call = await sim.network.placeCall({
      carrier: 'plivo',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone', hz: 440 },
    });
    await sim.waitFor(() => call.heard.first('hold'), 5000);
    expect(call.heard.first('hold')?.url).toBe(`${app.url}/music.wav`);
    // waitSound is a signed POST; the file it plays is fetched with a GET.
    expect(app.to('/hold').map((r) => [r.method, signed(r)])).toEqual([['POST', true]]);
    expect(app.to('/music.wav').map((r) => r.method)).toEqual(['GET']);
    const created = await rest('POST', 'Call/', {
      from: '14155550100',
      to: '14155550111',
      answer_url: `${app.url}/human`,
      answer_method: 'POST',
      ring_url: `${app.url}/progress`,
      hangup_url: `${app.url}/progress`,
      ring_timeout: 15,
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ message: 'call fired' });
    expect(typeof body['request_uuid']).toBe('string');
    await sim.waitFor(() => call.heard.first('party:'), 8000);
    const whisper = human.heard.first('say')!;
    expect(whisper.text).toBe('Caller asks about a refund.');
    expect(whisper.endMs).toBeLessThanOrEqual(human.heard.first('party:')!.startMs);
    expect(call.heard.from('say')).toHaveLength(0);
    // The human hangs up: endConferenceOnExit ends the room, the caller's XML goes on.
    await sim.waitFor(() => call.heard.first('say'), 8000);
    expect(call.heard.first('say')?.text).toBe('after the conference');
    await sim.waitFor(() => app.to('/conf').length === 4 && app.to('/progress').length === 2, 5000);
    const conf = app.to('/conf');
    expect(conf.every(signed)).toBe(true);
    expect(
      conf.map((r) => `${new URL(r.url).searchParams.get('label')}:${r.params['ConferenceAction']}`),
    ).toEqual(['caller:enter', 'human:enter', 'human:exit', 'caller:exit']);
    expect(conf[0]!.params).toMatchObject({ ConferenceName: 'xfer-1', CallUUID: call.sid });
    expect(conf[0]!.params['ConferenceUUID']).toBe(conf[1]!.params['ConferenceUUID']);
    const progress = app.to('/progress');
    expect(progress.map((r) => r.params['CallStatus'])).toEqual(['ringing', 'completed']);
    expect(progress[0]!.params['RequestUUID']).toBe(body['request_uuid']);
    expect(app.to('/human')[0]!.params).toMatchObject({
      Direction: 'outbound',
      CallStatus: 'in-progress',
      From: '14155550100',
      To: '14155550111',
    });
  });

  it('REST: the member list, mute, kick, and hanging up the conference', async () => {
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => sim.plivo.conference('xfer-1')?.members.size === 1, 5000);
    const got = await rest('GET', 'Conference/xfer-1/');
    expect(got.status).toBe(200);
    const conf = (await got.json()) as {
      members: Array<Record<string, unknown>>;
      conference_member_count: string;
    };
    expect(conf.conference_member_count).toBe('1');
    expect(conf.members[0]).toMatchObject({ call_uuid: call.sid, muted: false, from: '14155557777' });
    const memberId = String(conf.members[0]!['member_id']);
    expect((await rest('POST', `Conference/xfer-1/Member/${memberId}/Mute/`, {})).status).toBe(202);
    expect(sim.plivo.conference('xfer-1')?.members.get(memberId)?.muted).toBe(true);
    expect((await rest('POST', 'Conference/xfer-1/Member/999/Kick/', {})).status).toBe(404);
    expect((await rest('POST', `Conference/xfer-1/Member/${memberId}/Kick/`, {})).status).toBe(202);
    // Kicked: the caller's document goes on after <Conference>.
    await sim.waitFor(() => call.heard.first('say'), 5000);
    expect((await rest('GET', 'Conference/xfer-1/')).status).toBe(404);
    expect((await rest('DELETE', 'Conference/xfer-1/')).status).toBe(404);
  });

  it('DELETE /Conference/{name}/ ends it for every member', async () => {
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => sim.plivo.conference('xfer-1')?.members.size === 1, 5000);
    const res = await rest('DELETE', 'Conference/xfer-1/');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ message: 'conference hung up' });
    await sim.waitFor(() => call.heard.first('say'), 5000);
  });

  it('a waitSound that is not Plivo XML leaves the caller waiting in silence, logged', async () => {
    app.route('/hold', () => ({ contentType: 'audio/mpeg', body: 'ID3…' }));
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => sim.plivo.conference('xfer-1')?.members.size === 1, 5000);
    await sim.waitFor(() => sim.log.forCall(call.sid).entries.some((e) => e.type === 'markup.error'));
    expect(call.heard.from('hold')).toHaveLength(0);
  });

  it("the waiting caller hears the waitSound's own file, looped without a gap, until the conference starts", async () => {
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => call.heard.bytes('hold') >= 2.5 * 8000, 10_000);
    const once = pcm16ToMulaw(MUSIC_PCM);
    const heard = call.heard.audio('hold');
    expect(heard.subarray(0, once.length).equals(once)).toBe(true);
    expect(heard.subarray(once.length, 2 * once.length).equals(once)).toBe(true);
    expect(call.heard.from('hold')).toHaveLength(1);
    // The log names the file by its size, not its bytes.
    expect(sim.log.ofType('webhook.sent').find((e) => e.kind === 'play')?.body).toBe(
      `<${MUSIC.length} bytes of audio/wav>`,
    );
    // The human starts the conference: the music stops, the two hear each other.
    sim.network.addHuman(HUMAN, { type: 'answer', speak: { type: 'tone', hz: 660 }, speakAfterMs: 0 });
    await rest('POST', 'Call/', { from: '14155550100', to: '14155550111', answer_url: `${app.url}/human` });
    await sim.waitFor(() => call.heard.first('party:'), 8000);
    const holdEnd = call.heard.last('hold')!.endMs;
    expect(holdEnd).toBeLessThanOrEqual(call.heard.first('party:')!.startMs);
    const at = sim.clock.nowMs();
    await sim.waitFor(() => sim.clock.nowMs() >= at + 2000, 5000);
    expect(call.heard.last('hold')!.endMs).toBe(holdEnd);
  });

  it('the waitSound plays as written, once: a file without loop="0" ends, then silence (Plivo has no music of its own)', async () => {
    app.route(
      '/hold',
      `<Response><Play>${app.url}/music.wav</Play><Wait length="2"/><Speak>Still there?</Speak></Response>`,
    );
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => call.heard.from('hold').find((s) => s.text === 'Still there?'), 10_000);
    const [music, speak] = call.heard.from('hold');
    expect(music).toMatchObject({ url: `${app.url}/music.wav`, frames: 50 });
    expect(speak!.startMs - music!.endMs).toBeGreaterThanOrEqual(2000);
    const at = sim.clock.nowMs();
    await sim.waitFor(() => sim.clock.nowMs() >= at + 3000, 5000);
    expect(call.heard.from('hold')).toHaveLength(2);
  });

  it('a <Play> that cannot be fetched or is no audio file is skipped, and <Wait> is silence: the caller hears nothing', async () => {
    app.route(
      '/hold',
      `<Response><Play loop="0">http://127.0.0.1:1/gone.wav</Play><Play>${app.url}/page</Play><Play>${app.url}/fake.wav</Play><Play>${app.url}/missing.wav</Play><Wait length="5"/></Response>`,
    );
    app.route('/page', () => ({ contentType: 'text/html', body: MUSIC }));
    app.route('/fake.wav', () => ({ contentType: 'audio/wav', body: 'not a wav file' }));
    app.route('/missing.wav', () => ({ status: 404, body: 'not found' }));
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => sim.plivo.conference('xfer-1')?.members.size === 1, 5000);
    const at = sim.clock.nowMs();
    await sim.waitFor(() => sim.clock.nowMs() >= at + 6000, 10_000);
    expect(call.heard.from('hold')).toHaveLength(0);
    const errors = sim.log
      .forCall(call.sid)
      .entries.filter((e) => e.type === 'markup.error')
      .map((e) => ('message' in e ? String(e.message) : ''));
    expect(errors).toHaveLength(4);
    expect(errors.every((m) => m.startsWith('waitSound: <Play>'))).toBe(true);
  });

  it('the caller hanging up while the waitSound is fetched is no markup error (nobody hears one)', async () => {
    const slow = sim.faults.add({ type: 'webhook.slow', match: { kind: 'wait' }, delayMs: 2_000 });
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await sim.waitFor(() => slow.hits === 1, 5000);
    call.hangup();
    await call.ended;
    const at = sim.clock.nowMs();
    await sim.waitFor(() => sim.clock.nowMs() >= at + 3000, 5000);
    expect(sim.log.forCall(call.sid).entries.filter((e) => e.type === 'markup.error')).toEqual([]);
  });
});
