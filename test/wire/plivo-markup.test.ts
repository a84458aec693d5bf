import { describe, expect, it } from 'vitest';
import { mediaToken } from '../../providers/index.js';
import { createPlivoAdapter } from '../../providers/plivo/adapter.js';
import { decodeExtraHeaders, encodeExtraHeaders } from '../../providers/plivo/extra-headers.js';
import { plivoMarkup, waitSoundXml } from '../../providers/plivo/markup.js';
import { buildCallbackUrl, buildMediaUrl } from '../../providers/plivo/routes.js';
import { parsePlivoXml } from '../../sim/carriers/plivo/xml.js';

/**
 * The Plivo XML the daemon answers with (protocols.md §3.2, §3.5, §3.6), built by plivo-node's
 * `Response`: exact documents, each one well-formed Plivo XML the simulator accepts, and the
 * continuation at the end of every document that hosts a stream (invariant 1).
 */

const PUBLIC = 'https://pt.example.com';
const CALL = '0d7f0c52-5a8e-4a3f-9f7e-3b1b1b0c0001';
const TRANSFER = `${CALL}.t1`;
const LEG = `${TRANSFER}:0`;
const continuation = buildCallbackUrl(PUBLIC, 'voice', { callId: CALL, seq: 3 });
const esc = (s: string) => s.replaceAll('&', '&amp;');

describe('Plivo markup', () => {
  it('answer: a bidirectional μ-law stream kept alive, per-call parameters in extraHeaders, then the Redirect', () => {
    const token = mediaToken(CALL, 'secret');
    const doc = plivoMarkup.answerWithStream({
      streamUrl: buildMediaUrl(PUBLIC),
      parameters: { callId: CALL, mediaToken: token },
      continuationUrl: continuation,
    });
    expect(doc.contentType).toBe('text/xml');
    const extra = encodeExtraHeaders({ callId: CALL, mediaToken: token });
    expect(doc.body).toBe(
      '<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000" ' +
        `extraHeaders="${extra}">wss://pt.example.com/plivo/media</Stream>` +
        `<Redirect method="POST">${esc(continuation)}</Redirect></Response>`,
    );
    expect(extra).toMatch(/^[A-Za-z0-9]+=[A-Za-z0-9]+(,[A-Za-z0-9]+=[A-Za-z0-9]+)*$/);
    expect(Buffer.byteLength(extra)).toBeLessThanOrEqual(512);
    expect(decodeExtraHeaders(extra)).toEqual({ callId: CALL, mediaToken: token });
    expect(decodeExtraHeaders(extra.replace(',', ';'))).toEqual({ callId: CALL, mediaToken: token });
    expect(parsePlivoXml(doc.body).children.map((c) => c.name)).toEqual(['Stream', 'Redirect']);
  });

  it('cold dial: seed 003 /plivo/dial-up — Dial callerId timeout action callbackUrl, Number without +, then the Redirect', () => {
    const ids = { callId: CALL, transferId: TRANSFER, legId: LEG };
    const doc = plivoMarkup.dialCold({
      to: '+14155550111',
      callerId: '+14155559999',
      timeoutSec: 10,
      actionUrl: buildCallbackUrl(PUBLIC, 'dial-action', ids),
      statusCallbackUrl: buildCallbackUrl(PUBLIC, 'status', ids),
      continuationUrl: continuation,
    });
    expect(doc.body).toBe(
      `<Response><Dial callerId="14155559999" timeout="10" action="${esc(buildCallbackUrl(PUBLIC, 'dial-action', ids))}" method="POST" redirect="true" ` +
        `callbackUrl="${esc(buildCallbackUrl(PUBLIC, 'status', ids))}" callbackMethod="POST"><Number>14155550111</Number></Dial>` +
        `<Redirect method="POST">${esc(continuation)}</Redirect></Response>`,
    );
    const sip = plivoMarkup.dialCold({
      to: 'sip:agent@pbx.example.com',
      callerId: '+14155559999',
      timeoutSec: 10,
      actionUrl: continuation,
      statusCallbackUrl: continuation,
      continuationUrl: continuation,
    });
    expect(sip.body).toContain('<User>sip:agent@pbx.example.com</User>');
    // `sendDigits`: on the <Number>, keyed once the B-leg answered.
    const keyed = plivoMarkup.dialCold({
      to: '+14155550111',
      callerId: '+14155559999',
      timeoutSec: 10,
      actionUrl: continuation,
      statusCallbackUrl: continuation,
      continuationUrl: continuation,
      sendDigits: 'ww123#',
    });
    expect(keyed.body).toContain('<Number sendDigits="ww123#">14155550111</Number>');
    expect(parsePlivoXml(sip.body).children.map((c) => c.name)).toEqual(['Dial', 'Redirect']);
  });

  it('warm hold: the caller waits (startConferenceOnEnter=false), ends the room on exit, waitSound, labelled callback, then the Redirect', () => {
    const cb = buildCallbackUrl(PUBLIC, 'conference', { callId: CALL, transferId: TRANSFER });
    const doc = plivoMarkup.conferenceHold({
      room: 'xfer-1',
      holdAudioUrl: 'https://cdn.example.com/hold.xml',
      statusCallbackUrl: cb,
      continuationUrl: continuation,
      label: 'caller',
    });
    expect(doc.body).toBe(
      '<Response><Conference startConferenceOnEnter="false" endConferenceOnExit="true" beep="false" enterSound="" exitSound="" ' +
        `waitSound="https://cdn.example.com/hold.xml" callbackUrl="${esc(`${cb}&label=caller`)}" callbackMethod="POST">xfer-1</Conference>` +
        `<Redirect method="POST">${esc(continuation)}</Redirect></Response>`,
    );
    expect(
      plivoMarkup.conferenceHold({ room: 'r', statusCallbackUrl: cb, continuationUrl: continuation }).body,
    ).not.toContain('waitSound');
  });

  it("the adapter's warm hold with no holdAudio plays the daemon's own waitSound, on its public URL (path prefix kept)", () => {
    const adapter = createPlivoAdapter({
      publicUrl: 'https://pt.example.com/pt/',
      authId: 'MA1234567890ABCDEFGH',
      authToken: 'token',
    });
    const cb = adapter.callbackUrl('conference', { callId: CALL, transferId: TRANSFER });
    const hold = (holdAudioUrl?: string) =>
      parsePlivoXml(
        adapter.markup.conferenceHold({
          room: 'xfer-1',
          statusCallbackUrl: cb,
          continuationUrl: continuation,
          ...(holdAudioUrl === undefined ? {} : { holdAudioUrl }),
        }).body,
      ).children[0]?.attributes['waitSound'];
    expect(hold()).toBe('https://pt.example.com/pt/plivo/hold');
    expect(hold('https://cdn.example.com/hold.xml')).toBe('https://cdn.example.com/hold.xml');
    expect(adapter.assets?.map((a) => [a.method, a.path, a.signed, a.contentType])).toEqual([
      ['POST', '/plivo/hold', true, 'text/xml'],
      ['GET', '/plivo/hold.wav', false, 'audio/wav'],
    ]);
    expect(adapter.assets?.[0]?.body).toBe(
      '<Response><Play loop="0">https://pt.example.com/pt/plivo/hold.wav</Play></Response>',
    );
  });

  it('the default waitSound: only a <Play> that loops until the conference starts', () => {
    const doc = parsePlivoXml(waitSoundXml('https://pt.example.com/plivo/hold.wav').body);
    expect(doc.children.map((c) => [c.name, c.attributes['loop'], c.text])).toEqual([
      ['Play', '0', 'https://pt.example.com/plivo/hold.wav'],
    ]);
  });

  it('whisper then join: Speak to the human only, then the conference they start; an empty whisper is left out', () => {
    const cb = buildCallbackUrl(PUBLIC, 'conference', { callId: CALL, transferId: TRANSFER });
    const doc = plivoMarkup.whisperThenJoin({
      text: 'Refund for order <1234> & more',
      room: 'xfer-1',
      label: LEG,
      statusCallbackUrl: cb,
    });
    const root = parsePlivoXml(doc.body);
    expect(root.children.map((c) => c.name)).toEqual(['Speak', 'Conference']);
    expect(root.children[0]?.text).toBe('Refund for order <1234> & more');
    expect(root.children[1]?.attributes).toMatchObject({
      startConferenceOnEnter: 'true',
      endConferenceOnExit: 'true',
    });
    expect(new URL(root.children[1]?.attributes['callbackUrl'] ?? '').searchParams.get('label')).toBe(LEG);
    expect(
      parsePlivoXml(plivoMarkup.whisperThenJoin({ text: '  ', room: 'r' }).body).children.map((c) => c.name),
    ).toEqual(['Conference']);
  });

  it('hangup', () => {
    expect(plivoMarkup.hangup().body).toBe('<Response><Hangup/></Response>');
  });

  it('wait, then ask again (never a trailing wait)', () => {
    expect(
      plivoMarkup.pauseThenAsk?.({ seconds: 1, continuationUrl: 'https://pt.test/plivo/voice?seq=3' }).body,
    ).toBe(
      '<Response><Wait length="1"/><Redirect method="POST">https://pt.test/plivo/voice?seq=3</Redirect></Response>',
    );
  });

  it('refuses stream parameter names Plivo would not carry', () => {
    expect(() => encodeExtraHeaders({ 'call-id': 'x' })).toThrow(
      expect.objectContaining({ code: 'stream_parameters_invalid' }),
    );
    expect(() => encodeExtraHeaders({ big: 'x'.repeat(300) })).toThrow(
      expect.objectContaining({ code: 'stream_parameters_invalid' }),
    );
  });
});
