/**
 * Executes Plivo XML on one call: fetches documents (`answer_url`, `<Redirect>`, a transfer's
 * `aleg_url`, `<Dial action>`), checks them, runs elements in order, and follows Plivo's rules:
 * the next element, an `action` URL, a hang-up at the end of the document, a hang-up when a
 * document cannot be fetched or parsed (after the number's `fallback_url`, when it has one). A
 * transfer interrupts the running element (a keep-alive stream closes, a dial is canceled, a
 * conference is left) and then runs the new document.
 */
import type { PlivoCall } from './call.js';
import { executeElement } from './elements/index.js';
import type { PlivoFrontEnd } from './front-end.js';
import { PlivoXmlError, parsePlivoXml, type XmlElement } from './xml.js';

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

export type ElementOutcome =
  | { readonly type: 'next' }
  | { readonly type: 'goto'; readonly source: XmlSource }
  | { readonly type: 'hangup' }
  /** Stop executing: the call ended or the document was replaced. */
  | { readonly type: 'end' };

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

/** Resolves when `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

type Loaded = { ok: true; doc: XmlElement; baseUrl: string | undefined } | { ok: false; message: string };

export class XmlRunner {
  readonly #fe: PlivoFrontEnd;
  readonly #call: PlivoCall;
  #abort: AbortController | undefined;
  #running: Promise<void> = Promise.resolve();
  #ops: Promise<void> = Promise.resolve();

  constructor(fe: PlivoFrontEnd, call: PlivoCall) {
    this.#fe = fe;
    this.#call = call;
  }

  /** Interrupts whatever runs, waits for its cleanup, then runs `source`; one replacement at a time. */
  replace(source: XmlSource): Promise<void> {
    const op = this.#ops.then(async () => {
      await this.interrupt('transfer');
      if (this.#call.leg.isEnded) return;
      const abort = new AbortController();
      this.#abort = abort;
      this.#running = this.#execute(source, abort.signal).catch((err: unknown) => {
        this.#fe.reportError(this.#call.uuid, err);
      });
    });
    this.#ops = op.catch(() => {});
    return op;
  }

  /** Aborts the running document (its elements clean up) and waits until they have. */
  async interrupt(reason: InterruptReason): Promise<void> {
    this.#abort?.abort(reason);
    await this.#running;
  }

  async #execute(first: XmlSource, signal: AbortSignal): Promise<void> {
    let source: XmlSource | undefined = first;
    while (source && !signal.aborted) {
      const loaded = await this.#load(source, signal);
      if (signal.aborted) return;
      if (!loaded.ok) {
        this.#fe.markupError(this.#call.uuid, loaded.message);
        this.#call.leg.hangup('failed', 'network', 500);
        return;
      }
      source = undefined;
      const ec: ElementContext = {
        fe: this.#fe,
        call: this.#call,
        signal,
        resolveUrl: (raw) => resolveUrl(raw, loaded.baseUrl),
      };
      for (const element of loaded.doc.children) {
        if (signal.aborted) return;
        // Plivo answers the call when it starts executing XML (PreAnswer aside).
        if (element.name !== 'PreAnswer') this.#call.leg.answer();
        this.#fe.ctx.log.add(
          { carrier: 'plivo', callSid: this.#call.uuid },
          {
            type: 'markup.verb',
            verb: element.name,
            attributes: element.attributes,
            ...(element.text === '' ? {} : { text: element.text }),
          },
        );
        const outcome = await executeElement(element, ec);
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
      // Plivo hangs up when a document runs out of elements.
      if (!source && !signal.aborted) this.#call.leg.hangup('completed', 'network');
    }
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

/** Absolute http(s) URL, resolved against `base` when relative; undefined if invalid. */
export function resolveUrl(raw: string, base: string | undefined): string | undefined {
  try {
    const url = base === undefined ? new URL(raw) : new URL(raw, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}
