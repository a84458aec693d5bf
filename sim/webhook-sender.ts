/**
 * The carrier-neutral webhook sender: every request a front-end makes to the application goes
 * through it. The front-end builds the HTTP request (its signature, headers and body encoding);
 * this applies `sim.faults` (slow and timed-out fetches; duplicated, delayed, reordered and lost
 * notifications), keeps the notifications of one call (or conference) in order, each waiting for
 * the previous one's reply, aborts everything in flight on stop, and logs `webhook.sent`.
 */
import { setMaxListeners } from 'node:events';
import type { Carrier } from '../src/domain/carrier.js';
import { type HookFacts, hookMatches } from './faults.js';
import type { SimContext } from './front-end.js';
import type { IncomingReply, OutgoingRequest } from './http-client.js';

/** What the sender needs to know of a request; front-ends add their params and encoding. */
export interface WebhookRequest {
  /** What the request is for (`voice`, `status`…), for fault matching and the log. */
  readonly kind: string;
  readonly url: string;
  readonly callSid?: string;
  readonly conferenceSid?: string;
  /** The callback's event (a call status, a conference event…), for fault matching. */
  readonly event?: string;
}

/** A fetch's outcome: the reply, or why there is none (all three are a connection failure to the carrier). */
export type FetchOutcome =
  | { readonly ok: true; readonly reply: IncomingReply; readonly url: string }
  | { readonly ok: false; readonly message: string };

export interface WebhookSenderOptions<Q extends WebhookRequest> {
  readonly carrier: Carrier;
  /** Waiting time for a reply, ms. */
  readonly timeoutMs: number;
  /** The HTTP request as the carrier sends it: `fetch` for markup/applet fetches, `notify` for notifications. */
  readonly build: (req: Q, timeoutMs: number, use: 'fetch' | 'notify') => OutgoingRequest;
  /** The params as logged. */
  readonly loggedParams: (req: Q) => Readonly<Record<string, string>>;
  /** The `fault.applied` detail; default `kind event url`, trimmed. */
  readonly faultDetail?: (req: Q) => string;
}

const BODY_LOG_LIMIT = 4000;

/** A reply's body as logged: text as it is, a media file (`<Play>`'s audio) by its size and type. */
function loggedBody(reply: IncomingReply): string {
  const raw = reply.headers['content-type'];
  const type = (Array.isArray(raw) ? raw[0] : raw) ?? '';
  return /^(audio|video|image)\/|octet-stream/i.test(type)
    ? `<${reply.bytes.length} bytes of ${type}>`
    : reply.body;
}

export class WebhookSender<Q extends WebhookRequest> {
  readonly #ctx: SimContext;
  readonly #opts: WebhookSenderOptions<Q>;
  /** Reordered notifications waiting for the next notification of the same call or conference. */
  readonly #held = new Map<string, Array<() => void>>();
  readonly #chains = new Map<string, Promise<void>>();
  /** Aborts every request in flight when the front-end stops. */
  readonly #stopping = new AbortController();

  constructor(ctx: SimContext, opts: WebhookSenderOptions<Q>) {
    this.#ctx = ctx;
    this.#opts = opts;
    // Every request in flight listens to it, as many as the front-end has webhooks under way
    // (a burst of 150 transfers a second has dozens): not a leak, so no warning past ten.
    setMaxListeners(0, this.#stopping.signal);
  }

  /** A fetch the caller waits for, with `webhook.slow`, `webhook.unreachable` and `webhook.timeout` applied. */
  async fetch(req: Q, signal?: AbortSignal): Promise<FetchOutcome> {
    const facts = this.#facts(req);
    const faultCtx = this.#faultCtx(req);
    const slow = this.#ctx.faults.take('webhook.slow', (r) => hookMatches(r.match, facts), faultCtx);
    if (slow && !(await this.#ctx.timers.sleep(slow.delayMs, this.#withStop(signal)))) {
      return { ok: false, message: 'aborted' };
    }
    const unreachable = this.#ctx.faults.take(
      'webhook.unreachable',
      (r) => hookMatches(r.match, facts),
      faultCtx,
    );
    if (unreachable) {
      const message = 'connection refused (injected)';
      this.#log(req, this.#opts.build(req, this.#opts.timeoutMs, 'fetch'), 0, { error: message });
      return { ok: false, message };
    }
    const timeout = this.#ctx.faults.take('webhook.timeout', (r) => hookMatches(r.match, facts), faultCtx);
    const timeoutMs = timeout?.afterMs ?? this.#opts.timeoutMs;
    const out = this.#opts.build(req, timeoutMs, 'fetch');
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
    this.#log(req, out, 0, { status: reply.status, body: loggedBody(reply) });
    return { ok: true, reply, url: out.url };
  }

  /**
   * Sends a notification (reply only logged). In order per call (or conference) unless a fault
   * says otherwise: each waits for the previous one's reply.
   */
  notify(req: Q): void {
    const facts = this.#facts(req);
    const key = this.#key(req);
    const faults = this.#ctx.faults;
    const ctx = this.#faultCtx(req);
    const out = this.#opts.build(req, this.#opts.timeoutMs, 'notify');
    if (faults.take('callback.drop', (r) => hookMatches(r.match, facts), ctx)) {
      this.#log(req, out, 0, { error: 'not delivered: injected loss' });
      return;
    }
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

  /** Resolves once every notification of the call (or conference) queued so far was delivered. */
  settled(key: string): Promise<void> {
    return this.#chains.get(key) ?? Promise.resolve();
  }

  /** Aborts requests in flight; later ones fail at once. */
  stop(): void {
    this.#stopping.abort();
  }

  async #deliver(req: Q, out: OutgoingRequest, copies: number): Promise<void> {
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

  #key(req: Q): string {
    return req.conferenceSid ?? req.callSid ?? '';
  }

  #withStop(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.#stopping.signal]) : this.#stopping.signal;
  }

  #facts(req: Q): HookFacts {
    return {
      kind: req.kind,
      url: req.url,
      ...(req.event === undefined ? {} : { event: req.event }),
      ...(req.callSid === undefined ? {} : { callSid: req.callSid }),
    };
  }

  #ids(req: Q) {
    return {
      carrier: this.#opts.carrier,
      ...(req.callSid === undefined ? {} : { callSid: req.callSid }),
      ...(req.conferenceSid === undefined ? {} : { conferenceSid: req.conferenceSid }),
    };
  }

  #faultCtx(req: Q) {
    const detail = this.#opts.faultDetail?.(req) ?? `${req.kind} ${req.event ?? ''} ${req.url}`.trim();
    return { ...this.#ids(req), detail };
  }

  #log(
    req: Q,
    out: OutgoingRequest,
    copy: number,
    result: { status?: number; body?: string; error?: string },
  ): void {
    if (this.#ctx.timers.stopped) return;
    this.#ctx.log.add(this.#ids(req), {
      type: 'webhook.sent',
      kind: req.kind,
      method: out.method,
      url: out.url,
      params: this.#opts.loggedParams(req),
      copy,
      ...(result.status === undefined ? {} : { status: result.status }),
      ...(result.body === undefined ? {} : { body: result.body.slice(0, BODY_LOG_LIMIT) }),
      ...(result.error === undefined ? {} : { error: result.error }),
    });
  }
}
