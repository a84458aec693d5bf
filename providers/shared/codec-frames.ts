import type { InboundMediaEvent } from '../../src/domain/media.js';
import { CodecError } from '../types.js';

/**
 * Hand-written checks every carrier's media codec shares (frames arrive 10-50 times a second per
 * call, so no schema). Pure, like the codecs (STYLE.md 5). Field names and formats stay with each
 * carrier.
 */

export type Json = Record<string, unknown>;

/** A string of decimal digits, any length. */
export const DIGITS = /^\d+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DTMF_DIGIT = /^[0-9*#A-Da-d]$/;

/** One JSON text frame and its `event` name, or what is wrong with it. */
export function parseFrame(frame: string): { message: Json; event: string } | CodecError {
  let message: unknown;
  try {
    message = JSON.parse(frame);
  } catch {
    return new CodecError('frame', 'frame is not JSON');
  }
  if (!isObject(message)) return new CodecError('frame', 'frame is not a JSON object');
  const event = message['event'];
  if (typeof event !== 'string') return new CodecError('event', 'event is missing');
  return { message, event };
}

/** A base64 `media.payload`, decoded. */
export function decodePayload(payload: unknown): Buffer | CodecError {
  if (typeof payload !== 'string' || payload.length % 4 !== 0 || !BASE64.test(payload)) {
    return new CodecError('media.payload', 'media.payload is not base64');
  }
  return Buffer.from(payload, 'base64');
}

/**
 * A stream that carries the inbound track only: `undefined` when `track` is the caller's (or
 * absent), `null` for the outbound track (not the caller), an error for anything else.
 */
export function otherTrack(track: unknown): CodecError | null | undefined {
  if (track === undefined || track === 'inbound') return undefined;
  return track === 'outbound'
    ? null
    : new CodecError('media.track', 'media.track is not inbound or outbound');
}

/** `{ "event": "dtmf", "dtmf": { "digit": "5" } }`. */
export function decodeDtmf(message: Json): InboundMediaEvent | CodecError {
  const digit = field(message, 'dtmf', 'digit');
  if (typeof digit !== 'string' || !DTMF_DIGIT.test(digit)) {
    return new CodecError('dtmf.digit', 'dtmf.digit is not a DTMF digit');
  }
  return { type: 'dtmf', digit };
}

/** `{ "event": "mark", "mark": { "name": "…" } }`: the echo of a mark the daemon sent. */
export function decodeMark(message: Json): InboundMediaEvent | CodecError {
  const name = field(message, 'mark', 'name');
  if (typeof name !== 'string') return new CodecError('mark.name', 'mark.name is not a string');
  return { type: 'mark', name };
}

/** A string-valued custom parameters object (`at` names it in errors), or what is wrong with it. */
export function decodeCustomParameters(raw: unknown, at: string): Record<string, string> | CodecError {
  if (!isObject(raw)) return new CodecError(at, `${at} is not an object`);
  const customParameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      return new CodecError(`${at}.${name}`, 'a custom parameter is not a string');
    }
    customParameters[name] = value;
  }
  return customParameters;
}

export function field(message: Json, object: string, name: string): unknown {
  const inner = message[object];
  return isObject(inner) ? inner[name] : undefined;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
