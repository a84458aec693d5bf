import type { WebhookParams } from '../../providers/types.js';

/** `application/x-www-form-urlencoded` → params, repeated keys as arrays (Twilio repeats keys). */
export function parseForm(body: string): WebhookParams {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const prior = out[key];
    if (prior === undefined) out[key] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[key] = [prior, value];
  }
  return out;
}

/** Query-string params of a request URL. */
export function parseQuery(url: string): WebhookParams {
  const q = url.indexOf('?');
  return q < 0 ? {} : parseForm(url.slice(q + 1));
}
