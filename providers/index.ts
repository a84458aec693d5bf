import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Carrier } from '../src/domain/carrier.js';
import { exotelAdapterFactory } from './exotel/adapter.js';
import { plivoAdapterFactory } from './plivo/adapter.js';
import { twilioAdapterFactory } from './twilio/adapter.js';
import type { CarrierAdapterFactory } from './types.js';

export * from './types.js';

/**
 * Every carrier the daemon speaks, one line each (STYLE.md 4). Adding a carrier: a folder under
 * providers/ and a line here — no other file names a carrier.
 */
export const CARRIER_ADAPTERS: readonly CarrierAdapterFactory[] = Object.freeze([
  twilioAdapterFactory,
  plivoAdapterFactory,
  exotelAdapterFactory,
]);

export function adapterFactoryFor(carrier: Carrier): CarrierAdapterFactory | undefined {
  return CARRIER_ADAPTERS.find((factory) => factory.carrier === carrier);
}

/**
 * The stream parameter (Twilio `<Parameter>`, echoed in `start.customParameters`) that carries
 * the per-call media token. A media socket whose `start` lacks a valid token for its call is
 * refused, so a forged socket cannot listen to or speak into a call.
 */
export const MEDIA_TOKEN_PARAMETER = 'mediaToken';

const MEDIA_TOKEN_CONTEXT = 'patchthrough.media.v1:';

/** HMAC-SHA256 of the call id under the daemon's secret, base64url (43 characters). */
export function mediaToken(callId: string, secret: string): string {
  return createHmac('sha256', secret)
    .update(MEDIA_TOKEN_CONTEXT + callId, 'utf8')
    .digest('base64url');
}

/** Constant-time check of a token from a stream's `start`; a missing token is refused. */
export function verifyMediaToken(callId: string, token: string | undefined, secret: string): boolean {
  if (token === undefined) return false;
  const expected = Buffer.from(mediaToken(callId, secret));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
