/**
 * Executes TwiML on one call: fetches documents (voice URL, `<Redirect>`, `action`), runs verbs
 * in order, and follows Twilio's rules for what comes next: the next verb, an `action` URL,
 * a hang-up at the end of the document, an application error on a failed fetch. A REST update
 * interrupts the running verb (a stream sends `stop` and closes, a dial is canceled, a
 * conference is left) and then runs the new TwiML. The document loop is the shared
 * {@link MarkupRunner}'s.
 */
import { SIGNALS } from '../../audio.js';
import { type LoadedMarkup, type MarkupOutcome, MarkupRunner, resolveUrl } from '../../markup-runner.js';
import { play } from '../../player.js';
import type { TwilioCall } from './call.js';
import type { TwilioFrontEnd } from './front-end.js';
import { parseTwiml, TwimlParseError } from './twiml-parser.js';
import { executeVerb } from './verbs/index.js';

export type TwimlSource =
  | {
      readonly type: 'url';
      readonly url: string;
      readonly method: 'GET' | 'POST';
      /** `voice`, `redirect` or `action`. */
      readonly kind: string;
      /** Added to the standard params (e.g. `DialCallStatus`). */
      readonly extraParams?: Readonly<Record<string, string>>;
    }
  | { readonly type: 'twiml'; readonly xml: string };

/** Why the running verb was interrupted. */
export type InterruptReason = 'redirect' | 'hangup';

export type VerbOutcome = MarkupOutcome<TwimlSource>;

export interface VerbContext {
  readonly fe: TwilioFrontEnd;
  readonly call: TwilioCall;
  /** Aborted (with an {@link InterruptReason}) when the call is redirected or ends. */
  readonly signal: AbortSignal;
  /** Resolves a URL attribute against the current document's URL; undefined if invalid. */
  resolveUrl(raw: string): string | undefined;
}

/** Twilio's spoken application error. */
export const APPLICATION_ERROR_TEXT = 'We are sorry, an application error has occurred. Goodbye.';

export function interruptReason(signal: AbortSignal): InterruptReason {
  return signal.reason === 'redirect' ? 'redirect' : 'hangup';
}

type Failure = { readonly code: number; readonly message: string };

export class TwimlRunner {
  readonly #fe: TwilioFrontEnd;
  readonly #call: TwilioCall;
  readonly #runner: MarkupRunner<TwimlSource, Failure>;

  constructor(fe: TwilioFrontEnd, call: TwilioCall) {
    this.#fe = fe;
    this.#call = call;
    this.#runner = new MarkupRunner<TwimlSource, Failure>({
      carrier: 'twilio',
      callSid: call.sid,
      leg: call.leg,
      log: fe.ctx.log,
      replaceReason: 'redirect',
      load: (source, signal) => this.#load(source, signal),
      failed: (failure, signal) => this.#applicationError(failure.code, failure.message, signal),
      answersCall: (verb) => !(verb.name === 'Dial' && verb.attributes['answerOnBridge'] === 'true'),
      execute: (verb, signal, baseUrl) =>
        executeVerb(verb, { fe, call, signal, resolveUrl: (raw) => resolveUrl(raw, baseUrl) }),
      reportError: (err) => fe.reportError(call.sid, err),
    });
  }

  /**
   * Interrupts whatever runs, waits for its cleanup, then runs `source`. Replacements are
   * applied one at a time, in the order they were requested.
   */
  replace(source: TwimlSource): Promise<void> {
    return this.#runner.replace(source);
  }

  /** Aborts the running document (its verbs clean up) and waits until they have. */
  interrupt(reason: InterruptReason): Promise<void> {
    return this.#runner.interrupt(reason);
  }

  async #load(source: TwimlSource, signal: AbortSignal): Promise<LoadedMarkup<Failure>> {
    if (source.type === 'twiml') return parse(source.xml, undefined);
    const params = { ...this.#call.params(), ...source.extraParams };
    const reply = await this.#fe.hooks.fetchMarkup(
      { kind: source.kind, url: source.url, method: source.method, params, callSid: this.#call.sid },
      signal,
    );
    const loaded = reply.ok ? parse(reply.body, source.url) : reply;
    const fallback = this.#call.fallback;
    if (loaded.ok || fallback === undefined || signal.aborted) return loaded;
    // "If Twilio is unable to retrieve or execute TwiML from your web server, a request is
    // immediately made to the Fallback URL" with `ErrorCode` and `ErrorUrl` (availability docs).
    const second = await this.#fe.hooks.fetchMarkup(
      {
        kind: 'fallback',
        url: fallback.url,
        method: fallback.method,
        params: { ...params, ErrorCode: String(loaded.code), ErrorUrl: source.url },
        callSid: this.#call.sid,
      },
      signal,
    );
    return second.ok ? parse(second.body, fallback.url) : second;
  }

  async #applicationError(code: number, message: string, signal: AbortSignal): Promise<void> {
    const { ctx, options } = this.#fe;
    ctx.log.add({ carrier: 'twilio', callSid: this.#call.sid }, { type: 'markup.error', code, message });
    const leg = this.#call.leg;
    if (options.onApplicationError === 'say-and-hangup' && !leg.isEnded) {
      leg.answer();
      const ms = Math.max(400, APPLICATION_ERROR_TEXT.length * options.sayMsPerChar);
      await play(ctx.ticker, leg, { source: 'say', text: APPLICATION_ERROR_TEXT }, SIGNALS.say(ms), signal)
        .done;
    }
    if (!signal.aborted) leg.hangup('completed', 'network');
  }
}

function parse(xml: string, baseUrl: string | undefined): LoadedMarkup<Failure> {
  try {
    return { ok: true, doc: parseTwiml(xml), baseUrl };
  } catch (err) {
    if (err instanceof TwimlParseError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

export { resolveUrl };
