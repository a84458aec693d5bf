import type { CallbackIds, CarrierRoutes, WebhookKind } from '../types.js';

/** Where the daemon mounts Plivo's webhooks and audio-stream socket (docs/plivo.md). */
export const PLIVO_PATHS = {
  voice: '/plivo/voice',
  status: '/plivo/status',
  'dial-action': '/plivo/dial-action',
  conference: '/plivo/conference',
} as const satisfies Record<WebhookKind, string>;

export const PLIVO_MEDIA_PATH = '/plivo/media';

/**
 * Plivo requests every URL the daemon gives it with POST and form parameters (protocols.md §3.1):
 * `answer_url` and `<Redirect>` (voice), `ring_url`/`hangup_url`/`<Dial callbackUrl>` (status),
 * `<Dial action>` (dial-action), `<Conference callbackUrl>` (conference).
 */
export const PLIVO_ROUTES: CarrierRoutes = Object.freeze({
  webhooks: Object.freeze([
    { kind: 'voice', method: 'POST', path: PLIVO_PATHS.voice, answersWithMarkup: true },
    { kind: 'status', method: 'POST', path: PLIVO_PATHS.status, answersWithMarkup: false },
    { kind: 'dial-action', method: 'POST', path: PLIVO_PATHS['dial-action'], answersWithMarkup: true },
    { kind: 'conference', method: 'POST', path: PLIVO_PATHS.conference, answersWithMarkup: false },
  ] as const),
  mediaPath: PLIVO_MEDIA_PATH,
});

/**
 * `https://pt.example.com` + path + `?callId=…&transferId=…&legId=…&seq=…`. Plivo's signature V3
 * covers the full URL, query included (protocols.md §3.7), so the ids cannot be forged.
 */
export function buildCallbackUrl(publicUrl: string, kind: WebhookKind, ids: CallbackIds): string {
  const url = onPublicUrl(publicUrl, PLIVO_PATHS[kind]);
  url.searchParams.set('callId', ids.callId);
  if (ids.transferId !== undefined) url.searchParams.set('transferId', ids.transferId);
  if (ids.legId !== undefined) url.searchParams.set('legId', ids.legId);
  if (ids.seq !== undefined) url.searchParams.set('seq', String(ids.seq));
  return url.toString();
}

/**
 * Adds the conference participant's label to a conference callback URL. Plivo's `<Conference>`
 * has no participant label (unlike Twilio's `participantLabel`), so the daemon carries it in the
 * signed callback URL of each member's own `<Conference callbackUrl>`.
 */
export function withLabel(callbackUrl: string, label: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set('label', label);
  return url.toString();
}

/** `wss://` twin of the public URL, no query string: per-call data travels in `extraHeaders`. */
export function buildMediaUrl(publicUrl: string): string {
  const url = onPublicUrl(publicUrl, PLIVO_MEDIA_PATH);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  return url.toString();
}

/** Keeps a path prefix of the public URL (a daemon behind `https://host/pt` mounts `/pt/plivo/…`). */
export function onPublicUrl(publicUrl: string, path: string): URL {
  return new URL(publicUrl.replace(/\/+$/, '') + path);
}
