/**
 * Signing of the destination lookup webhook (flowyte's dynamic destination): the daemon signs
 * each POST with `LOOKUP_SIGNING_SECRET`, and a receiver checks it with {@link verifyLookupSignature}
 * (or the same few lines in its own language, docs/configuration.md).
 *
 * - `X-Patchthrough-Timestamp: <unix seconds>`
 * - `X-Patchthrough-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`
 *
 * The timestamp is inside what is signed, so a receiver that refuses timestamps older than its
 * tolerance (default 300 s) refuses a recorded request replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const LOOKUP_TIMESTAMP_HEADER = 'x-patchthrough-timestamp';
export const LOOKUP_SIGNATURE_HEADER = 'x-patchthrough-signature';
/** How old a signed request a receiver accepts by default, in seconds. */
export const DEFAULT_LOOKUP_TOLERANCE_SEC = 300;

/** `v1=<hex>` for `body` sent at `timestampSec`. */
export function signLookup(secret: string, timestampSec: number | string, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
  return `v1=${mac}`;
}

export interface LookupSignatureCheck {
  readonly secret: string;
  /** The `X-Patchthrough-Timestamp` header as received. */
  readonly timestamp: string | undefined;
  /** The `X-Patchthrough-Signature` header as received. */
  readonly signature: string | undefined;
  /** The body exactly as received (before any JSON parsing). */
  readonly rawBody: string;
  /** The receiver's clock, unix seconds. */
  readonly nowSec: number;
  /** Default {@link DEFAULT_LOOKUP_TOLERANCE_SEC}. */
  readonly toleranceSec?: number;
}

/** Why a signed request was refused; `ok` when it holds. */
export type LookupSignatureResult = 'ok' | 'malformed' | 'stale' | 'mismatch';

/** Checks a lookup request as a receiver should: format, freshness (replays), then the MAC. */
export function verifyLookupSignature(check: LookupSignatureCheck): LookupSignatureResult {
  const { timestamp, signature } = check;
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return 'malformed';
  if (signature === undefined || !/^v1=[0-9a-f]{64}$/.test(signature)) return 'malformed';
  const age = Math.abs(check.nowSec - Number(timestamp));
  if (age > (check.toleranceSec ?? DEFAULT_LOOKUP_TOLERANCE_SEC)) return 'stale';
  const expected = Buffer.from(signLookup(check.secret, timestamp, check.rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? 'ok' : 'mismatch';
}
