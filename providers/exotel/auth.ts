import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MediaUpgradeRequest, WebhookRequest } from '../types.js';

/**
 * Exotel signs nothing (protocols.md §4.5, §4.9): its webhooks and its Voicebot socket are
 * authenticated by a shared secret the daemon's URLs carry. Two forms are accepted:
 *
 * - Basic auth: a URL with userinfo (`https://exotel:SECRET@pt.example.com/exotel/voice`) makes the
 *   client send `Authorization: Basic base64(exotel:SECRET)` — how Exotel authenticates the
 *   Voicebot upgrade (§4.1); any user name, the password is the secret.
 * - A `secret` query parameter (`…/exotel/voice?secret=SECRET`), for dashboard fields that will
 *   not take userinfo. Webhooks only; the media upgrade needs Basic auth.
 *
 * Callback URLs the daemon builds itself also carry `sig`, an HMAC of their ids under the secret,
 * so a changed `callId`/`transferId`/`legId`/`seq` is refused. What Exotel adds to a URL (its own
 * parameters) cannot be authenticated: there is no signature to check it against.
 */

/** The daemon's own ids in callback URLs, in signing order. */
const OWN_IDS = ['callId', 'transferId', 'legId', 'seq'] as const;

const SIG_CONTEXT = 'patchthrough.exotel.callback.v1:';

/** HMAC-SHA256 over the path and the daemon's ids present in `params`, base64url, 22 characters. */
export function callbackSignature(secret: string, pathname: string, params: URLSearchParams): string {
  const ids = OWN_IDS.flatMap((name) => {
    const value = params.get(name);
    return value === null ? [] : [`${name}=${value}`];
  });
  return createHmac('sha256', secret)
    .update(`${SIG_CONTEXT}${pathname}?${ids.join('&')}`, 'utf8')
    .digest('base64url')
    .slice(0, 22);
}

/** Is this webhook from whoever holds the secret, with the daemon's ids untouched? Constant-time. */
export function verifyExotelWebhook(secret: string, req: WebhookRequest): boolean {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return false;
  }
  const authorized =
    basicPasswordIs(req.headers['authorization'], secret) ||
    sameSecret(url.searchParams.get('secret'), secret);
  if (!authorized) return false;
  if (!OWN_IDS.some((name) => url.searchParams.has(name))) return true;
  const sig = url.searchParams.get('sig');
  return sameSecret(sig, callbackSignature(secret, url.pathname, url.searchParams));
}

/** The Voicebot's upgrade carries the URL's userinfo as Basic auth (§4.1); nothing else will do. */
export function verifyExotelMediaUpgrade(secret: string, req: MediaUpgradeRequest): boolean {
  return basicPasswordIs(req.headers['authorization'], secret);
}

function basicPasswordIs(header: string | readonly string[] | undefined, secret: string): boolean {
  const value = typeof header === 'string' ? header : header?.[0];
  if (value === undefined || !/^basic /i.test(value)) return false;
  const decoded = Buffer.from(value.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && sameSecret(decoded.slice(colon + 1), secret);
}

function sameSecret(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
