/**
 * Every request the Plivo simulator makes to the application: XML fetches (`answer_url`,
 * `<Redirect>`, a transfer's `aleg_url`, `<Dial action>`, `waitSound`) and notifications
 * (`ring_url`, `hangup_url`, `<Dial callbackUrl>`, `<Conference callbackUrl>`, stream status).
 * Form POST (or GET with the params in the query), signed with `X-Plivo-Signature-V3` and its
 * nonce (protocols.md §3.7) over the exact URL called. Faults from `sim.faults` apply here.
 */
import crypto from 'node:crypto';
import { type HookFacts, hookMatches } from '../../../sim/faults.js';
import type { SimContext } from '../../../sim/front-end.js';
import type { IncomingReply, OutgoingRequest } from '../../../sim/http-client.js';
import { plivoSignatureV3 } from '../signature-v3.js';
import type { ResolvedPlivoOptions } from './options.js';

export interface HookRequest {
  /** `voice`, `redirect`, `transfer`, `action`, `wait` (XML); `status`, `dial`, `conference`, `stream-status`. */
  readonly kind: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly params: Readonly<Record<string, string>>;
  readonly callSid?: string;
  readonly conferenceSid?: string;
  /** The callback's event (`ringing`, `completed`, `enter`, …), for fault matching. */
  readonly event?: string;
}

export type XmlReply =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly message: string };

const BODY_LOG_LIMIT = 4000;

/** 20 random decimal digits, like Plivo's nonces (§3.7). */
function nonce(): string {
  let out = '';
  for (const byte of crypto.randomBytes(20)) out += String(byte % 10);
  return out;
}

export function buildRequest(authToken: string, req: HookRequest, timeoutMs: number): OutgoingRequest {
  const n = nonce();
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
    sign(plivoSignatureV3(authToken, 'GET', url, {}, n));
    return { method: 'GET', url, headers, timeoutMs };
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  sign(plivoSignatureV3(authToken, 'POST', req.url, req.params, n));
  return { method: 'POST', url: req.url, headers, body, timeoutMs };
}

function isXmlType(contentType: string | string[] | undefined): boolean {
  const v = (Array.isArray(contentType) ? contentType[0] : contentType)?.toLowerCase() ?? '';
  return v.includes('xml');
}

export class PlivoHooks {
  readonly #ctx: SimContext;
  readonly #options: ResolvedPlivoOptions;
  /** Reordered callbacks waiting for the next callback of the same call or conference. */
  readonly #held = new Map<string, Array<() => void>>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #stopping = new AbortController();

  constructor(ctx: SimContext, options: ResolvedPlivoOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  /** Fetches XML: a non-2xx status, a failed connection, a non-XML type or an empty body fail. */
  async fetchXml(req: HookRequest, signal?: AbortSignal): Promise<XmlReply> {
    const facts = this.#facts(req);
    const faultCtx = this.#faultCtx(req);
    const slow = this.#ctx.faults.take('webhook.slow', (r) => hookMatches(r.match, facts), faultCtx);
    if (slow && !(await this.#ctx.timers.sleep(slow.delayMs, this.#withStop(signal)))) {
      return { ok: false, message: 'aborted' };
    }
    const timeout = this.#ctx.faults.take('webhook.timeout', (r) => hookMatches(r.match, facts), faultCtx);
    const timeoutMs = timeout?.afterMs ?? this.#options.webhookTimeoutMs;
    const out = buildRequest(this.#options.authToken, req, timeoutMs);
    const startedMs = this.#ctx.clock.nowMs();
    let reply: IncomingReply;
    try {
      reply = await this.#ctx.http.send({ ...out, signal: this.#withStop(signal) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#logSent(req, out, 0, { error: message });
      return { ok: false, message };
    }
    if (timeout) {
      this.#logSent(req, out, 0, { status: reply.status, error: 'reply ignored: injected timeout' });
      await this.#ctx.timers.sleep(Math.max(0, timeoutMs - (this.#ctx.clock.nowMs() - startedMs)), signal);
      return { ok: false, message: `timed out after ${timeoutMs} ms (injected)` };
    }
    this.#logSent(req, out, 0, { status: reply.status, body: reply.body });
    if (reply.status < 200 || reply.status > 299)
      return { ok: false, message: `HTTP ${reply.status} from ${req.url}` };
    if (!isXmlType(reply.headers['content-type'])) {
      return { ok: false, message: `invalid Content-Type ${String(reply.headers['content-type'])}` };
    }
    if (reply.body.trim() === '') return { ok: false, message: 'empty document' };
    return { ok: true, body: reply.body };
  }

  /** Sends a notification (reply only logged), in order per call or conference, applying callback faults. */
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
      this.#held.set(key, [...(this.#held.get(key) ?? []), release]);
      return;
    }
    const delay = faults.take('callback.delay', (r) => hookMatches(r.match, facts), ctx);
    if (delay) {
      this.#ctx.timers.after(delay.delayMs, () => void this.#deliver(req, out, copies));
      return;
    }
    // Each callback of a call waits for the previous one's reply.
    const sent = (this.#chains.get(key) ?? Promise.resolve()).then(() => this.#deliver(req, out, copies));
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

  /** Aborts requests in flight; later ones fail at once. */
  stop(): void {
    this.#stopping.abort();
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
      carrier: 'plivo',
      ...(req.callSid === undefined ? {} : { callSid: req.callSid }),
      ...(req.conferenceSid === undefined ? {} : { conferenceSid: req.conferenceSid }),
      detail: `${req.kind} ${req.event ?? ''} ${req.url}`.replace(/\s+/g, ' '),
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
        carrier: 'plivo',
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
