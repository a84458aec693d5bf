import { CarrierError } from '../../src/domain/errors.js';
import { createHttpPool, type HttpPool, pooledRequest, socketErrorCode } from '../shared/http-pool.js';

/** Plivo's REST base (protocols.md §3.4); the `/v1/Account/{auth_id}/` prefix is added per request. */
export const PLIVO_API_BASE = 'https://api.plivo.com';

export interface PlivoRestOptions {
  /** `MA…` or `SA…`: the account in every path and the Basic-auth user. */
  readonly authId: string;
  readonly authToken: string;
  /** Default {@link PLIVO_API_BASE}; a simulator's URL in tests. A path prefix is kept. */
  readonly apiBase?: string;
}

export interface PlivoReply {
  readonly status: number;
  /** The parsed JSON body; `undefined` for an empty body (204). */
  readonly body: unknown;
}

/**
 * A small client for Plivo's v1 REST API, as plivo-node speaks it (§3.4: JSON bodies with
 * snake_case keys, HTTP Basic `auth_id:auth_token`, trailing slashes) but with a configurable base
 * URL: plivo-node sends every voice request to the hard-coded `api.plivo.com` (§3.8). No retries
 * here; they live in one place (control.ts through `withRetry`, STYLE.md 8).
 */
export class PlivoRestClient {
  readonly #root: string;
  readonly #authorization: string;
  /** Keep-alive connections, at most 100 per host (providers/shared/http-pool.ts). */
  readonly #pool: HttpPool = createHttpPool();

  constructor(options: PlivoRestOptions) {
    const base = (options.apiBase ?? PLIVO_API_BASE).replace(/\/+$/, '');
    this.#root = `${base}/v1/Account/${encodeURIComponent(options.authId)}/`;
    this.#authorization = `Basic ${Buffer.from(`${options.authId}:${options.authToken}`).toString('base64')}`;
  }

  /**
   * One request to `path` under the account (e.g. `Call/`, `Call/{uuid}/`). Resolves for 2xx;
   * rejects with a {@link CarrierError} otherwise (status 0 when no answer arrived).
   */
  async request(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: object | undefined,
    signal?: AbortSignal,
  ): Promise<PlivoReply> {
    let response: { status: number; text: string };
    try {
      response = await pooledRequest(this.#pool, this.#root + path, {
        method,
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          'user-agent': 'patchthrough',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      throw networkError(err);
    }
    const text = response.text;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.status >= 200 && response.status < 300) return { status: response.status, body: parsed };
    // Plivo's error body is `{ api_id, error }` with a sentence that may quote the number it
    // refused (invariant 8): only the status becomes part of the error.
    const error = new CarrierError('plivo', response.status, undefined, `plivo answered ${response.status}`);
    if (response.status === 429) NOT_SENT.add(error);
    throw error;
  }
}

/** Errors known not to have reached Plivo: repeating the request cannot act twice. */
const NOT_SENT = new WeakSet<CarrierError>();

/** Socket errors raised before a request left this host. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

function networkError(err: unknown): CarrierError {
  const code = socketErrorCode(err);
  const error = new CarrierError(
    'plivo',
    0,
    undefined,
    `plivo request failed${code === undefined ? '' : ` (${code})`}`,
  );
  if (code !== undefined && NOT_SENT_CODES.has(code)) NOT_SENT.add(error);
  return error;
}

/** True when Plivo certainly did not act on the request (429, or the connection never opened). */
export function neverReachedPlivo(err: unknown): boolean {
  return err instanceof CarrierError && NOT_SENT.has(err);
}

/** Plivo's "no such resource": 404 — a call, request or member that is already gone. */
export function isNotFound(err: unknown): boolean {
  return err instanceof CarrierError && err.status === 404;
}
