import plivo from 'plivo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/index.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { type AppRequest, TestApp } from './helpers.js';

/**
 * The Plivo front-end's XML interpreter: `<Speak>`, `<Play>`, `<Wait>`, `<Redirect>`,
 * `<Hangup>`, the end of a document, refused documents and `fallback_url`, and the signed
 * `answer_url` / `hangup_url` requests (checked with plivo-node's own `validateV3Signature`).
 */

const AUTH_ID = 'MA1234567890ABCDEFGH';
const TOKEN = 'plivo-test-token';
const NUMBER = '+14155550100';
const CALLER = '+14155557777';

function plivoSigned(req: AppRequest, token = TOKEN): boolean {
  const nonce = req.headers['x-plivo-signature-v3-nonce'];
  const signature = req.headers['x-plivo-signature-v3'];
  if (typeof nonce !== 'string' || typeof signature !== 'string') return false;
  return (
    plivo.validateV3Signature(
      req.method,
      req.url,
      nonce,
      token,
      signature,
      req.method === 'POST' ? req.params : {},
    ) === true
  );
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;

describe('Plivo XML: Speak, Play, Wait, Redirect, Hangup', () => {
  let sim: Simulator;
  let app: TestApp;
  /** The simulator runs on it: rings, speech and waits cost no wall time. */
  let time: VirtualTime;

  beforeEach(async () => {
    time = new VirtualTime();
    sim = await startSimulator({
      plivo: { authId: AUTH_ID, authToken: TOKEN, sayMsPerChar: 5, playDurationMs: 200 },
      time,
    });
    app = await TestApp.start(TOKEN);
    sim.plivo.configureNumber(NUMBER, {
      answerUrl: `${app.url}/answer?tenant=acme`,
      hangupUrl: `${app.url}/hangup`,
    });
    time.start();
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
    time.stop();
  });

  it('runs elements in order, stops at Hangup, and signs answer_url and hangup_url (V3)', async () => {
    app.route(
      '/answer',
      xml(
        '<Speak>welcome</Speak><Wait length="1"/><Play loop="2">https://cdn.example.com/a.mp3</Play><Hangup/><Speak>never</Speak>',
      ),
    );
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    expect(await call.ended).toMatchObject({ status: 'completed', by: 'network' });
    const sources = call.heard.segments.map((s) => s.source);
    expect(sources).toEqual(['say', 'play']);
    expect(call.heard.first('say')?.text).toBe('welcome');
    expect(call.heard.first('play')?.url).toBe('https://cdn.example.com/a.mp3');
    // The Wait ran between the two (and nothing was heard during it).
    expect(
      sim.log.forCall(call.sid).entries.flatMap((e) => (e.type === 'markup.verb' ? [e.verb] : [])),
    ).toEqual(['Speak', 'Wait', 'Play', 'Hangup']);
    expect(call.heard.from('say').every((s) => s.text !== 'never')).toBe(true);
    const answer = app.to('/answer')[0]!;
    expect(answer.method).toBe('POST');
    expect(plivoSigned(answer)).toBe(true);
    expect(answer.params).toMatchObject({
      From: '14155557777',
      To: '14155550100',
      Direction: 'inbound',
      CallStatus: 'ringing',
    });
    expect(answer.params['CallUUID']).toMatch(/^[0-9a-f-]{36}$/);
    expect(call.sid).toBe(answer.params['CallUUID']);
    await sim.waitFor(() => app.to('/hangup').length > 0);
    const hangup = app.to('/hangup')[0]!;
    expect(plivoSigned(hangup)).toBe(true);
    expect(hangup.params).toMatchObject({
      CallUUID: call.sid,
      CallStatus: 'completed',
      HangupCause: 'NORMAL_CLEARING',
      Event: 'Hangup',
    });
    // A forged body does not validate.
    expect(plivoSigned({ ...hangup, params: { ...hangup.params, CallStatus: 'busy' } })).toBe(false);
  });

  it('follows Redirect (relative URLs resolve against the document) and hangs up at the end of a document', async () => {
    app.route(
      '/answer',
      xml('<Speak>one</Speak><Redirect method="POST">/next?step=2</Redirect><Speak>never</Speak>'),
    );
    app.route('/next', xml('<Speak>two</Speak>'));
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await call.ended;
    expect(call.heard.from('say').map((s) => s.text)).toEqual(['one', 'two']);
    const next = app.to('/next')[0]!;
    expect(next.url).toContain('/next?step=2');
    expect(plivoSigned(next)).toBe(true);
    expect(next.params['CallUUID']).toBe(call.sid);
  });

  it('refuses a document with an element Plivo does not know, and malformed XML, by hanging up', async () => {
    app.route('/answer', xml('<Say>twilio words</Say>'));
    const first = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    expect((await first.ended).status).toBe('failed');
    expect(
      sim.log
        .forCall(first.sid)
        .entries.some((e) => e.type === 'markup.error' && e.message.includes('<Say>')),
    ).toBe(true);
    expect(first.heard.segments).toHaveLength(0);
    app.route('/answer', '<Response><Speak>unclosed</Response>');
    const second = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    expect((await second.ended).status).toBe('failed');
  });

  it('fetches fallback_url when answer_url fails', async () => {
    sim.plivo.configureNumber(NUMBER, { answerUrl: `${app.url}/broken`, fallbackUrl: `${app.url}/fallback` });
    app.route('/broken', () => ({ status: 500, body: 'oops' }));
    app.route('/fallback', xml('<Speak>fallback</Speak>'));
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    await call.ended;
    expect(call.heard.first('say')?.text).toBe('fallback');
    expect(plivoSigned(app.to('/fallback')[0]!)).toBe(true);
  });

  it('a scheduled Hangup lets the document go on meanwhile', async () => {
    app.route('/answer', xml('<Hangup schedule="1"/><Speak loop="0">hold the line</Speak>'));
    const call = await sim.network.placeCall({ carrier: 'plivo', from: CALLER, to: NUMBER });
    const end = await call.ended;
    expect(end.status).toBe('completed');
    expect(call.heard.first('say')?.text).toBe('hold the line');
  });
});
