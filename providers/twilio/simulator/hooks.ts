/**
 * Every request the Twilio simulator makes to the application: markup fetches (voice URL,
 * `<Redirect>`, `action`, `AnnounceUrl`, `<Number url>`) and notifications (call progress,
 * conference events, stream status). Form POST (or GET with the params in the query), signed
 * with `X-Twilio-Signature` over the exact URL called (protocols.md §2.8). Faults from
 * `sim.faults` apply here: slow and timed-out webhooks, duplicated, delayed and reordered callbacks.
 */
import crypto from 'node:crypto';
import type { HookFacts } from '../../../sim/faults.js';
import { hookMatches } from '../../../sim/faults.js';
import type { SimContext } from '../../../sim/front-end.js';
import type { IncomingReply, OutgoingRequest } from '../../../sim/http-client.js';
import { encodeForm } from './form.js';
import type { ResolvedTwilioOptions } from './options.js';
import { twilioSignature } from './signature.js';

export interface HookRequest {
  /** `voice`, `redirect`, `action`, `announce`, `whisper`, `status`, `conference`, `stream-status`. */
  readonly kind: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly params: Readonly<Record<string, string>>;
  readonly callSid?: string;
  readonly conferenceSid?: string;
  /** The callback's event (call status or conference event), for fault matching. */
  readonly event?: string;
}

export type MarkupReply =
  | { readonly ok: true; readonly body: string; readonly url: string }
  | { readonly ok: false; readonly code: number; readonly message: string };

const BODY_LOG_LIMIT = 4000;

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
  readonly #ctx: SimContext;
  readonly #options: ResolvedTwilioOptions;
  /** Reordered callbacks waiting for the next callback of the same call or conference. */
  readonly #held = new Map<string, Array<() => void>>();
  readonly #chains = new Map<string, Promise<void>>();
  /** Aborts every request in flight when the front-end stops. */
  readonly #stopping = new AbortController();

  constructor(ctx: SimContext, options: ResolvedTwilioOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  /**
   * Fetches markup. Failures carry Twilio's code: 11200 non-2xx, 11205 connection failure or
   * timeout, 12300 wrong content type, 12100 empty document.
   */
  async fetchMarkup(req: HookRequest, signal?: AbortSignal): Promise<MarkupReply> {
    const facts = this.#facts(req);
    const slow = this.#ctx.faults.take(
      'webhook.slow',
      (r) => hookMatches(r.match, facts),
      this.#faultCtx(req),
    );
    if (slow && !(await this.#ctx.timers.sleep(slow.delayMs, this.#withStop(signal)))) {
      return { ok: false, code: 11205, message: 'aborted' };
    }
    const timeout = this.#ctx.faults.take(
      'webhook.timeout',
      (r) => hookMatches(r.match, facts),
      this.#faultCtx(req),
    );
    const timeoutMs = timeout?.afterMs ?? this.#options.webhookTimeoutMs;
    const out = buildRequest(this.#options.authToken, req, timeoutMs);
    const startedMs = this.#ctx.clock.nowMs();
    let reply: IncomingReply;
    try {
      reply = await this.#ctx.http.send({ ...out, signal: this.#withStop(signal) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#logSent(req, out, 0, { error: message });
      return { ok: false, code: 11205, message };
    }
    if (timeout) {
      const left = timeoutMs - (this.#ctx.clock.nowMs() - startedMs);
      this.#logSent(req, out, 0, { status: reply.status, error: 'reply ignored: injected timeout' });
      await this.#ctx.timers.sleep(Math.max(0, left), signal);
      return { ok: false, code: 11205, message: `timed out after ${timeoutMs} ms (injected)` };
    }
    this.#logSent(req, out, 0, { status: reply.status, body: reply.body });
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
    return { ok: true, body: reply.body, url: out.url };
  }

  /** Sends a notification (reply only logged), applying callback faults. */
  notify(req: HookRequest): void {
    const facts = this.#facts(req);
    const key = req.conferenceSid ?? req.callSid ?? '';
    const faults = this.#ctx.faults;
    const ctx = this.#faultCtx(req);
    const out = buildRequest(this.#options.authToken, req, this.#options.webhookTimeoutMs);
    const dup = faults.take('callback.duplicate', (r) => hookMatches(r.match, facts), ctx);
    const copies = dup ? (dup.copies ?? 1) : 0;
    const reorder = faults.take('callback.reorder', (r) => hookMatches(r.match, facts), ctx);
    if (reorder) {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        cancel();
        void this.#deliver(req, out, copies);
      };
      const cancel = this.#ctx.timers.after(reorder.holdMs ?? 2000, () => {
        const list = this.#held.get(key);
        if (list) list.splice(list.indexOf(release), 1);
        release();
      });
      const list = this.#held.get(key) ?? [];
      list.push(release);
      this.#held.set(key, list);
      return;
    }
    const delay = faults.take('callback.delay', (r) => hookMatches(r.match, facts), ctx);
    if (delay) {
      this.#ctx.timers.after(delay.delayMs, () => void this.#deliver(req, out, copies));
      return;
    }
    // In order per call (or conference) unless a fault says otherwise: each callback waits
    // for the previous one's reply.
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const sent = previous.then(() => this.#deliver(req, out, copies));
    this.#chains.set(key, sent);
    void sent.then(() => {
      if (this.#chains.get(key) === sent) this.#chains.delete(key);
    });
    const held = this.#held.get(key);
    if (held?.length) {
      this.#held.delete(key);
      void sent.then(() => {
        for (const release of held) release();
      });
    }
  }

  async #deliver(req: HookRequest, out: OutgoingRequest, copies: number): Promise<void> {
    for (let copy = 0; copy <= copies; copy++) {
      if (this.#ctx.timers.stopped) return;
      try {
        const reply = await this.#ctx.http.send({ ...out, signal: this.#stopping.signal });
        this.#logSent(req, out, copy, { status: reply.status, body: reply.body });
      } catch (err) {
        this.#logSent(req, out, copy, { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** Aborts requests in flight; later ones fail at once. */
  stop(): void {
    this.#stopping.abort();
  }

  #withStop(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.#stopping.signal]) : this.#stopping.signal;
  }

  #facts(req: HookRequest): HookFacts {
    return {
      kind: req.kind,
      url: req.url,
      ...(req.event === undefined ? {} : { event: req.event }),
      ...(req.callSid === undefined ? {} : { callSid: req.callSid }),
    };
  }

  #faultCtx(req: HookRequest) {
    return {
      carrier: 'twilio',
      ...(req.callSid === undefined ? {} : { callSid: req.callSid }),
      ...(req.conferenceSid === undefined ? {} : { conferenceSid: req.conferenceSid }),
      detail: `${req.kind} ${req.event ?? ''} ${req.url}`.trim(),
    };
  }

  #logSent(
    req: HookRequest,
    out: OutgoingRequest,
    copy: number,
    result: { status?: number; body?: string; error?: string },
  ): void {
    if (this.#ctx.timers.stopped) return;
    this.#ctx.log.add(
      {
        carrier: 'twilio',
        ...(req.callSid === undefined ? {} : { callSid: req.callSid }),
        ...(req.conferenceSid === undefined ? {} : { conferenceSid: req.conferenceSid }),
      },
      {
        type: 'webhook.sent',
        kind: req.kind,
        method: out.method,
        url: out.url,
        params: req.params,
        copy,
        ...(result.status === undefined ? {} : { status: result.status }),
        ...(result.body === undefined ? {} : { body: result.body.slice(0, BODY_LOG_LIMIT) }),
        ...(result.error === undefined ? {} : { error: result.error }),
      },
    );
  }
}
