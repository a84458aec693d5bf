/**
 * Every request the Exotel simulator makes to the application: applet fetches (the Voicebot's
 * dynamic URL, Passthru, Connect "dial whom") as GETs with the call's details in the query
 * (protocols.md §4.6, §4.7), and notifications (status callbacks, Connect applet events) as
 * multipart or JSON POSTs (§4.5). Exotel signs nothing: a URL's userinfo is sent as Basic auth,
 * which is how the daemon's shared secret reaches it. Faults, ordering and the log are the shared
 * {@link WebhookSender}'s.
 */
import crypto from 'node:crypto';
import type { SimContext } from '../../front-end.js';
import type { OutgoingRequest } from '../../http-client.js';
import { WebhookSender } from '../../webhook-sender.js';
import type { ResolvedExotelOptions } from './options.js';

export type HookParams = Readonly<Record<string, string | number | null>>;

export interface ExotelHookRequest {
  /** `voicebot`, `passthru`, `dial-whom` (fetches); `status`, `connect-event` (notifications). */
  readonly kind: string;
  readonly url: string;
  readonly params: HookParams;
  readonly callSid: string;
  /** For fault matching: a status or an event type. */
  readonly event?: string;
  /** Notifications: multipart (Exotel's default) or JSON. */
  readonly contentType?: 'multipart' | 'json';
  readonly headers?: Readonly<Record<string, string>>;
}

export type FetchReply =
  | { readonly ok: true; readonly status: number; readonly body: string; readonly contentType: string }
  | { readonly ok: false; readonly message: string };

/** Builds the HTTP request: userinfo → `Authorization: Basic`, GET params in the query. */
export function buildRequest(
  req: ExotelHookRequest,
  method: 'GET' | 'POST',
  timeoutMs: number,
): OutgoingRequest {
  const url = new URL(req.url);
  const headers: Record<string, string> = { 'user-agent': 'Exotel/1.0', accept: '*/*', ...req.headers };
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  if (method === 'GET') {
    for (const [key, value] of Object.entries(req.params)) {
      if (value !== null) url.searchParams.append(key, String(value));
    }
    return { method, url: url.toString(), headers, timeoutMs };
  }
  if (req.contentType === 'json') {
    headers['content-type'] = 'application/json';
    return { method, url: url.toString(), headers, body: JSON.stringify(req.params), timeoutMs };
  }
  const boundary = `----exotel${crypto.randomBytes(8).toString('hex')}`;
  headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  const parts = Object.entries(req.params).map(
    ([key, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value ?? ''}\r\n`,
  );
  return { method, url: url.toString(), headers, body: `${parts.join('')}--${boundary}--\r\n`, timeoutMs };
}

/** The params as logged: `null` left out, numbers as text. */
function loggedParams(req: ExotelHookRequest): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.params)) if (value !== null) params[key] = String(value);
  return params;
}

export class ExotelHooks {
  readonly #sender: WebhookSender<ExotelHookRequest>;

  constructor(ctx: SimContext, options: ResolvedExotelOptions) {
    this.#sender = new WebhookSender<ExotelHookRequest>(ctx, {
      carrier: 'exotel',
      timeoutMs: options.webhookTimeoutMs,
      build: (req, timeoutMs, use) => buildRequest(req, use === 'fetch' ? 'GET' : 'POST', timeoutMs),
      loggedParams,
    });
  }

  /** An applet's GET; the flow waits for the answer. */
  async fetch(req: ExotelHookRequest, signal?: AbortSignal): Promise<FetchReply> {
    const outcome = await this.#sender.fetch(req, signal);
    if (!outcome.ok) return outcome;
    const type = outcome.reply.headers['content-type'];
    return {
      ok: true,
      status: outcome.reply.status,
      body: outcome.reply.body,
      contentType: (Array.isArray(type) ? type[0] : type) ?? '',
    };
  }

  /**
   * A POSTed notification, reply only logged. In order per call unless a fault says otherwise:
   * each waits for the previous one's reply.
   */
  notify(req: ExotelHookRequest): void {
    this.#sender.notify(req);
  }

  /** Resolves once every notification of `callSid` queued so far was delivered. */
  settled(callSid: string): Promise<void> {
    return this.#sender.settled(callSid);
  }

  stop(): void {
    this.#sender.stop();
  }
}
