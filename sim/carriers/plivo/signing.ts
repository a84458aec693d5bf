/**
 * How Plivo signs what it sends (signature V3), written for the simulator from Plivo's own code
 * and independently of the adapter's check (providers/plivo/signature*.ts), so that a mistake in
 * one does not hide in the other. Source: plivo-node `src/utils/v3Security.js`
 * (`construct_get_url`, `construct_post_url`, `get_signature_v3`) and plivo-stream-sdk-node
 * `validateConnectionSignature`, which checks the audio stream's WebSocket upgrade as a GET of
 * `http(s)://host + path` (the `ws`/`wss` scheme read as `http`/`https`) with no parameters.
 *
 * - Base: `scheme://host[:port]/path` of the URL, without its query.
 * - GET: the URL's query merged with the parameters, keys sorted, each key's values sorted,
 *   `k=v` joined with `&`; appended as `?…` when not empty.
 * - POST: `?` + the URL's sorted query when the query or the parameters are not empty, `.` when
 *   both are, then every parameter as `key` + `value` (sorted), nothing between.
 * - `X-Plivo-Signature-V3` = base64(HMAC-SHA256(authToken, signed + "." + nonce)), with
 *   `X-Plivo-Signature-V3-Nonce` = the nonce.
 */
import crypto from 'node:crypto';

type Multi = Map<string, string[]>;

function add(into: Multi, key: string, value: string): void {
  const list = into.get(key);
  if (list === undefined) into.set(key, [value]);
  else list.push(value);
}

function sortedPairs(values: Multi, join: (key: string, value: string) => string): string[] {
  const out: string[] = [];
  for (const key of [...values.keys()].sort()) {
    for (const value of [...(values.get(key) ?? [])].sort()) out.push(join(key, value));
  }
  return out;
}

/** The string Plivo signs (before `.nonce`). */
export function plivoSignedString(
  method: 'GET' | 'POST',
  url: string,
  params: Readonly<Record<string, string>> = {},
): string {
  const parsed = new URL(url);
  const base = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const query: Multi = new Map();
  // Plivo reads the query as Node's `querystring` does: `+` is a space.
  for (const [key, value] of new URLSearchParams(parsed.search)) add(query, key, value);
  if (method === 'GET') {
    for (const [key, value] of Object.entries(params)) add(query, key, value);
    const qs = sortedPairs(query, (k, v) => `${k}=${v}`).join('&');
    return qs === '' ? base : `${base}?${qs}`;
  }
  const body: Multi = new Map();
  for (const [key, value] of Object.entries(params)) add(body, key, value);
  const qs = sortedPairs(query, (k, v) => `${k}=${v}`).join('&');
  let out = base;
  if (qs !== '' || body.size > 0) out += `?${qs}`;
  if (qs !== '' && body.size > 0) out += '.';
  return out + sortedPairs(body, (k, v) => k + v).join('');
}

/** 20 random decimal digits, like the nonces Plivo sends. */
export function plivoNonce(): string {
  let out = '';
  for (const byte of crypto.randomBytes(20)) out += String(byte % 10);
  return out;
}

/** `X-Plivo-Signature-V3` of one request. */
export function plivoSign(
  authToken: string,
  method: 'GET' | 'POST',
  url: string,
  params: Readonly<Record<string, string>>,
  nonce: string,
): string {
  return crypto
    .createHmac('sha256', authToken)
    .update(`${plivoSignedString(method, url, params)}.${nonce}`, 'utf8')
    .digest('base64');
}

/**
 * The headers Plivo puts on the audio stream's WebSocket upgrade: a GET of the stream URL with
 * its scheme read as HTTP (`wss://h/p` is signed as `https://h/p`), no parameters.
 */
export function plivoUpgradeHeaders(authToken: string, streamUrl: string): Record<string, string> {
  const nonce = plivoNonce();
  const httpUrl = streamUrl.replace(/^ws(s?):/i, 'http$1:');
  return {
    'x-plivo-signature-v3': plivoSign(authToken, 'GET', httpUrl, {}, nonce),
    'x-plivo-signature-v3-nonce': nonce,
  };
}
