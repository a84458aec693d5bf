/**
 * Every request the Exotel simulator makes to the application: applet fetches (the Voicebot's
 * dynamic URL, Passthru, Connect "dial whom") as GETs with the call's details in the query
 * (protocols.md §4.6, §4.7), and notifications (status callbacks, Connect applet events) as
 * multipart or JSON POSTs (§4.5). Exotel signs nothing: a URL's userinfo is sent as Basic auth,
 * which is how the daemon's shared secret reaches it. Faults from `sim.faults` apply here.
 */
import crypto from 'node:crypto';
import { type HookFacts, hookMatches } from '../../../sim/faults.js';
import type { SimContext } from '../../../sim/front-end.js';
import type { IncomingReply, OutgoingRequest } from '../../../sim/http-client.js';
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

const BODY_LOG_LIMIT = 4000;

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

export class ExotelHooks {
  readonly #ctx: SimContext;
  readonly #options: ResolvedExotelOptions;
  /** Reordered notifications waiting for the next notification of the same call. */
  readonly #held = new Map<string, Array<() => void>>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #stopping = new AbortController();

  constructor(ctx: SimContext, options: ResolvedExotelOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  /** An applet's GET; the flow waits for the answer. */
  async fetch(req: ExotelHookRequest, signal?: AbortSignal): Promise<FetchReply> {
    const facts = this.#facts(req);
    const faultCtx = this.#faultCtx(req);
    const slow = this.#ctx.faults.take('webhook.slow', (r) => hookMatches(r.match, facts), faultCtx);
    if (slow && !(await this.#ctx.timers.sleep(slow.delayMs, this.#withStop(signal)))) {
      return { ok: false, message: 'aborted' };
    }
    const timeout = this.#ctx.faults.take('webhook.timeout', (r) => hookMatches(r.match, facts), faultCtx);
    const timeoutMs = timeout?.afterMs ?? this.#options.webhookTimeoutMs;
    const out = buildRequest(req, 'GET', timeoutMs);
    const startedMs = this.#ctx.clock.nowMs();
    let reply: IncomingReply;
    try {
      reply = await this.#ctx.http.send({ ...out, signal: this.#withStop(signal) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#log(req, out, 0, { error: message });
      return { ok: false, message };
    }
    if (timeout) {
      this.#log(req, out, 0, { status: reply.status, error: 'reply ignored: injected timeout' });
      await this.#ctx.timers.sleep(Math.max(0, timeoutMs - (this.#ctx.clock.nowMs() - startedMs)), signal);
      return { ok: false, message: `timed out after ${timeoutMs} ms (injected)` };
    }
    this.#log(req, out, 0, { status: reply.status, body: reply.body });
    const type = reply.headers['content-type'];
    return {
      ok: true,
      status: reply.status,
      body: reply.body,
      contentType: (Array.isArray(type) ? type[0] : type) ?? '',
    };
  }

  /**
   * A POSTed notification, reply only logged. In order per call unless a fault says otherwise:
   * each waits for the previous one's reply.
   */
  notify(req: ExotelHookRequest): void {
    const facts = this.#facts(req);
    const faults = this.#ctx.faults;
    const ctx = this.#faultCtx(req);
    const out = buildRequest(req, 'POST', this.#options.webhookTimeoutMs);
    const dup = faults.take('callback.duplicate', (r) => hookMatches(r.match, facts), ctx);
    const copies = dup ? (dup.copies ?? 1) : 0;
    const key = req.callSid;
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

  /** Resolves once every notification of `callSid` queued so far was delivered. */
  settled(callSid: string): Promise<void> {
    return this.#chains.get(callSid) ?? Promise.resolve();
  }

  stop(): void {
    this.#stopping.abort();
  }

  async #deliver(req: ExotelHookRequest, out: OutgoingRequest, copies: number): Promise<void> {
    for (let copy = 0; copy <= copies; copy++) {
      if (this.#ctx.timers.stopped) return;
      try {
        const reply = await this.#ctx.http.send({ ...out, signal: this.#stopping.signal });
        this.#log(req, out, copy, { status: reply.status, body: reply.body });
      } catch (err) {
        this.#log(req, out, copy, { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  #withStop(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.#stopping.signal]) : this.#stopping.signal;
  }

  #facts(req: ExotelHookRequest): HookFacts {
    return {
      kind: req.kind,
      url: req.url,
      callSid: req.callSid,
      ...(req.event === undefined ? {} : { event: req.event }),
    };
  }

  #faultCtx(req: ExotelHookRequest) {
    return {
      carrier: 'exotel',
      callSid: req.callSid,
      detail: `${req.kind} ${req.event ?? ''} ${req.url}`.trim(),
    };
  }

  #log(
    req: ExotelHookRequest,
    out: OutgoingRequest,
    copy: number,
    result: { status?: number; body?: string; error?: string },
  ): void {
    if (this.#ctx.timers.stopped) return;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.params)) if (value !== null) params[key] = String(value);
    this.#ctx.log.add(
      { carrier: 'exotel', callSid: req.callSid },
      {
        type: 'webhook.sent',
        kind: req.kind,
        method: out.method,
        url: out.url,
        params,
        copy,
        ...(result.status === undefined ? {} : { status: result.status }),
        ...(result.body === undefined ? {} : { body: result.body.slice(0, BODY_LOG_LIMIT) }),
        ...(result.error === undefined ? {} : { error: result.error }),
      },
    );
  }
}
