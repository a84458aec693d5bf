/**
 * `X-Twilio-Signature` as Twilio computes it (protocols.md §2.8): HMAC-SHA1 keyed by the auth
 * token over the exact URL called followed by the sorted POST parameters (`name + value`,
 * repeated names: sorted, de-duplicated values), base64.
 */
import crypto from 'node:crypto';
import type { Params } from '../../log.js';

export function twilioSignature(authToken: string, url: string, params: Params = {}): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const v = params[key];
    if (v === undefined) continue;
    if (typeof v === 'string') data += key + v;
    else for (const x of [...new Set(v)].sort()) data += key + x;
  }
  return crypto.createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}
