import type { CallbackIds, CarrierRoutes, WebhookKind } from '../types.js';

/** Where the daemon mounts Twilio's webhooks and media socket (docs/twilio.md). */
export const TWILIO_PATHS = {
  voice: '/twilio/voice',
  status: '/twilio/status',
  'dial-action': '/twilio/dial-action',
  conference: '/twilio/conference',
} as const satisfies Record<WebhookKind, string>;

export const TWILIO_MEDIA_PATH = '/twilio/media';

/** Twilio POSTs every webhook as a form (protocols.md §2.1). */
export const TWILIO_ROUTES: CarrierRoutes = Object.freeze({
  webhooks: Object.freeze([
    { kind: 'voice', method: 'POST', path: TWILIO_PATHS.voice, answersWithMarkup: true },
    { kind: 'status', method: 'POST', path: TWILIO_PATHS.status, answersWithMarkup: false },
    { kind: 'dial-action', method: 'POST', path: TWILIO_PATHS['dial-action'], answersWithMarkup: true },
    { kind: 'conference', method: 'POST', path: TWILIO_PATHS.conference, answersWithMarkup: false },
  ] as const),
  mediaPath: TWILIO_MEDIA_PATH,
});

/**
 * `https://pt.example.com` + path + `?callId=…&transferId=…&legId=…&seq=…`. The ids ride in the
 * query because Twilio signs the full URL (protocols.md §2.8): a forged id breaks the signature.
 */
export function buildCallbackUrl(publicUrl: string, kind: WebhookKind, ids: CallbackIds): string {
  const url = onPublicUrl(publicUrl, TWILIO_PATHS[kind]);
  url.searchParams.set('callId', ids.callId);
  if (ids.transferId !== undefined) url.searchParams.set('transferId', ids.transferId);
  if (ids.legId !== undefined) url.searchParams.set('legId', ids.legId);
  if (ids.seq !== undefined) url.searchParams.set('seq', String(ids.seq));
  return url.toString();
}

/**
 * `wss://` twin of the public URL. No query string: Twilio may refuse one on a Stream url
 * (UNCONFIRMED, protocols.md §2.2), so per-call data travels in `<Parameter>`s.
 */
export function buildMediaUrl(publicUrl: string): string {
  const url = onPublicUrl(publicUrl, TWILIO_MEDIA_PATH);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  return url.toString();
}

/** Keeps a path prefix of the public URL (a daemon behind `https://host/pt` mounts `/pt/twilio/…`). */
function onPublicUrl(publicUrl: string, path: string): URL {
  return new URL(publicUrl.replace(/\/+$/, '') + path);
}
