import type { IncomingHttpHeaders } from 'node:http';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type * as HttpResponse from 'twilio/lib/http/response.js';
import { CarrierError } from '../../src/domain/errors.js';
import { createHttpPool, type HttpPool, pooledRequest } from '../shared/http-pool.js';

/** Twilio's REST base (protocols.md §2.4). */
export const TWILIO_API_BASE = 'https://api.twilio.com';

/**
 * The request twilio-node's `RequestClient.request` hands to its axios instance, once it has set
 * the headers (auth, `Connection`) and form-encoded the body with its own `qs` settings.
 */
interface SdkRequest {
  readonly url: string;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly data?: unknown;
  readonly params?: unknown;
  readonly paramsSerializer?: (params: unknown) => string;
  readonly timeout?: number;
}

/** What `RequestClient.request` reads of axios's response. */
interface SdkResponse {
  readonly status: number;
  readonly data: unknown;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Sends twilio-node's requests over a bounded keep-alive pool with `node:http` instead of axios.
 * The SDK still builds every request (URL, headers, the form body), so the wire is its own but
 * for the headers axios added: `Content-Length` is sent, `Accept-Encoding` is not (the answer
 * comes back uncompressed; Twilio's are a few hundred bytes). axios was about half of the CPU
 * of a REST command in the control bench's profile (its config merging, header objects, its
 * stream pipeline for the answer; docs/performance.md). Redirects are not followed
 * (the SDK asks for none); every status resolves; socket errors keep their `code`.
 */
export function poolTransport(pool: HttpPool): (request: SdkRequest) => Promise<SdkResponse> {
  return async (request) => {
    let url = request.url;
    if (request.params !== undefined && request.paramsSerializer !== undefined) {
      const query = request.paramsSerializer(request.params);
      if (query !== '') url += (url.includes('?') ? '&' : '?') + query;
    }
    const reply = await pooledRequest(pool, url, {
      method: request.method.toUpperCase(),
      headers: request.headers ?? {},
      ...(typeof request.data === 'string' ? { body: request.data } : {}),
      ...(request.timeout === undefined ? {} : { timeoutMs: request.timeout }),
    });
    return { status: reply.status, data: parseBody(reply.text), headers: reply.headers };
  };
}

/** As axios hands it over by default: parsed when it is JSON, else the text. */
function parseBody(text: string): unknown {
  if (text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * twilio-node's own HTTP client, sending every request to `apiBase` instead of the hard-coded
 * `https://api.twilio.com` — the documented `httpClient` hook (protocols.md §2.9), so a simulator
 * or a proxy sees the SDK's wire format. Path and query are kept; a path prefix of `apiBase` is
 * kept too. `edge`/`region` hostnames are overridden the same way. Requests go through
 * {@link poolTransport}: 100 keep-alive sockets per host, 20 idle kept, LIFO, for `http:` and
 * `https:` bases alike.
 */
export class TwilioHttpClient extends twilio.RequestClient {
  readonly #base: string;

  /** @param timeoutMs per-request timeout, in ms. */
  constructor(apiBase: string, timeoutMs: number) {
    // The SDK's own 429 auto-retry stays off: retries live in one place (STYLE.md 8).
    super({ timeout: timeoutMs, autoRetry: false, keepAlive: true });
    // The SDK calls its axios instance as a function and reads only status, data and headers.
    this.axios = poolTransport(createHttpPool()) as unknown as typeof this.axios;
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
