import type { MediaUpgradeRequest, WebhookParams, WebhookRequest } from '../types.js';
import { matchesSignatureV3 } from './signature-v3.js';

/**
 * Webhook verification (protocols.md §3.7): `X-Plivo-Signature-V3` with its
 * `X-Plivo-Signature-V3-Nonce`, over the full URL the daemon is reached at (its public URL plus
 * the path and query as received) and, for POST, the form parameters. The header may list several
 * signatures; any one matching is enough. `X-Plivo-Signature-Ma-V3` (the main account's token) is
 * accepted too, for a daemon configured with the main account's credentials.
 */

const SIGNATURE = 'x-plivo-signature-v3';
const SIGNATURE_MAIN = 'x-plivo-signature-ma-v3';
const NONCE = 'x-plivo-signature-v3-nonce';

/** Checks a webhook in constant time. Any doubt (missing header or nonce, odd method) is `false`. */
export function verifyPlivoWebhook(authToken: string, req: WebhookRequest): boolean {
  const nonce = singleHeader(req.headers[NONCE]);
  if (nonce === undefined || nonce === '') return false;
  let ok = false;
  for (const header of [SIGNATURE, SIGNATURE_MAIN]) {
    const signature = singleHeader(req.headers[header]);
    if (signature === undefined || signature === '') continue;
    if (matchesSignatureV3(authToken, req.method, req.url, signedParams(req.params), nonce, signature))
      ok = true;
  }
  return ok;
}

/**
 * Checks the audio stream's WebSocket upgrade. Plivo signs it like a webhook: signature V3 of a
 * GET of the stream URL read as HTTP (`wss://host/plivo/media` is signed as
 * `https://host/plivo/media`), no parameters, as Plivo's own plivo-stream-sdk-node
 * (`validateConnectionSignature`) checks it. The URL is the daemon's public one, never rebuilt
 * from a Host header.
 */
export function verifyPlivoMediaUpgrade(authToken: string, req: MediaUpgradeRequest): boolean {
  const nonce = singleHeader(req.headers[NONCE]);
  const signature = singleHeader(req.headers[SIGNATURE]);
  if (nonce === undefined || nonce === '' || signature === undefined || signature === '') return false;
  const httpUrl = req.url.replace(/^ws(s?):/i, 'http$1:');
  return matchesSignatureV3(authToken, 'GET', httpUrl, {}, nonce, signature);
}

function singleHeader(value: string | readonly string[] | undefined): string | undefined {
  // Two copies of a signature header is not something Plivo sends: refuse rather than pick one.
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
