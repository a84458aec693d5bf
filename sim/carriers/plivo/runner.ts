/**
 * Executes Plivo XML on one call: fetches documents (`answer_url`, `<Redirect>`, a transfer's
 * `aleg_url`, `<Dial action>`), checks them, runs elements in order, and follows Plivo's rules:
 * the next element, an `action` URL, a hang-up at the end of the document, a hang-up when a
 * document cannot be fetched or parsed (after the number's `fallback_url`, when it has one). A
 * transfer interrupts the running element (a keep-alive stream closes, a dial is canceled, a
 * conference is left) and then runs the new document. The document loop is the shared
 * {@link MarkupRunner}'s.
 */
import { aborted } from '../../aborted.js';
import { type LoadedMarkup, type MarkupOutcome, MarkupRunner, resolveUrl } from '../../markup-runner.js';
import type { PlivoCall } from './call.js';
import { executeElement } from './elements/index.js';
import type { PlivoFrontEnd } from './front-end.js';
import { PlivoXmlError, parsePlivoXml } from './xml.js';

export type XmlSource =
  | {
      readonly type: 'url';
      readonly url: string;
      readonly method: 'GET' | 'POST';
      /** `voice`, `redirect`, `transfer` or `action`. */
      readonly kind: string;
      /** Added to the standard params (e.g. `DialStatus`). */
      readonly extraParams?: Readonly<Record<string, string>>;
      /** Tried when this fetch fails (the number's `fallback_url`). */
      readonly fallback?: { readonly url: string; readonly method: 'GET' | 'POST' };
    }
  | { readonly type: 'xml'; readonly xml: string };

/** Why the running element was interrupted. */
export type InterruptReason = 'transfer' | 'hangup';

export type ElementOutcome = MarkupOutcome<XmlSource>;

export interface ElementContext {
  readonly fe: PlivoFrontEnd;
  readonly call: PlivoCall;
  /** Aborted (with an {@link InterruptReason}) when the call is transferred or ends. */
  readonly signal: AbortSignal;
  /** Resolves a URL attribute against the current document's URL; undefined if invalid. */
  resolveUrl(raw: string): string | undefined;
}

export function interruptReason(signal: AbortSignal): InterruptReason {
  return signal.reason === 'transfer' ? 'transfer' : 'hangup';
}

export { aborted, resolveUrl };

type Failure = { readonly message: string };
type Loaded = LoadedMarkup<Failure>;

export class XmlRunner {
  readonly #fe: PlivoFrontEnd;
  readonly #call: PlivoCall;
  readonly #runner: MarkupRunner<XmlSource, Failure>;

  constructor(fe: PlivoFrontEnd, call: PlivoCall) {
    this.#fe = fe;
    this.#call = call;
    this.#runner = new MarkupRunner<XmlSource, Failure>({
      carrier: 'plivo',
      callSid: call.uuid,
      leg: call.leg,
      log: fe.ctx.log,
      replaceReason: 'transfer',
      load: (source, signal) => this.#load(source, signal),
      failed: (failure) => {
        fe.markupError(call.uuid, failure.message);
        call.leg.hangup('failed', 'network', 500);
      },
      // Plivo answers the call when it starts executing XML (PreAnswer aside).
      answersCall: (element) => element.name !== 'PreAnswer',
      execute: (element, signal, baseUrl) =>
        executeElement(element, { fe, call, signal, resolveUrl: (raw) => resolveUrl(raw, baseUrl) }),
      reportError: (err) => fe.reportError(call.uuid, err),
    });
  }

  /** Interrupts whatever runs, waits for its cleanup, then runs `source`; one replacement at a time. */
  replace(source: XmlSource): Promise<void> {
    return this.#runner.replace(source);
  }

  /** Aborts the running document (its elements clean up) and waits until they have. */
  interrupt(reason: InterruptReason): Promise<void> {
    return this.#runner.interrupt(reason);
  }

  async #load(source: XmlSource, signal: AbortSignal): Promise<Loaded> {
    if (source.type === 'xml') return parse(source.xml, undefined);
    const params = { ...this.#call.params(), ...source.extraParams };
    const reply = await this.#fe.hooks.fetchXml(
      { kind: source.kind, url: source.url, method: source.method, params, callSid: this.#call.uuid },
      signal,
    );
    const parsed = reply.ok ? parse(reply.body, source.url) : reply;
    if (parsed.ok || source.fallback === undefined || signal.aborted) return parsed;
    const fallback = await this.#fe.hooks.fetchXml(
      {
        kind: 'fallback',
        url: source.fallback.url,
        method: source.fallback.method,
        params,
        callSid: this.#call.uuid,
      },
      signal,
    );
    return fallback.ok ? parse(fallback.body, source.fallback.url) : fallback;
  }
}

function parse(xml: string, baseUrl: string | undefined): Loaded {
  try {
    return { ok: true, doc: parsePlivoXml(xml), baseUrl };
  } catch (err) {
    if (err instanceof PlivoXmlError) return { ok: false, message: err.message };
    throw err;
  }
}
