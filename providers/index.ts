import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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

const MEDIA_TOKEN_CONTEXT = 'patchthrough.media.v2:';

/**
 * A media token for one instruction document of one call: `nonce.mac`, where the nonce is 12
 * random bytes and the mac an HMAC-SHA256 of the call id and the nonce under the daemon's secret
 * (base64url, 16 + 1 + 43 characters). Every document gets a fresh nonce, so the runtime can
 * admit each token once ({@link mediaTokenNonce} is the key it claims): a replayed token cannot
 * take over a live call's stream.
 */
export function mediaToken(callId: string, secret: string, nonce?: string): string {
  const n = nonce ?? randomBytes(12).toString('base64url');
  return `${n}.${tokenMac(callId, n, secret)}`;
}

function tokenMac(callId: string, nonce: string, secret: string): string {
  return createHmac('sha256', secret)
    .update(`${MEDIA_TOKEN_CONTEXT}${callId}:${nonce}`, 'utf8')
    .digest('base64url');
}

/** Constant-time check that `token` was issued for `callId`; a missing or malformed token is refused. */
export function verifyMediaToken(callId: string, token: string | undefined, secret: string): boolean {
  const nonce = mediaTokenNonce(token);
  if (token === undefined || nonce === undefined) return false;
  const expected = Buffer.from(`${nonce}.${tokenMac(callId, nonce, secret)}`);
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The token's nonce (what makes it single-use), or undefined when it is not `nonce.mac`. */
export function mediaTokenNonce(token: string | undefined): string | undefined {
  const match = /^([A-Za-z0-9_-]{16})\.[A-Za-z0-9_-]{43}$/.exec(token ?? '');
  return match?.[1];
}
