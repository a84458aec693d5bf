import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';

/**
 * Plivo signature V3 (protocols.md §3.7), re-implemented so that the daemon compares in constant
 * time (plivo-node's `validateV3Signature` compares with `===`) and the simulator signs exactly as
 * Plivo does. test/wire/plivo-signature.test.ts cross-checks both directions against plivo-node on
 * the §3.7 vectors and on generated URLs and parameters.
 *
 * 1. `base` = `scheme://authority` + path of the URL; its query is parsed like Node's
 *    `querystring` (`+` is a space, percent-decoding), keys sorted, each key's values sorted.
 * 2. GET: the URL's query merged with `params`; `base?k=v&k=v` when anything is left.
 * 3. POST: `base?sortedQuery` when the query or `params` is non-empty, then `.` when both are,
 *    then the params as `key+value` with no separators.
 * 4. `base64(HMAC-SHA256(authToken, string + "." + nonce))`.
 */

export type SignedParams = Readonly<Record<string, string | readonly string[] | undefined>>;

const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/;

/** The string Plivo signs (before `.nonce`), for a request to `url` with form `params`. */
export function signedStringV3(method: 'GET' | 'POST', url: string, params: SignedParams = {}): string {
  const m = URL_PARTS.exec(url);
  const scheme = m?.[1] ?? 'http';
  const authority = m?.[2] ?? '';
  const path = (m?.[3] ?? '').trim();
  const base = `${scheme}://${authority}${path === '' ? '' : path.startsWith('/') ? path : `/${path}`}`;
  const query = multiMap(parseQueryString(m?.[4] ?? ''));
  if (method === 'GET') {
    for (const [key, values] of multiMap(params)) query.set(key, [...(query.get(key) ?? []), ...values]);
    const sorted = sortedQuery(query);
    return sorted === '' ? base : `${base}?${sorted}`;
  }
  const post = multiMap(params);
  const sorted = sortedQuery(query);
  let out = base;
  if (sorted !== '' || post.size > 0) out += `?${sorted}`;
  if (sorted !== '' && post.size > 0) out += '.';
  for (const key of [...post.keys()].sort()) {
    for (const value of [...(post.get(key) ?? [])].sort()) out += key + value;
  }
  return out;
}

/** `X-Plivo-Signature-V3` for one request. */
export function plivoSignatureV3(
  authToken: string,
  method: 'GET' | 'POST',
  url: string,
  params: SignedParams,
  nonce: string,
): string {
  return createHmac('sha256', authToken)
    .update(`${signedStringV3(method, url, params)}.${nonce}`, 'utf8')
    .digest('base64');
}

/**
 * Whether any of the comma-separated signatures in `header` is the V3 signature of the request,
 * compared in constant time. Methods other than GET and POST are refused.
 */
export function matchesSignatureV3(
  authToken: string,
  method: string,
  url: string,
  params: SignedParams,
  nonce: string,
  header: string,
): boolean {
  const m = method.toUpperCase();
  if (m !== 'GET' && m !== 'POST') return false;
  const expected = Buffer.from(plivoSignatureV3(authToken, m, url, m === 'GET' ? {} : params, nonce));
  let matched = false;
  for (const candidate of header.split(',')) {
    const given = Buffer.from(candidate);
    // Every candidate is compared, so the time taken does not say which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

function multiMap(
  input: SignedParams | Record<string, string | string[] | undefined>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    out.set(key, typeof value === 'string' ? [value] : [...value]);
  }
  return out;
}

function sortedQuery(query: Map<string, string[]>): string {
  const parts: string[] = [];
  for (const key of [...query.keys()].sort()) {
    for (const value of [...(query.get(key) ?? [])].sort()) parts.push(`${key}=${value}`);
  }
  return parts.join('&');
}
