/**
 * Executes TwiML on one call: fetches documents (voice URL, `<Redirect>`, `action`), runs verbs
 * in order, and follows Twilio's rules for what comes next: the next verb, an `action` URL,
 * a hang-up at the end of the document, an application error on a failed fetch. A REST update
 * interrupts the running verb (a stream sends `stop` and closes, a dial is canceled, a
 * conference is left) and then runs the new TwiML.
 */
import { SIGNALS } from '../../../sim/audio.js';
import { play } from '../../../sim/player.js';
import type { TwilioCall } from './call.js';
import type { TwilioFrontEnd } from './front-end.js';
import { parseTwiml, type TwimlElement, TwimlParseError } from './twiml-parser.js';
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

export type VerbOutcome =
  | { readonly type: 'next' }
  | { readonly type: 'goto'; readonly source: TwimlSource }
  | { readonly type: 'hangup' }
  /** Stop executing: the call ended or the document was replaced. */
  | { readonly type: 'end' };

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

type Loaded =
  | { ok: true; doc: TwimlElement; baseUrl: string | undefined }
  | { ok: false; code: number; message: string };

export class TwimlRunner {
  readonly #fe: TwilioFrontEnd;
  readonly #call: TwilioCall;
  #abort: AbortController | undefined;
  #running: Promise<void> = Promise.resolve();
  #ops: Promise<void> = Promise.resolve();

  constructor(fe: TwilioFrontEnd, call: TwilioCall) {
    this.#fe = fe;
    this.#call = call;
  }

  /**
   * Interrupts whatever runs, waits for its cleanup, then runs `source`. Replacements are
   * applied one at a time, in the order they were requested.
   */
  replace(source: TwimlSource): Promise<void> {
    const op = this.#ops.then(async () => {
      await this.interrupt('redirect');
      if (this.#call.leg.isEnded) return;
      const abort = new AbortController();
      this.#abort = abort;
      this.#running = this.#execute(source, abort.signal).catch((err: unknown) => {
        this.#fe.reportError(this.#call.sid, err);
      });
    });
    this.#ops = op.catch(() => {});
    return op;
  }

  /** Aborts the running document (its verbs clean up) and waits until they have. */
  async interrupt(reason: InterruptReason): Promise<void> {
    this.#abort?.abort(reason);
    await this.#running;
  }

  async #execute(first: TwimlSource, signal: AbortSignal): Promise<void> {
    let source: TwimlSource | undefined = first;
    while (source && !signal.aborted) {
      const loaded = await this.#load(source, signal);
      if (signal.aborted) return;
      if (!loaded.ok) {
        await this.#applicationError(loaded.code, loaded.message, signal);
        return;
      }
      source = undefined;
      const vc: VerbContext = {
        fe: this.#fe,
        call: this.#call,
        signal,
        resolveUrl: (raw) => resolveUrl(raw, loaded.baseUrl),
      };
      for (const verb of loaded.doc.children) {
        if (signal.aborted) return;
        if (!(verb.name === 'Dial' && verb.attributes['answerOnBridge'] === 'true')) this.#call.leg.answer();
        this.#fe.ctx.log.add(
          { carrier: 'twilio', callSid: this.#call.sid },
          {
            type: 'markup.verb',
            verb: verb.name,
            attributes: verb.attributes,
            ...(verb.text === '' ? {} : { text: verb.text }),
          },
        );
        const outcome = await executeVerb(verb, vc);
        if (outcome.type === 'end' || signal.aborted) return;
        if (outcome.type === 'hangup') {
          this.#call.leg.hangup('completed', 'network');
          return;
        }
        if (outcome.type === 'goto') {
          source = outcome.source;
          break;
        }
      }
      // Twilio hangs up when a document runs out of verbs.
      if (!source && !signal.aborted) this.#call.leg.hangup('completed', 'network');
    }
  }

  async #load(source: TwimlSource, signal: AbortSignal): Promise<Loaded> {
    let xml: string;
    let baseUrl: string | undefined;
    if (source.type === 'twiml') {
      xml = source.xml;
    } else {
      const reply = await this.#fe.hooks.fetchMarkup(
        {
          kind: source.kind,
          url: source.url,
          method: source.method,
          params: { ...this.#call.params(), ...source.extraParams },
          callSid: this.#call.sid,
        },
        signal,
      );
      if (!reply.ok) return reply;
      xml = reply.body;
      baseUrl = source.url;
    }
    try {
      return { ok: true, doc: parseTwiml(xml), baseUrl };
    } catch (err) {
      if (err instanceof TwimlParseError) return { ok: false, code: err.code, message: err.message };
      throw err;
    }
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

/** Absolute http(s) URL, resolved against `base` when relative; undefined if invalid. */
export function resolveUrl(raw: string, base: string | undefined): string | undefined {
  try {
    const url = base === undefined ? new URL(raw) : new URL(raw, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}
