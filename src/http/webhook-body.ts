import type { WebhookParams } from '../../providers/types.js';
import { BodyRefused, bodyTooDeep, jsonTooDeep } from './body-bounds.js';
import { parseForm } from './form.js';

/**
 * A webhook body in two steps, so that nothing is parsed before its signature is checked:
 * 1. {@link signedFormParams}: what a form-signing carrier signs (Twilio and Plivo sign the URL
 *    plus the sorted form fields, so a form is decoded as part of the check — flat key/value
 *    pairs, bounded by the body size). Any other body is signed as raw bytes or not at all.
 * 2. {@link bodyParams}, once the request is verified: the parameters of any body a carrier
 *    sends — a form, multipart form data (Exotel's status callbacks), or JSON (bounded in depth).
 */

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function isForm(contentType: string | undefined): boolean {
  return mediaType(contentType) === 'application/x-www-form-urlencoded';
}

function isJson(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === 'application/json' || type.endsWith('+json');
}

/** The form fields of a `application/x-www-form-urlencoded` body; none for any other body. */
export function signedFormParams(contentType: string | undefined, raw: Buffer): WebhookParams {
  return isForm(contentType) ? parseForm(raw.toString('utf8')) : {};
}

/**
 * The parameters of a verified webhook's body: a form (repeated keys as arrays), multipart form
 * data (text fields), or a JSON object (top-level fields; nested values as their JSON text, nulls
 * dropped). A body that cannot be read is refused with its reason, never half-read.
 */
export async function bodyParams(
  contentType: string | undefined,
  raw: Buffer,
): Promise<WebhookParams | BodyRefused> {
  if (raw.length === 0) return {};
  if (isForm(contentType)) return parseForm(raw.toString('utf8'));
  if (isJson(contentType)) return jsonParams(raw.toString('utf8'));
  if (mediaType(contentType) === 'multipart/form-data') return multipartParams(contentType ?? '', raw);
  return new BodyRefused(415, 'unsupported_media_type', 'send a form, multipart form data or a JSON object');
}

function jsonParams(text: string): WebhookParams | BodyRefused {
  if (jsonTooDeep(text)) return bodyTooDeep();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new BodyRefused(400, 'body_invalid', 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return new BodyRefused(400, 'body_not_object', 'the JSON body must be an object');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

async function multipartParams(contentType: string, raw: Buffer): Promise<WebhookParams | BodyRefused> {
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return new BodyRefused(400, 'body_invalid', 'the body is not valid multipart form data');
  }
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of form) {
    if (typeof value !== 'string') continue;
    const prior = out[key];
    out[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}
