/**
 * The carrier-neutral part of running markup (TwiML, Plivo XML) on one call: documents replace
 * one another one at a time (the running one is aborted and its elements clean up first), each
 * element is logged as `markup.verb` as it starts, and the carrier's element executor says what
 * comes next: the next element, another document, a hang-up, or the end. A document that runs out
 * of elements hangs up (Twilio and Plivo both do). Loading, answering and failures are the
 * front-end's.
 */
import type { Carrier } from '../src/domain/carrier.js';
import type { Leg } from './leg.js';
import type { SimLog } from './log.js';
import type { MarkupElement } from './markup-parser.js';

export type MarkupOutcome<S> =
  | { readonly type: 'next' }
  | { readonly type: 'goto'; readonly source: S }
  | { readonly type: 'hangup' }
  /** Stop executing: the call ended or the document was replaced. */
  | { readonly type: 'end' };

/** A loaded document and the URL relative URLs in it resolve against, or the front-end's failure. */
export type LoadedMarkup<F> =
  | { readonly ok: true; readonly doc: MarkupElement; readonly baseUrl: string | undefined }
  | ({ readonly ok: false } & F);

export interface MarkupRunnerOptions<S, F> {
  readonly carrier: Carrier;
  readonly callSid: string;
  readonly leg: Leg;
  readonly log: SimLog;
  /** The abort reason of a replacement (`redirect`, `transfer`). */
  readonly replaceReason: string;
  load(source: S, signal: AbortSignal): Promise<LoadedMarkup<F>>;
  /** A document could not be loaded: the carrier's error, then the call's end. */
  failed(failure: F, signal: AbortSignal): Promise<void> | void;
  /** Whether the call is answered as `element` starts. */
  answersCall(element: MarkupElement): boolean;
  execute(
    element: MarkupElement,
    signal: AbortSignal,
    baseUrl: string | undefined,
  ): Promise<MarkupOutcome<S>>;
  /** An unexpected error of a run (the front-end logs it). */
  reportError(err: unknown): void;
}

export class MarkupRunner<S, F> {
  readonly #opts: MarkupRunnerOptions<S, F>;
  #abort: AbortController | undefined;
  #running: Promise<void> = Promise.resolve();
  #ops: Promise<void> = Promise.resolve();

  constructor(opts: MarkupRunnerOptions<S, F>) {
    this.#opts = opts;
  }

  /**
   * Interrupts whatever runs, waits for its cleanup, then runs `source`. Replacements are
   * applied one at a time, in the order they were requested.
   */
  replace(source: S): Promise<void> {
    const op = this.#ops.then(async () => {
      await this.interrupt(this.#opts.replaceReason);
      if (this.#opts.leg.isEnded) return;
      const abort = new AbortController();
      this.#abort = abort;
      this.#running = this.#execute(source, abort.signal).catch((err: unknown) =>
        this.#opts.reportError(err),
      );
    });
    this.#ops = op.catch(() => {});
    return op;
  }

  /** Aborts the running document (its elements clean up) and waits until they have. */
  async interrupt(reason: string): Promise<void> {
    this.#abort?.abort(reason);
    await this.#running;
  }

  async #execute(first: S, signal: AbortSignal): Promise<void> {
    const { leg, log, carrier, callSid } = this.#opts;
    let source: S | undefined = first;
    while (source && !signal.aborted) {
      const loaded = await this.#opts.load(source, signal);
      if (signal.aborted) return;
      if (!loaded.ok) {
        await this.#opts.failed(loaded, signal);
        return;
      }
      source = undefined;
      for (const element of loaded.doc.children) {
        if (signal.aborted) return;
        if (this.#opts.answersCall(element)) leg.answer();
        log.add(
          { carrier, callSid },
          {
            type: 'markup.verb',
            verb: element.name,
            attributes: element.attributes,
            ...(element.text === '' ? {} : { text: element.text }),
          },
        );
        const outcome = await this.#opts.execute(element, signal, loaded.baseUrl);
        if (outcome.type === 'end' || signal.aborted) return;
        if (outcome.type === 'hangup') {
          leg.hangup('completed', 'network');
          return;
        }
        if (outcome.type === 'goto') {
          source = outcome.source;
          break;
        }
      }
      // A document that runs out of elements hangs up.
      if (!source && !signal.aborted) leg.hangup('completed', 'network');
    }
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
