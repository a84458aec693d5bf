/**
 * Runs one call through its flow (App Bazaar, protocols.md §4.1, §4.8): applet after applet,
 * following each one's transitions, until a Hangup applet, an applet with nowhere to go, or the
 * caller hanging up. Voicebot: the stream runs until the bot closes it (one retry when the
 * handshake fails), then `next`. Passthru: a GET; in sync mode 200 → `next`, 302 → `onRedirect`.
 * Connect: dial, then `next` after a conversation or `onNoAnswer`. A flow that loops past
 * `maxAppletsPerCall` is cut with an error (the call hangs up).
 */
import { aborted } from '../../aborted.js';
import type { ExotelCall } from './call.js';
import { runConnect } from './connect.js';
import type { ExotelFrontEnd } from './front-end.js';
import type { ExotelApplet } from './options.js';

export class ExotelFlowRunner {
  readonly #fe: ExotelFrontEnd;
  readonly #call: ExotelCall;
  readonly #applets: ReadonlyMap<string, ExotelApplet>;
  readonly #first: string | undefined;
  readonly #abort = new AbortController();
  #done: Promise<void> | undefined;

  constructor(fe: ExotelFrontEnd, call: ExotelCall, flow: readonly ExotelApplet[]) {
    this.#fe = fe;
    this.#call = call;
    this.#applets = new Map(flow.map((a) => [a.id, a]));
    this.#first = flow[0]?.id;
    void call.leg.ended.then(() => this.#abort.abort());
  }

  /** Starts the flow (once); resolves when it is over. */
  run(): Promise<void> {
    this.#done ??= this.#run().catch((err: unknown) => this.#fe.reportError(this.#call.sid, err));
    return this.#done;
  }

  /** Stops at the current applet (the caller hung up, or the simulator stops). */
  stop(): Promise<void> {
    this.#abort.abort();
    return this.#done ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    const { leg } = this.#call;
    const signal = this.#abort.signal;
    let id = this.#first;
    let count = 0;
    while (id !== undefined && !signal.aborted) {
      count += 1;
      if (count > this.#fe.options.maxAppletsPerCall) {
        this.#fe.markupError(this.#call.sid, `flow ran ${count - 1} applets: cut as a loop`);
        break;
      }
      const applet = this.#applets.get(id);
      if (applet === undefined) {
        this.#fe.markupError(this.#call.sid, `flow has no applet ${id}`);
        break;
      }
      this.#fe.ctx.log.add(
        { carrier: 'exotel', callSid: this.#call.sid },
        { type: 'markup.verb', verb: applet.type, attributes: { id: applet.id } },
      );
      id = await this.#step(applet, signal);
    }
    if (!leg.isEnded) leg.hangup('completed', 'network');
  }

  async #step(applet: ExotelApplet, signal: AbortSignal): Promise<string | undefined> {
    const call = this.#call;
    switch (applet.type) {
      case 'voicebot':
        await this.#voicebot(applet.url, signal);
        return applet.next;
      case 'passthru':
        return this.#passthru(applet, signal);
      case 'connect': {
        const outcome = await runConnect(this.#fe, call, applet, signal);
        return outcome === 'answered' ? applet.next : outcome === 'no-answer' ? applet.onNoAnswer : undefined;
      }
      case 'hangup':
        return undefined;
    }
  }

  /**
   * One Voicebot run; a handshake that fails is tried once more (§4.1). A dynamic URL that fails
   * is a markup error only when no try is left: a first failure the second try mends is not
   * heard by the caller (a request cut by a worker's death, soak seed 31524).
   */
  async #voicebot(configured: string, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; attempt < 2 && !signal.aborted; attempt++) {
      const found = await this.#streamUrl(configured, signal);
      if (found === undefined) return; // the caller hung up meanwhile
      if ('error' in found) {
        // The failed request itself is in the log (`webhook.sent` with its error) either way.
        if (attempt === 1) this.#fe.markupError(this.#call.sid, found.error);
        continue;
      }
      const url = found.url;
      const stream = this.#fe.startStream(this.#call, url);
      const end = await Promise.race([stream.ended, aborted(signal)]);
      if (end === 'aborted') {
        await stream.stop('callended');
        return;
      }
      this.#call.lastStream = {
        streamSid: stream.sid,
        url: stream.url,
        durationSec: stream.durationSec,
        disconnectedBy: end.reason === 'bot-closed' ? 'bot' : 'user',
      };
      if (end.reason !== 'failed') return;
    }
  }

  /**
   * A `ws(s)://` URL as configured, or what the dynamic URL answers (`{"url":…}` or plain text);
   * why not, as a markup error's text; undefined when the caller hung up meanwhile.
   */
  async #streamUrl(
    configured: string,
    signal: AbortSignal,
  ): Promise<{ readonly url: string } | { readonly error: string } | undefined> {
    if (/^wss?:\/\//i.test(configured)) return { url: configured };
    const call = this.#call;
    const reply = await this.#fe.hooks.fetch(
      { kind: 'voicebot', url: configured, params: call.params(), callSid: call.sid },
      signal,
    );
    if (signal.aborted) return undefined; // the caller hung up meanwhile: no error anyone hears
    if (!reply.ok || reply.status !== 200)
      return { error: `voicebot URL: ${reply.ok ? `HTTP ${reply.status}` : reply.message}` };
    let url: unknown = reply.body.trim();
    if (this.#fe.options.dynamicUrlFormat === 'json') {
      try {
        url = (JSON.parse(reply.body) as { url?: unknown }).url;
      } catch {
        url = undefined;
      }
    }
    if (typeof url !== 'string' || !/^wss?:\/\//i.test(url))
      return { error: 'voicebot URL: the answer is not a ws(s):// URL' };
    return { url };
  }

  async #passthru(
    applet: Extract<ExotelApplet, { type: 'passthru' }>,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const call = this.#call;
    const request = this.#fe.hooks.fetch(
      { kind: 'passthru', url: applet.url, params: call.params(), callSid: call.sid },
      signal,
    );
    if (applet.sync === false) {
      void request;
      return applet.next;
    }
    const reply = await request;
    if (signal.aborted) return undefined;
    if (reply.ok && reply.status === 302) return applet.onRedirect;
    if (!reply.ok || reply.status !== 200) {
      // UNCONFIRMED what Exotel does then: the simulator takes the 200 branch and says so.
      this.#fe.markupError(call.sid, `passthru: ${reply.ok ? `HTTP ${reply.status}` : reply.message}`);
    }
    return applet.next;
  }
}
