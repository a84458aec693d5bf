/**
 * Every request the Twilio simulator makes to the application: markup fetches (voice URL,
 * `<Redirect>`, `action`, `AnnounceUrl`, `<Number url>`) and notifications (call progress,
 * conference events, stream status). Form POST (or GET with the params in the query), signed
 * with `X-Twilio-Signature` over the exact URL called (protocols.md §2.8). Faults, ordering and
 * the log are the shared {@link WebhookSender}'s; Twilio's error codes are given here.
 */
import crypto from 'node:crypto';
import type { SimContext } from '../../front-end.js';
import type { OutgoingRequest } from '../../http-client.js';
import { type WebhookRequest, WebhookSender } from '../../webhook-sender.js';
import { encodeForm } from './form.js';
import type { ResolvedTwilioOptions } from './options.js';
import { twilioSignature } from './signature.js';

export interface HookRequest extends WebhookRequest {
  /** `voice`, `redirect`, `action`, `announce`, `whisper`, `status`, `conference`, `stream-status`. */
  readonly kind: string;
  readonly method: 'GET' | 'POST';
  readonly params: Readonly<Record<string, string>>;
}

export type MarkupReply =
  | { readonly ok: true; readonly body: string; readonly url: string }
  | { readonly ok: false; readonly code: number; readonly message: string };

export function buildRequest(authToken: string, req: HookRequest, timeoutMs: number): OutgoingRequest {
  const headers: Record<string, string> = {
    'user-agent': 'TwilioProxy/1.1',
    accept: '*/*',
    'i-twilio-idempotency-token': crypto.randomUUID(),
  };
  if (req.method === 'GET') {
    const qs = encodeForm(req.params);
    const url = qs === '' ? req.url : `${req.url}${req.url.includes('?') ? '&' : '?'}${qs}`;
    headers['x-twilio-signature'] = twilioSignature(authToken, url, {});
    return { method: 'GET', url, headers, timeoutMs };
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  headers['x-twilio-signature'] = twilioSignature(authToken, req.url, req.params);
  return { method: 'POST', url: req.url, headers, body: encodeForm(req.params), timeoutMs };
}

function isXmlType(contentType: string | string[] | undefined): boolean {
  const v = (Array.isArray(contentType) ? contentType[0] : contentType)?.toLowerCase() ?? '';
  return v.includes('xml') || v.startsWith('text/html');
}

export class TwilioHooks {
  readonly #sender: WebhookSender<HookRequest>;

  constructor(ctx: SimContext, options: ResolvedTwilioOptions) {
    this.#sender = new WebhookSender<HookRequest>(ctx, {
      carrier: 'twilio',
      timeoutMs: options.webhookTimeoutMs,
      build: (req, timeoutMs) => buildRequest(options.authToken, req, timeoutMs),
      loggedParams: (req) => req.params,
    });
  }

  /**
   * Fetches markup. Failures carry Twilio's code: 11200 non-2xx, 11205 connection failure or
   * timeout, 12300 wrong content type, 12100 empty document.
   */
  async fetchMarkup(req: HookRequest, signal?: AbortSignal): Promise<MarkupReply> {
    const outcome = await this.#sender.fetch(req, signal);
    if (!outcome.ok) return { ok: false, code: 11205, message: outcome.message };
    const { reply } = outcome;
    if (reply.status < 200 || reply.status > 299) {
      return { ok: false, code: 11200, message: `HTTP ${reply.status} from ${req.url}` };
    }
    if (!isXmlType(reply.headers['content-type'])) {
      return {
        ok: false,
        code: 12300,
        message: `invalid Content-Type ${String(reply.headers['content-type'])}`,
      };
    }
    if (reply.body.trim() === '') return { ok: false, code: 12100, message: 'empty document' };
    return { ok: true, body: reply.body, url: outcome.url };
  }

  /** Sends a notification (reply only logged), applying callback faults. */
  notify(req: HookRequest): void {
    this.#sender.notify(req);
  }

  /** Resolves once every notification of the call (or conference) queued so far was delivered. */
  settled(key: string): Promise<void> {
    return this.#sender.settled(key);
  }

  /** Aborts requests in flight; later ones fail at once. */
  stop(): void {
    this.#sender.stop();
  }
}
