import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type * as HttpResponse from 'twilio/lib/http/response.js';
import { CarrierError } from '../../src/domain/errors.js';
import { createHttpPool, DEFAULT_MAX_SOCKETS } from '../shared/http-pool.js';

/** Twilio's REST base (protocols.md §2.4). */
export const TWILIO_API_BASE = 'https://api.twilio.com';

/**
 * twilio-node's own HTTP client, sending every request to `apiBase` instead of the hard-coded
 * `https://api.twilio.com` — the documented `httpClient` hook (protocols.md §2.9), so a simulator
 * or a proxy sees the SDK's exact wire format. Path and query are kept; a path prefix of
 * `apiBase` is kept too. `edge`/`region` hostnames are overridden the same way.
 */
export class TwilioHttpClient extends twilio.RequestClient {
  readonly #base: string;

  /** @param timeoutMs per-request timeout, in ms. */
  constructor(apiBase: string, timeoutMs: number) {
    // The SDK's own 429 auto-retry stays off: retries live in one place (STYLE.md 8).
    // twilio-node's agent allows 20 sockets per host by default: a burst of transfers on one
    // worker would queue its REST requests behind each other.
    super({
      timeout: timeoutMs,
      autoRetry: false,
      keepAlive: true,
      maxSockets: DEFAULT_MAX_SOCKETS,
      maxFreeSockets: 20,
      scheduling: 'lifo',
    });
    // twilio-node builds an https agent only; an `http:` base (a simulator, a local proxy) would
    // go through Node's global agent, unbounded. Give it the same keep-alive pool.
    this.axios.defaults.httpAgent = createHttpPool().http;
    this.#base = apiBase.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<HttpResponse.default<TData>> {
    const url = new URL(opts.uri);
    return super.request({ ...opts, uri: `${this.#base}${url.pathname}${url.search}` });
  }
}

/** Errors known not to have reached Twilio: repeating the request cannot act twice. */
const NOT_SENT = new WeakSet<CarrierError>();

/** Socket errors raised before a request left this host. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Maps whatever the SDK threw to a {@link CarrierError}. Twilio's messages can quote the number
 * that was refused (e.g. 21211), and axios errors carry the request body and credentials, so
 * neither becomes the message or the `cause`: the status and Twilio's numeric code say it all.
 */
export function toCarrierError(err: unknown): CarrierError {
  if (err instanceof CarrierError) return err;
  if (isObject(err) && typeof err['status'] === 'number' && err['status'] > 0) {
    // RestException (legacy body) or TwilioServiceException (RFC 9457): both carry status and code.
    const status = err['status'];
    const code =
      typeof err['code'] === 'number' || typeof err['code'] === 'string' ? String(err['code']) : undefined;
    const error = new CarrierError(
      'twilio',
      status,
      code,
      `twilio answered ${status}${code ? ` (${code})` : ''}`,
    );
    if (status === 429) NOT_SENT.add(error);
    return error;
  }
  const errno = isObject(err) && typeof err['code'] === 'string' ? err['code'] : undefined;
  const error = new CarrierError(
    'twilio',
    0,
    undefined,
    `twilio request failed${errno ? ` (${errno})` : ''}`,
  );
  if (errno !== undefined && NOT_SENT_CODES.has(errno)) NOT_SENT.add(error);
  return error;
}

/** True when Twilio certainly did not act on the request (429, or the connection never opened). */
export function neverReachedTwilio(err: unknown): boolean {
  return err instanceof CarrierError && NOT_SENT.has(err);
}

/** Twilio's "no such resource": 404 / 20404 (§2.4) — a call or participant that is already gone. */
export function isNotFound(err: unknown): boolean {
  return err instanceof CarrierError && err.status === 404;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
