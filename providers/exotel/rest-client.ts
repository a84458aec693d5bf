import { CarrierError } from '../../src/domain/errors.js';
import { createHttpPool, type HttpPool, pooledRequest, socketErrorCode } from '../shared/http-pool.js';

/** Exotel's REST base (Singapore; Mumbai is https://api.in.exotel.com, protocols.md §4.9). */
export const EXOTEL_API_BASE = 'https://api.exotel.com';

export interface ExotelRestOptions {
  /** Default {@link EXOTEL_API_BASE}; a simulator's URL in tests and the demo. A path prefix is kept. */
  readonly apiBase?: string;
  readonly accountSid: string;
  /** Basic-auth user. */
  readonly apiKey: string;
  /** Basic-auth password. */
  readonly apiToken: string;
}

/** Errors known not to have reached Exotel: repeating the request cannot act twice. */
const NOT_SENT = new WeakSet<CarrierError>();
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The little of Exotel's v1 REST API the daemon uses (§4.3): form POSTs with PascalCase names,
 * HTTP Basic `API_KEY:API_TOKEN`, a `.json` suffix for JSON answers (XML otherwise).
 */
export class ExotelRestClient {
  readonly #base: string;
  readonly #accountSid: string;
  readonly #authorization: string;
  /** Keep-alive connections, at most 100 per host (providers/shared/http-pool.ts). */
  readonly #pool: HttpPool = createHttpPool();

  constructor(options: ExotelRestOptions) {
    this.#base = (options.apiBase ?? EXOTEL_API_BASE).replace(/\/+$/, '');
    this.#accountSid = options.accountSid;
    this.#authorization = `Basic ${Buffer.from(`${options.apiKey}:${options.apiToken}`).toString('base64')}`;
  }

  /**
   * `POST /v1/Accounts/{sid}/{path}.json` with a form body; the parsed JSON answer. Failures are
   * {@link CarrierError}s whose message never quotes the body (it may name a number).
   */
  post(path: string, form: URLSearchParams, signal: AbortSignal): Promise<unknown> {
    return this.#request('POST', path, form, signal);
  }

  /** `GET /v1/Accounts/{sid}/{path}.json` (e.g. the Call Details API); failures as {@link post}'s. */
  get(path: string, signal: AbortSignal): Promise<unknown> {
    return this.#request('GET', path, undefined, signal);
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    form: URLSearchParams | undefined,
    signal: AbortSignal,
  ): Promise<unknown> {
    const url = `${this.#base}/v1/Accounts/${encodeURIComponent(this.#accountSid)}/${path}.json`;
    let res: { status: number; text: string };
    try {
      res = await pooledRequest(this.#pool, url, {
        method,
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        ...(form === undefined ? {} : { body: form.toString() }),
        signal,
      });
    } catch (err) {
      throw networkError(err);
    }
    const text = res.text;
    if (res.status < 200 || res.status >= 300) throw httpError(res.status, text);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CarrierError(
        'exotel',
        res.status,
        undefined,
        'exotel answered with something that is not JSON',
      );
    }
  }
}

/** True when Exotel certainly did not act on the request (429, or the connection never opened). */
export function neverReachedExotel(err: unknown): boolean {
  return err instanceof CarrierError && NOT_SENT.has(err);
}

function httpError(status: number, body: string): CarrierError {
  const code = exotelCode(body);
  const error = new CarrierError(
    'exotel',
    status,
    code,
    `exotel answered ${status}${code ? ` (${code})` : ''}`,
  );
  if (status === 429) NOT_SENT.add(error);
  return error;
}

function networkError(err: unknown): CarrierError {
  const errno = socketErrorCode(err);
  const error = new CarrierError(
    'exotel',
    0,
    undefined,
    `exotel request failed${errno ? ` (${errno})` : ''}`,
  );
  if (errno !== undefined && NOT_SENT_CODES.has(errno)) NOT_SENT.add(error);
  return error;
}

/** Exotel's error body: `{"RestException":{"Status":…,"Code":…,"Message":…}}` (code optional). */
function exotelCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { RestException?: { Code?: unknown } };
    const code = parsed.RestException?.Code;
    return typeof code === 'number' || typeof code === 'string' ? String(code) : undefined;
  } catch {
    return undefined;
  }
}
