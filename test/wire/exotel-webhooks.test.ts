import { describe, expect, it } from 'vitest';
import {
  callbackSignature,
  verifyExotelMediaUpgrade,
  verifyExotelWebhook,
} from '../../providers/exotel/auth.js';
import { answerWithStream, dialCold, fitExotelAnswer, hangup } from '../../providers/exotel/markup.js';
import { buildCallbackUrl, buildMediaUrl, EXOTEL_ROUTES } from '../../providers/exotel/routes.js';
import { parseExotelWebhook } from '../../providers/exotel/webhooks.js';
import type { WebhookRequest, WebhookRoute } from '../../providers/types.js';
import { WebhookError } from '../../providers/types.js';

/**
 * Exotel's requests (protocols.md §4.5–§4.7) parsed into carrier events, the shared-secret
 * authentication, and the daemon's decisions fitted to each applet of the flow.
 */

const SECRET = 'wire-webhook-secret-0123456';
const CALL = 'a'.repeat(32);
const DIAL = 'b'.repeat(32);
const PUBLIC = 'https://pt.example.com';
const route = (path: string): WebhookRoute => EXOTEL_ROUTES.webhooks.find((r) => r.path === path)!;

const details = {
  CallSid: CALL,
  CallFrom: '09999000111',
  CallTo: '08047491899',
  Direction: 'incoming',
  CurrentTime: '2026-03-02 10:48:40',
};

describe('exotel webhooks: parsing', () => {
  it('the Voicebot, the Passthru next and "dial whom" ask for a call: call.incoming', () => {
    for (const path of ['/exotel/voice', '/exotel/next', '/exotel/dial-up']) {
      expect(route(path).kind).toBe('voice');
    }
    expect(parseExotelWebhook('voice', {}, details)).toEqual({
      type: 'call.incoming',
      dedupeKey: `exotel:incoming:${CALL}`,
      carrierCallId: CALL,
      from: '09999000111',
      to: '08047491899',
      direction: 'inbound',
    });
    // Dial details Exotel repeats on later applets are not read there.
    expect(parseExotelWebhook('voice', {}, { ...details, DialCallStatus: 'busy' })).toMatchObject({
      type: 'call.incoming',
    });
  });

  it('the Passthru after a dial: leg.ended for the current dial (no leg id), keyed by the dialed leg', () => {
    const event = parseExotelWebhook(
      'dial-action',
      {},
      { ...details, DialCallStatus: 'busy', DialCallSid: DIAL },
    );
    expect(event).toEqual({
      type: 'leg.ended',
      dedupeKey: `exotel:dial:${CALL}:${DIAL}:ended`,
      callId: CALL,
      carrierCallId: DIAL,
      status: 'busy',
    });
    expect(parseExotelWebhook('dial-action', {}, { ...details, DialCallStatus: 'no-answer' })).toMatchObject({
      status: 'no_answer',
      dedupeKey: `exotel:dial:${CALL}:-:ended`,
    });
    expect(parseExotelWebhook('dial-action', {}, { ...details, DialCallStatus: '' })).toMatchObject({
      status: 'failed',
    });
    expect(parseExotelWebhook('dial-action', {}, details)).toMatchObject({
      type: 'stream.continuation',
      callId: CALL,
    });
  });

  it('Connect applet events: ringing, answered, ended for the current dial; Terminal with the caller gone is call.status', () => {
    const event = (extra: Record<string, string>) =>
      parseExotelWebhook(
        'status',
        { CallSid: CALL, DialCallSid: DIAL, DialWhomNumber: '+919900000003', ...extra },
        {},
      );
    expect(event({ EventType: 'Dial' })).toMatchObject({
      type: 'leg.dialed',
      carrierCallId: DIAL,
      callId: CALL,
    });
    expect(event({ EventType: 'Ringing' })).toEqual({
      type: 'leg.ringing',
      dedupeKey: `exotel:dial:${CALL}:${DIAL}:ringing`,
      callId: CALL,
      carrierCallId: DIAL,
    });
    expect(event({ EventType: 'Answered' })).toMatchObject({ type: 'leg.answered', carrierCallId: DIAL });
    expect(event({ EventType: 'Terminal', Status: 'no-answer', CallStatus: 'in-progress' })).toMatchObject({
      type: 'leg.ended',
      status: 'no_answer',
      dedupeKey: `exotel:dial:${CALL}:${DIAL}:ended`,
    });
    expect(event({ EventType: 'Terminal', Status: 'canceled', CallStatus: 'completed' })).toEqual({
      type: 'call.status',
      dedupeKey: `exotel:call:${CALL}:completed`,
      carrierCallId: CALL,
      callId: CALL,
      status: 'completed',
    });
    expect(parseExotelWebhook('status', { CallSid: CALL, EventType: 'Answered' }, {})).toMatchObject({
      field: 'DialCallSid',
    });
  });

  it('StatusCallback (§4.5): the call’s own status, or a leg the daemon placed when its URL names it', () => {
    const body = {
      CallSid: CALL,
      Status: 'completed',
      EventType: 'terminal',
      ConversationDuration: '41',
      Legs: '[]',
    };
    expect(parseExotelWebhook('status', body, {})).toEqual({
      type: 'call.status',
      dedupeKey: `exotel:call:${CALL}:completed`,
      carrierCallId: CALL,
      status: 'completed',
      durationSec: 41,
    });
    const ids = { callId: 'call-1', transferId: 'xfer-1', legId: 'xfer-1:0' };
    expect(
      parseExotelWebhook('status', { CallSid: DIAL, Status: 'in-progress', EventType: 'answered' }, ids),
    ).toMatchObject({
      type: 'leg.answered',
      ...ids,
      carrierCallId: DIAL,
    });
    expect(parseExotelWebhook('status', { CallSid: DIAL, Status: 'failed' }, ids)).toMatchObject({
      type: 'leg.ended',
      status: 'failed',
    });
  });

  it('names the offending field and never echoes it; conference is not an Exotel webhook', () => {
    const bad = parseExotelWebhook('voice', {}, { ...details, CallSid: '+919900000003' });
    expect(bad).toBeInstanceOf(WebhookError);
    expect((bad as WebhookError).field).toBe('CallSid');
    expect((bad as WebhookError).message).not.toContain('9900000003');
    expect(parseExotelWebhook('voice', {}, { CallSid: CALL })).toMatchObject({ field: 'CallFrom' });
    expect(parseExotelWebhook('status', { CallSid: CALL, Status: 'weird' }, {})).toMatchObject({
      field: 'Status',
    });
    expect(parseExotelWebhook('conference', {}, {})).toBeInstanceOf(WebhookError);
  });
});

describe('exotel webhooks: the shared secret', () => {
  const request = (url: string, headers: Record<string, string> = {}): WebhookRequest => ({
    method: 'GET',
    url,
    headers,
    rawBody: '',
    params: {},
  });
  const basic = (secret: string) => ({
    authorization: `Basic ${Buffer.from(`exotel:${secret}`).toString('base64')}`,
  });

  it('Basic auth or a secret query parameter; nothing else', () => {
    const url = `${PUBLIC}/exotel/voice?CallSid=${CALL}`;
    expect(verifyExotelWebhook(SECRET, request(url, basic(SECRET)))).toBe(true);
    expect(verifyExotelWebhook(SECRET, request(`${url}&secret=${SECRET}`))).toBe(true);
    expect(verifyExotelWebhook(SECRET, request(url))).toBe(false);
    expect(verifyExotelWebhook(SECRET, request(url, basic('x')))).toBe(false);
    expect(verifyExotelWebhook(SECRET, request(`${url}&secret=${SECRET}x`))).toBe(false);
    expect(verifyExotelWebhook(SECRET, request('not a url', basic(SECRET)))).toBe(false);
  });

  it('callback URLs the daemon builds carry the secret as userinfo and sig over their ids', () => {
    const built = new URL(
      buildCallbackUrl(PUBLIC, SECRET, 'status', { callId: 'c1', transferId: 't1', legId: 't1:0' }),
    );
    expect(built.username).toBe('exotel');
    expect(built.password).toBe(SECRET);
    expect(built.searchParams.get('sig')).toBe(
      callbackSignature(SECRET, '/exotel/status', built.searchParams),
    );
    built.username = '';
    built.password = '';
    // What the HTTP layer sees: the public URL with Exotel's own parameters appended.
    const seen = `${built.toString()}&CallSid=${CALL}`;
    expect(verifyExotelWebhook(SECRET, request(seen, basic(SECRET)))).toBe(true);
    expect(
      verifyExotelWebhook(SECRET, request(seen.replace('legId=t1%3A0', 'legId=t1%3A1'), basic(SECRET))),
    ).toBe(false);
    expect(verifyExotelWebhook(SECRET, request(seen.replace(/&sig=[^&]+/, ''), basic(SECRET)))).toBe(false);
  });

  it('the media upgrade needs the secret as Basic auth (the stream URL carries it as userinfo)', () => {
    const media = new URL(buildMediaUrl(PUBLIC, SECRET));
    expect(media.protocol).toBe('wss:');
    expect(media.password).toBe(SECRET);
    expect(verifyExotelMediaUpgrade(SECRET, { url: `${PUBLIC}/exotel/media`, headers: basic(SECRET) })).toBe(
      true,
    );
    expect(
      verifyExotelMediaUpgrade(SECRET, { url: `${PUBLIC}/exotel/media?secret=${SECRET}`, headers: {} }),
    ).toBe(false);
  });
});

describe('exotel answers, fitted to the applet that asks', () => {
  const req = (headers: Record<string, string> = {}): WebhookRequest => ({
    method: 'GET',
    url: `${PUBLIC}/x`,
    headers,
    rawBody: '',
    params: {},
  });
  const stream = answerWithStream({
    streamUrl: buildMediaUrl(PUBLIC, SECRET),
    parameters: { callId: CALL, mediaToken: 'token' },
    continuationUrl: `${PUBLIC}/unused`,
  });
  const dial = dialCold({
    to: '+919900000003',
    callerId: '08047491899',
    timeoutSec: 10,
    actionUrl: `${PUBLIC}/a`,
    statusCallbackUrl: `${PUBLIC}/s`,
    continuationUrl: `${PUBLIC}/c`,
  });
  const warm = dialCold({
    to: '+919900000003',
    callerId: '08047491899',
    timeoutSec: 15,
    actionUrl: `${PUBLIC}/a`,
    statusCallbackUrl: `${PUBLIC}/s`,
    continuationUrl: `${PUBLIC}/c`,
    whisper: 'Billing question',
    hold: {},
  });
  const bye = hangup();

  it('Voicebot: the stream URL with the custom parameters; anything else is refused', () => {
    const answer = fitExotelAnswer(route('/exotel/voice'), req(), stream);
    expect(answer.status ?? 200).toBe(200);
    const url = new URL((JSON.parse(answer.body) as { url: string }).url);
    expect(url.pathname).toBe('/exotel/media');
    expect(Object.fromEntries(url.searchParams)).toEqual({ callId: CALL, mediaToken: 'token' });
    expect(fitExotelAnswer(route('/exotel/voice'), req(), dial).status).toBe(409);
  });

  it('Passthru next: 200 to the Connect applet, 302 to Hangup', () => {
    expect(fitExotelAnswer(route('/exotel/next'), req(), dial).status).toBe(200);
    expect(fitExotelAnswer(route('/exotel/next'), req(), stream).status).toBe(200);
    expect(fitExotelAnswer(route('/exotel/next'), req(), bye).status).toBe(302);
  });

  it('Passthru dial-action: 200 back to the Voicebot, 302 to the Passthru next', () => {
    expect(fitExotelAnswer(route('/exotel/dial-action'), req(), stream).status).toBe(200);
    expect(fitExotelAnswer(route('/exotel/dial-action'), req(), dial).status).toBe(302);
    expect(fitExotelAnswer(route('/exotel/dial-action'), req(), bye).status).toBe(302);
  });

  it('dial whom: the number as plain text (seed 003), or Programmable Connect JSON; otherwise no number', () => {
    const text = fitExotelAnswer(route('/exotel/dial-up'), req(), dial);
    expect(text).toEqual({ contentType: 'text/plain', body: '+919900000003' });
    expect(fitExotelAnswer(route('/exotel/dial-up'), req(), stream).body).toBe('');
    const json = fitExotelAnswer(route('/exotel/dial-up'), req({ 'exotel-version': '1.0' }), warm);
    expect(json.contentType).toBe('application/json');
    expect(JSON.parse(json.body)).toMatchObject({
      destination: { numbers: ['+919900000003'] },
      outgoing_phone_number: '08047491899',
      max_ringing_duration: 15,
      music_on_hold: { type: 'default_tone' },
      start_call_playback: { playback_to: 'callee', type: 'text', value: 'Billing question' },
    });
    expect(
      JSON.parse(fitExotelAnswer(route('/exotel/dial-up'), req({ 'exotel-version': '1.0' }), dial).body),
    ).not.toHaveProperty('music_on_hold');
    expect(
      JSON.parse(fitExotelAnswer(route('/exotel/dial-up'), req({ 'exotel-version': '1.0' }), bye).body),
    ).toEqual({
      destination: { numbers: [] },
    });
  });

  it('more than 3 custom parameters cannot go to Exotel', () => {
    expect(() =>
      answerWithStream({
        streamUrl: buildMediaUrl(PUBLIC, SECRET),
        parameters: { a: '1', b: '2', c: '3', d: '4' },
        continuationUrl: `${PUBLIC}/c`,
      }),
    ).toThrow(expect.objectContaining({ code: 'exotel_custom_parameters' }));
  });
});
