/**
 * Every request the Plivo simulator makes to the application: XML fetches (`answer_url`,
 * `<Redirect>`, a transfer's `aleg_url`, `<Dial action>`, `waitSound`), the files a `waitSound`
 * plays, and notifications (`ring_url`, `hangup_url`, `<Dial callbackUrl>`, `<Conference
 * callbackUrl>`, stream status).
 * Form POST (or GET with the params in the query), signed with `X-Plivo-Signature-V3` and its
 * nonce (protocols.md §3.7) over the exact URL called. Faults, ordering and the log are the
 * shared {@link WebhookSender}'s.
 */
import type { SimContext } from '../../front-end.js';
import type { OutgoingRequest } from '../../http-client.js';
import { type WebhookRequest, WebhookSender } from '../../webhook-sender.js';
import type { ResolvedPlivoOptions } from './options.js';
import { plivoNonce, plivoSign } from './signing.js';

export interface HookRequest extends WebhookRequest {
  /** `voice`, `redirect`, `transfer`, `action`, `wait` (XML); `play` (a file); `status`, `dial`, `conference`, `stream-status`. */
  readonly kind: string;
  readonly method: 'GET' | 'POST';
  readonly params: Readonly<Record<string, string>>;
}

export type XmlReply =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly message: string };

export type FileReply =
  | { readonly ok: true; readonly bytes: Buffer; readonly contentType: string }
  | { readonly ok: false; readonly message: string };

export function buildRequest(authToken: string, req: HookRequest, timeoutMs: number): OutgoingRequest {
  const n = plivoNonce();
  const headers: Record<string, string> = {
    'user-agent': 'PlivoHTTPClient',
    accept: '*/*',
    'x-plivo-signature-v3-nonce': n,
  };
  const sign = (signature: string) => {
    headers['x-plivo-signature-v3'] = signature;
    headers['x-plivo-signature-ma-v3'] = signature;
  };
  const body = new URLSearchParams(req.params).toString();
  if (req.method === 'GET') {
    const url = body === '' ? req.url : `${req.url}${req.url.includes('?') ? '&' : '?'}${body}`;
    sign(plivoSign(authToken, 'GET', url, {}, n));
    return { method: 'GET', url, headers, timeoutMs };
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  sign(plivoSign(authToken, 'POST', req.url, req.params, n));
  return { method: 'POST', url: req.url, headers, body, timeoutMs };
}

function isXmlType(contentType: string | string[] | undefined): boolean {
  const v = (Array.isArray(contentType) ? contentType[0] : contentType)?.toLowerCase() ?? '';
  return v.includes('xml');
}

export class PlivoHooks {
  readonly #sender: WebhookSender<HookRequest>;

  constructor(ctx: SimContext, options: ResolvedPlivoOptions) {
    this.#sender = new WebhookSender<HookRequest>(ctx, {
      carrier: 'plivo',
      timeoutMs: options.webhookTimeoutMs,
      build: (req, timeoutMs) => buildRequest(options.authToken, req, timeoutMs),
      loggedParams: (req) => req.params,
      faultDetail: (req) => `${req.kind} ${req.event ?? ''} ${req.url}`.replace(/\s+/g, ' '),
    });
  }

  /** Fetches XML: a non-2xx status, a failed connection, a non-XML type or an empty body fail. */
  async fetchXml(req: HookRequest, signal?: AbortSignal): Promise<XmlReply> {
    const outcome = await this.#sender.fetch(req, signal);
    if (!outcome.ok) return outcome;
    const { reply } = outcome;
    if (reply.status < 200 || reply.status > 299)
      return { ok: false, message: `HTTP ${reply.status} from ${req.url}` };
    if (!isXmlType(reply.headers['content-type']))
      return { ok: false, message: `invalid Content-Type ${String(reply.headers['content-type'])}` };
    if (reply.body.trim() === '') return { ok: false, message: 'empty document' };
    return { ok: true, body: reply.body };
  }

  /**
   * Fetches a `<Play>` file (GET, no parameters): a non-2xx status, a failed connection or an
   * empty body fail. What the bytes are is the caller's to judge.
   */
  async fetchFile(req: HookRequest, signal?: AbortSignal): Promise<FileReply> {
    const outcome = await this.#sender.fetch(req, signal);
    if (!outcome.ok) return outcome;
    const { reply } = outcome;
    if (reply.status < 200 || reply.status > 299)
      return { ok: false, message: `HTTP ${reply.status} from ${req.url}` };
    if (reply.bytes.length === 0) return { ok: false, message: 'empty file' };
    const type = reply.headers['content-type'];
    return { ok: true, bytes: reply.bytes, contentType: (Array.isArray(type) ? type[0] : type) ?? '' };
  }

  /** Sends a notification (reply only logged), in order per call or conference, applying callback faults. */
  notify(req: HookRequest): void {
    this.#sender.notify(req);
  }

  /** Aborts requests in flight; later ones fail at once. */
  stop(): void {
    this.#sender.stop();
  }
}
