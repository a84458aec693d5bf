import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import twilio from 'twilio';
import { callbackSignature } from '../../providers/exotel/auth.js';
import { EXOTEL_ROUTES } from '../../providers/exotel/routes.js';
import { PLIVO_ROUTES } from '../../providers/plivo/routes.js';
import { TWILIO_ROUTES } from '../../providers/twilio/routes.js';
import type { WebhookRoute } from '../../providers/types.js';
import { plivoNonce, plivoSign } from '../../sim/carriers/plivo/signing.js';
import {
  AUTH_TOKEN,
  EXOTEL_ACCOUNT_SID,
  EXOTEL_API_KEY,
  EXOTEL_API_TOKEN,
  EXOTEL_WEBHOOK_SECRET,
  type Harness,
  PLIVO_AUTH_ID,
  PLIVO_AUTH_TOKEN,
} from './harness.js';

/**
 * Helpers for the input-refusal tests: raw HTTP requests over a real socket (a GET with a body, a
 * chunked body with no length, exact bytes), every webhook route of every carrier, a snapshot of
 * everything the daemon keeps in Redis, and nested JSON.
 */

/** Every carrier webhook the daemon mounts, from the adapters' own route tables. */
export const WEBHOOK_ROUTES: readonly WebhookRoute[] = [
  ...TWILIO_ROUTES.webhooks,
  ...PLIVO_ROUTES.webhooks,
  ...EXOTEL_ROUTES.webhooks,
];

/** Daemon env with all three carriers' credentials, so one daemon mounts every route. */
export const ALL_CARRIERS_ENV: Record<string, string> = {
  PLIVO_AUTH_ID,
  PLIVO_AUTH_TOKEN,
  EXOTEL_ACCOUNT_SID,
  EXOTEL_API_KEY,
  EXOTEL_API_TOKEN,
  EXOTEL_WEBHOOK_SECRET,
};

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
  json(): { error?: { code?: string; field?: string } };
}

/**
 * One request over a fresh socket. `chunked`: no content-length, the body sent in 16 KB chunks
 * (how a client streams a body of unknown size).
 */
export function rawRequest(
  url: string,
  options: {
    method: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    chunked?: boolean;
    /**
     * Send the headers (with the body's length) and wait for an answer before any of the body, as
     * a client does with a body the server may refuse by its length alone; the body is then never
     * sent (the server would reset a connection it stopped reading).
     */
    headersOnly?: boolean;
  },
): Promise<RawAnswer> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined && !options.chunked) headers['content-length'] = String(body.length);
    let answered = false;
    const req = request(url, { method: options.method, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (options.headersOnly) req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (answered && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) return;
      reject(err);
    });
    if (options.headersOnly) {
      req.flushHeaders();
      return;
    }
    if (body !== undefined) {
      if (options.chunked)
        for (let at = 0; at < body.length; at += 16_384) req.write(body.subarray(at, at + 16_384));
      else req.write(body);
    }
    req.end();
  });
}

/** `{"a":{"a":…1…}}` nested `levels` deep. */
export function deepObject(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** `[[[…]]]` nested `levels` deep. */
export function deepArray(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

/** Keys that change on their own while the daemon runs (worker heartbeats). */
const VOLATILE = /^(worker:\{|workers$)/;

/**
 * Everything the daemon keeps in Redis (call records, flags, dedupe keys, timers, sockets,
 * agents), key by key as `DUMP` bytes: two equal snapshots mean nothing was written.
 */
export async function redisSnapshot(url: string): Promise<Map<string, string>> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    const keys = (await client.keys('*')).filter((k) => !VOLATILE.test(k)).sort();
    const out = new Map<string, string>();
    for (const key of keys) out.set(key, (await client.dumpBuffer(key))?.toString('hex') ?? '');
    return out;
  } finally {
    client.disconnect();
  }
}

/** Keys added, removed or changed between two snapshots. */
export function snapshotDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) out.push(`+${key}`);
    else if (before.get(key) !== value) out.push(`~${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) out.push(`-${key}`);
  return out;
}

/** Basic auth with Exotel's shared secret, as Exotel sends it. */
export const EXOTEL_BASIC = `Basic ${Buffer.from(`exotel:${EXOTEL_WEBHOOK_SECRET}`).toString('base64')}`;

/** Headers that make a request to `url` genuinely from its carrier, for a JSON `body`. */
export function signedJson(
  path: string,
  publicUrl: string,
  body: string,
): { url: string; headers: Record<string, string> } {
  const json = { 'content-type': 'application/json' };
  if (path.startsWith('/twilio/')) {
    // Twilio's JSON-bodied webhooks sign the URL carrying bodySHA256 (protocols.md §2.8).
    const url = `${publicUrl}${path}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    return {
      url,
      headers: { ...json, 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, {}) },
    };
  }
  if (path.startsWith('/plivo/')) {
    const url = `${publicUrl}${path}`;
    const nonce = plivoNonce();
    const signature = plivoSign(PLIVO_AUTH_TOKEN, 'POST', url, {}, nonce);
    return {
      url,
      headers: { ...json, 'x-plivo-signature-v3': signature, 'x-plivo-signature-v3-nonce': nonce },
    };
  }
  return { url: `${publicUrl}${path}`, headers: { ...json, authorization: EXOTEL_BASIC } };
}

/** A form POST signed as Twilio or Plivo signs it. */
export function formSigned(hh: Harness, path: string, params: Record<string, string>): Promise<RawAnswer> {
  const url = `${hh.publicUrl}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (path.startsWith('/twilio/'))
    headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
  else {
    const nonce = plivoNonce();
    headers['x-plivo-signature-v3'] = plivoSign(PLIVO_AUTH_TOKEN, 'POST', url, params, nonce);
    headers['x-plivo-signature-v3-nonce'] = nonce;
  }
  return rawRequest(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
}

/** An Exotel request with the shared secret: GET with the params in the query, or a POST body. */
export function exotelSigned(
  hh: Harness,
  method: string,
  path: string,
  params: Record<string, string>,
  json: string | undefined,
): Promise<RawAnswer> {
  const url = new URL(`${hh.publicUrl}${path}`);
  if (url.searchParams.has('callId'))
    url.searchParams.set('sig', callbackSignature(EXOTEL_WEBHOOK_SECRET, url.pathname, url.searchParams));
  const headers: Record<string, string> = { authorization: EXOTEL_BASIC };
  if (method === 'GET') {
    for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
    return rawRequest(url.toString(), { method, headers });
  }
  if (json !== undefined) {
    return rawRequest(url.toString(), {
      method,
      headers: { ...headers, 'content-type': 'application/json' },
      body: json,
    });
  }
  const form = new FormData();
  for (const [k, v] of Object.entries(params)) form.append(k, v);
  const encoded = new Response(form);
  return encoded.arrayBuffer().then((bytes) =>
    rawRequest(url.toString(), {
      method,
      headers: { ...headers, 'content-type': encoded.headers.get('content-type') ?? '' },
      body: Buffer.from(bytes),
    }),
  );
}
