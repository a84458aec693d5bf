import { timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';
import type { MediaUpgradeRequest, WebhookParams, WebhookRequest } from '../types.js';

/**
 * `X-Twilio-Signature` checks through twilio-node's own validator (protocols.md §2.8): HMAC-SHA1
 * of the full URL followed by the sorted form params, compared in constant time. The validator
 * also tries the URL with and without the default port, which Twilio may have signed either way.
 */

const HEADER = 'x-twilio-signature';

/** Checks a webhook. Any doubt (missing header, unparsable URL) is `false`. */
export function verifyTwilioWebhook(authToken: string, req: WebhookRequest): boolean {
  const signature = singleHeader(req.headers[HEADER]);
  if (signature === undefined || signature === '') return false;
  try {
    // JSON-bodied webhooks sign the URL (which carries bodySHA256) and hash the body (§2.8 step 5).
    if (mayCarryBodyHash(req.url) && new URL(req.url).searchParams.has('bodySHA256')) {
      return twilio.validateRequestWithBody(authToken, signature, req.url, req.rawBody);
    }
    // GET webhooks sign the URL alone: the query is already in it (§2.8 step 4).
    const params = req.method.toUpperCase() === 'GET' ? {} : signedParams(req.params);
    // The URL as received is the one Twilio signed, in the common case: one HMAC. The validator
    // tries it too (as the URL with its port, or without), then the other forms, computing and
    // parsing each; its answer stands whenever this one is no.
    if (sameText(twilio.getExpectedTwilioSignature(authToken, req.url, params), signature)) return true;
    return twilio.validateRequest(authToken, signature, req.url, params);
  } catch {
    return false;
  }
}

/** Whether a URL may name a `bodySHA256` param (a percent-encoded name decodes to it too). */
function mayCarryBodyHash(url: string): boolean {
  return url.includes('bodySHA256') || url.includes('%');
}

/** Constant-time comparison of two signatures (their length is the algorithm's, not a secret). */
function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks the media WebSocket upgrade, signed (UNCONFIRMED, protocols.md §2.3) over the `wss://`
 * URL with no params. Only consulted when `signedMediaUpgrade` is on.
 */
export function verifyTwilioMediaUpgrade(authToken: string, req: MediaUpgradeRequest): boolean {
  const signature = singleHeader(req.headers[HEADER]);
  if (signature === undefined || signature === '') return false;
  try {
    return twilio.validateRequest(authToken, signature, req.url, {});
  } catch {
    return false;
  }
}

function singleHeader(value: string | readonly string[] | undefined): string | undefined {
  // Two signature headers is not something Twilio sends: refuse rather than pick one.
  return typeof value === 'string' ? value : undefined;
}

function signedParams(params: WebhookParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out[name] = typeof value === 'string' ? value : [...value];
  }
  return out;
}
