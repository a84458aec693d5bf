import type { CallbackIds, CarrierRoutes, WebhookKind, WebhookRoute } from '../types.js';
import { callbackSignature } from './auth.js';

/**
 * Where the daemon mounts Exotel's webhooks and media socket (docs/exotel.md). Exotel's call flow
 * is fixed in its dashboard, so each route is one applet of that flow:
 *
 * | Path | Applet | Kind | Answer |
 * |---|---|---|---|
 * | `GET /exotel/voice` | Voicebot, dynamic URL | `voice` | `{"url":"wss://…"}` for this call |
 * | `GET /exotel/next` | Passthru after the Voicebot | `voice` | 200 → Connect, 302 → Hangup |
 * | `GET /exotel/dial-up` | Connect, "dial whom" URL | `voice` | the number (text) or Programmable Connect JSON |
 * | `GET /exotel/dial-action` | Passthru after a dial nobody answered | `dial-action` | 200 → Voicebot, 302 → Passthru `next` |
 * | `POST /exotel/status` | status callbacks, Connect applet events | `status` | 200 |
 *
 * The `voice` routes are the flow asking "what next?" for a call the daemon knows (the answer comes
 * from the call's state); `dial-action` is the one that reports a dial's result. Exotel may repeat
 * an earlier dial's details in later requests, so only that route reads them. Passthru and "dial
 * whom" requests are GETs with the call's details in the query (protocols.md §4.6, §4.7); status
 * callbacks are multipart or JSON POSTs (§4.5).
 */
export const EXOTEL_PATHS = {
  voicebot: '/exotel/voice',
  next: '/exotel/next',
  dialUp: '/exotel/dial-up',
  dialAction: '/exotel/dial-action',
  status: '/exotel/status',
} as const;

export type ExotelApplet = keyof typeof EXOTEL_PATHS;

export const EXOTEL_MEDIA_PATH = '/exotel/media';

/** The Basic-auth user name in URLs the daemon hands out; Exotel sends `user:secret` (§4.1). */
export const EXOTEL_AUTH_USER = 'exotel';

const ROUTES: readonly WebhookRoute[] = Object.freeze([
  { kind: 'voice', method: 'GET', path: EXOTEL_PATHS.voicebot, answersWithMarkup: true },
  { kind: 'voice', method: 'GET', path: EXOTEL_PATHS.next, answersWithMarkup: true },
  { kind: 'voice', method: 'GET', path: EXOTEL_PATHS.dialUp, answersWithMarkup: true },
  { kind: 'dial-action', method: 'GET', path: EXOTEL_PATHS.dialAction, answersWithMarkup: true },
  { kind: 'status', method: 'POST', path: EXOTEL_PATHS.status, answersWithMarkup: false },
] as const);

/** Exotel has no conferences: no `conference` route (see `EXOTEL_CAPABILITIES`). */
export const EXOTEL_ROUTES: CarrierRoutes = Object.freeze({ webhooks: ROUTES, mediaPath: EXOTEL_MEDIA_PATH });

/** Which applet a route is, by its path (without the public URL's prefix). */
export function appletOf(route: WebhookRoute): ExotelApplet | undefined {
  for (const [applet, path] of Object.entries(EXOTEL_PATHS)) {
    if (path === route.path) return applet as ExotelApplet;
  }
  return undefined;
}

/** Callback URLs the daemon builds itself (Calls/connect `StatusCallback`), per kind. */
const CALLBACK_PATH: Readonly<Record<WebhookKind, string>> = {
  voice: EXOTEL_PATHS.voicebot,
  'dial-action': EXOTEL_PATHS.dialAction,
  status: EXOTEL_PATHS.status,
  // No conferences on Exotel; their events would be status callbacks.
  conference: EXOTEL_PATHS.status,
};

/**
 * `https://exotel:SECRET@pt.example.com/exotel/status?callId=…&transferId=…&legId=…&seq=…&sig=…`.
 * Exotel does not sign its requests (§4.9): the shared secret rides in the URL's userinfo (sent
 * back as Basic auth), and `sig` binds the ids to the secret, so a changed id is refused.
 */
export function buildCallbackUrl(
  publicUrl: string,
  secret: string,
  kind: WebhookKind,
  ids: CallbackIds,
): string {
  const url = onPublicUrl(publicUrl, CALLBACK_PATH[kind]);
  url.searchParams.set('callId', ids.callId);
  if (ids.transferId !== undefined) url.searchParams.set('transferId', ids.transferId);
  if (ids.legId !== undefined) url.searchParams.set('legId', ids.legId);
  if (ids.seq !== undefined) url.searchParams.set('seq', String(ids.seq));
  url.searchParams.set('sig', callbackSignature(secret, url.pathname, url.searchParams));
  url.username = EXOTEL_AUTH_USER;
  url.password = secret;
  return url.toString();
}

/**
 * `https://exotel:SECRET@pt.example.com/exotel/status`: the status callback of a call the daemon
 * places, before Exotel has named it (no ids, so no `sig`).
 */
export function buildStatusUrl(publicUrl: string, secret: string): string {
  const url = onPublicUrl(publicUrl, EXOTEL_PATHS.status);
  url.username = EXOTEL_AUTH_USER;
  url.password = secret;
  return url.toString();
}

/**
 * `wss://exotel:SECRET@pt.example.com/exotel/media`: Exotel sends the userinfo as Basic auth on
 * the upgrade (§4.1). Per-call data travels as custom parameters in the query (see markup.ts).
 */
export function buildMediaUrl(publicUrl: string, secret: string): string {
  const url = onPublicUrl(publicUrl, EXOTEL_MEDIA_PATH);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.username = EXOTEL_AUTH_USER;
  url.password = secret;
  return url.toString();
}

/** Keeps a path prefix of the public URL (a daemon behind `https://host/pt` mounts `/pt/exotel/…`). */
function onPublicUrl(publicUrl: string, path: string): URL {
  return new URL(publicUrl.replace(/\/+$/, '') + path);
}
