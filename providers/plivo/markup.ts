// plivo-node's XML builder alone: the package's entry point loads the whole REST client with it
// (axios, lodash and every resource: ~8 MB more of every worker's heap, for a class it wraps).
import { Response as PlivoXmlResponse } from 'plivo/dist/utils/plivoxml.js';
import type {
  CarrierMarkup,
  ConferenceHoldOptions,
  DialColdOptions,
  Markup,
  PauseThenAskOptions,
  StreamMarkupOptions,
  WhisperOptions,
} from '../types.js';
import { toPlivoAddress } from './addresses.js';
import { encodeExtraHeaders } from './extra-headers.js';
import { withLabel } from './routes.js';

/**
 * Plivo XML built with plivo-node's own `Response` builder (protocols.md §3.2, §3.5), so element
 * and attribute names are checked by Plivo's list and text is escaped by its XML writer.
 *
 * Invariant 1 (DESIGN.md): every document that hosts a stream — or that the caller could run off
 * the end of — ends with `<Redirect>` back to the daemon. The stream is `keepCallAlive="true"`:
 * Plivo runs the next element only once the stream has disconnected (without it, Plivo would run
 * the `<Redirect>` at once while the stream forks off).
 */

/** The part of plivo-node's XML builder used here (its typings declare `Response` as a function). */
interface XmlDial {
  addNumber(body: string, attributes?: Record<string, string | number | boolean>): unknown;
  addUser(body: string, attributes?: Record<string, string | number | boolean>): unknown;
}
interface XmlResponse {
  addStream(url: string, attributes: Record<string, string | number | boolean>): unknown;
  addRedirect(url: string, attributes?: Record<string, string>): unknown;
  addDial(attributes: Record<string, string | number | boolean>): XmlDial;
  addConference(room: string, attributes: Record<string, string | number | boolean>): unknown;
  addSpeak(text: string, attributes?: Record<string, string | number | boolean>): unknown;
  addPlay(url: string, attributes?: Record<string, string | number | boolean>): unknown;
  addHangup(attributes?: Record<string, string>): unknown;
  addWait(attributes: Record<string, string | number | boolean>): unknown;
  toXML(): string;
}

const XmlResponse = PlivoXmlResponse as unknown as new () => XmlResponse;

const CONTENT_TYPE = 'text/xml';

/** The only format the daemon asks for: the agents' own (protocols.md §3.3 recommends μ-law). */
export const STREAM_CONTENT_TYPE = 'audio/x-mulaw;rate=8000';

function done(response: XmlResponse): Markup {
  return { contentType: CONTENT_TYPE, body: response.toXML() };
}

function continueAt(response: XmlResponse, continuationUrl: string): void {
  response.addRedirect(continuationUrl, { method: 'POST' });
}

/**
 * `<Stream bidirectional keepCallAlive contentType extraHeaders>` then the `<Redirect>`. The
 * per-call parameters (call id, media token) travel in `extraHeaders` and come back as
 * `extra_headers` in the stream's events (§3.3); the stream URL has no query string.
 */
export function answerWithStream(options: StreamMarkupOptions): Markup {
  const response = new XmlResponse();
  response.addStream(options.streamUrl, {
    bidirectional: true,
    keepCallAlive: true,
    contentType: STREAM_CONTENT_TYPE,
    ...(Object.keys(options.parameters).length === 0
      ? {}
      : { extraHeaders: encodeExtraHeaders(options.parameters) }),
  });
  continueAt(response, options.continuationUrl);
  return done(response);
}

/**
 * Cold transfer, seed 003's `/plivo/dial-up`: `<Dial callerId timeout action><Number>`. Plivo
 * requests `action` with `DialStatus` when the dial ends and runs the XML it returns (`redirect`
 * defaults to true); the B-leg's answer and hang-up go to `callbackUrl` (§3.5). The trailing
 * `<Redirect>` is only reached should Plivo ever continue past `<Dial>`.
 */
export function dialCold(options: DialColdOptions): Markup {
  const response = new XmlResponse();
  if (options.announce !== undefined) response.addSpeak(options.announce);
  const dial = response.addDial({
    callerId: toPlivoAddress(options.callerId),
    timeout: options.timeoutSec,
    action: options.actionUrl,
    method: 'POST',
    redirect: true,
    callbackUrl: options.statusCallbackUrl,
    callbackMethod: 'POST',
  });
  if (options.to.startsWith('sip:')) dial.addUser(options.to);
  // `<Number sendDigits>` (plivo-node): keyed once the B-leg answered.
  else if (options.sendDigits !== undefined)
    dial.addNumber(toPlivoAddress(options.to), { sendDigits: options.sendDigits });
  else dial.addNumber(toPlivoAddress(options.to));
  continueAt(response, options.continuationUrl);
  return done(response);
}

/**
 * Warm transfer, caller side (§3.6): `startConferenceOnEnter="false"` — the caller hears
 * `waitSound` until the human, who starts the conference, arrives; `endConferenceOnExit="true"` —
 * a caller who hangs up ends the room, so no human is briefed into an empty one (invariant 5).
 * `waitSound` must answer with Plivo XML (`<Play>`, `<Speak>`, `<Wait>`); without it the caller
 * waits in silence, so the adapter fills in the daemon's own ({@link plivoMarkupFor}). When the
 * caller leaves the room, the `<Redirect>` asks the daemon.
 */
export function conferenceHold(options: ConferenceHoldOptions): Markup {
  const response = new XmlResponse();
  if (options.announce !== undefined) response.addSpeak(options.announce);
  response.addConference(options.room, {
    startConferenceOnEnter: false,
    endConferenceOnExit: true,
    beep: false,
    enterSound: '',
    exitSound: '',
    ...(options.holdAudioUrl === undefined ? {} : { waitSound: options.holdAudioUrl }),
    callbackUrl: withLabel(options.statusCallbackUrl, options.label ?? 'caller'),
    callbackMethod: 'POST',
  });
  continueAt(response, options.continuationUrl);
  return done(response);
}

/**
 * Warm transfer, human side: `<Speak>` plays to this leg only, then the human joins and starts the
 * conference (§3.6). No stream here, so no continuation: when the room ends, the human's call ends.
 */
export function whisperThenJoin(options: WhisperOptions): Markup {
  const response = new XmlResponse();
  if (options.text.trim().length > 0) response.addSpeak(options.text);
  response.addConference(options.room, {
    startConferenceOnEnter: true,
    // Once the human leaves, the room ends and the caller's call asks what next (a hang-up after
    // a connected transfer) instead of sitting alone in silence.
    endConferenceOnExit: true,
    beep: false,
    enterSound: '',
    exitSound: '',
    ...(options.statusCallbackUrl === undefined
      ? {}
      : {
          callbackUrl:
            options.label === undefined
              ? options.statusCallbackUrl
              : withLabel(options.statusCallbackUrl, options.label),
          callbackMethod: 'POST',
        }),
  });
  return done(response);
}

export function hangup(): Markup {
  const response = new XmlResponse();
  response.addHangup();
  return done(response);
}

/** `<Wait>` then `<Redirect>`: never a trailing wait, the document asks again. */
export function pauseThenAsk(options: PauseThenAskOptions): Markup {
  const response = new XmlResponse();
  response.addWait({ length: options.seconds });
  continueAt(response, options.continuationUrl);
  return done(response);
}

/**
 * What the daemon's default `waitSound` answers: `<Play loop="0">` of its hold music. Plivo
 * fetches `waitSound` with a POST and plays its `<Play>`, `<Speak>` and `<Wait>` elements while
 * the conference has not started; `loop="0"` repeats the file until then (Plivo's `<Play>` takes
 * MP3 and WAV).
 */
export function waitSoundXml(audioUrl: string): Markup {
  const response = new XmlResponse();
  response.addPlay(audioUrl, { loop: 0 });
  return done(response);
}

export const plivoMarkup: CarrierMarkup = Object.freeze({
  answerWithStream,
  pauseThenAsk,
  dialCold,
  conferenceHold,
  whisperThenJoin,
  hangup,
});

/**
 * The adapter's markup: a conference hold with no `holdAudio` gets the daemon's own `waitSound`
 * (Plivo plays no music of its own: the caller would wait in silence).
 */
export function plivoMarkupFor(defaults: { readonly waitSoundUrl: string }): CarrierMarkup {
  return Object.freeze({
    ...plivoMarkup,
    conferenceHold: (options: ConferenceHoldOptions) =>
      conferenceHold({ ...options, holdAudioUrl: options.holdAudioUrl ?? defaults.waitSoundUrl }),
  });
}
