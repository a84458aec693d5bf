/**
 * `<Conference waitSound>` as Plivo runs it. Plivo's docs: the URL "is fetched with an HTTP POST
 * request; the application at the URL must return an XML with Play, Speak and/or Wait elements";
 * without it a member waiting for the conference to start hears nothing (Plivo has no default
 * music). Plivo's own conference code (plivoframework `Conference._prepare_moh`) prepares the
 * sounds before the member enters: each `<Play>` file fetched, `loop="0"` playing it until the
 * conference starts (and ending the list), `<Wait>` a silence; a fetch that fails leaves the
 * member in silence.
 *
 * The simulator is no kinder: the document is signed and fetched like every other; any other
 * element refuses the whole document; each `<Play>` file is fetched (GET) and must be served
 * with an `audio/` type and be a WAV or MP3 — a file that fails is skipped; once the list has
 * played the member waits in silence (a hold that should last must loop). What is heard is
 * labelled `hold`, with the played file's URL (`<Play>`) or the text (`<Speak>`).
 */
import { bufferSource, type FrameSource, SIGNALS } from '../../audio.js';
import { decodeAudioFile } from '../../audio-file.js';
import type { AudioLabel } from '../../heard.js';
import type { Leg } from '../../leg.js';
import { play } from '../../player.js';
import type { ElementContext } from './runner.js';
import { intAttr, PlivoXmlError, parsePlivoXml, type XmlElement } from './xml.js';

const WAIT_ELEMENTS: ReadonlySet<string> = new Set(['Play', 'Speak', 'Wait']);

/** One step of a prepared `waitSound`. */
export type WaitStep =
  | {
      readonly type: 'sound';
      readonly label: AudioLabel;
      /** A fresh source of one play-through. */
      readonly once: () => FrameSource;
      /** Play-throughs; `Infinity` for `loop="0"`. */
      readonly loops: number;
    }
  | { readonly type: 'silence'; readonly ms: number };

/** `loop`: 1 by default, `0` forever; anything else invalid plays once. */
function loops(el: XmlElement): number {
  const n = intAttr(el, 'loop', 1);
  return n === 0 ? Number.POSITIVE_INFINITY : Math.max(1, n);
}

/**
 * Fetches the `waitSound` XML and every file it plays; `undefined` (silence, the reason logged as
 * a markup error) when there is none or the document cannot be used.
 */
export async function prepareWaitSound(el: XmlElement, ec: ElementContext): Promise<WaitStep[] | undefined> {
  const raw = el.attributes['waitSound'];
  if (raw === undefined || raw === '') return undefined;
  const { fe, call, signal } = ec;
  const url = ec.resolveUrl(raw);
  if (url === undefined) {
    fe.markupError(call.uuid, `<Conference waitSound> is not a valid URL: ${raw}`);
    return undefined;
  }
  const reply = await fe.hooks.fetchXml(
    { kind: 'wait', url, method: 'POST', params: call.params(), callSid: call.uuid },
    signal,
  );
  // The call moved on (hung up, redirected) while Plivo fetched: nobody is left to hear an error.
  if (signal.aborted) return undefined;
  if (!reply.ok) {
    fe.markupError(call.uuid, `waitSound: ${reply.message}`);
    return undefined;
  }
  let children: readonly XmlElement[];
  try {
    children = parsePlivoXml(reply.body).children;
  } catch (err) {
    if (!(err instanceof PlivoXmlError)) throw err;
    fe.markupError(call.uuid, `waitSound: ${err.message}`);
    return undefined;
  }
  const other = children.find((c) => !WAIT_ELEMENTS.has(c.name));
  if (other !== undefined) {
    fe.markupError(call.uuid, `waitSound: <${other.name}> is not allowed (only Play, Speak, Wait)`);
    return undefined;
  }
  const steps: WaitStep[] = [];
  for (const child of children) {
    if (signal.aborted) return undefined;
    const step = await prepareStep(child, ec, url);
    if (step === undefined) continue;
    steps.push(step);
    if (step.type === 'sound' && step.loops === Number.POSITIVE_INFINITY) break;
  }
  return steps;
}

async function prepareStep(
  el: XmlElement,
  ec: ElementContext,
  docUrl: string,
): Promise<WaitStep | undefined> {
  const { fe, call, signal } = ec;
  if (el.name === 'Wait') return { type: 'silence', ms: Math.max(0, intAttr(el, 'length', 1)) * 1000 };
  if (el.name === 'Speak') {
    const ms = Math.max(400, el.text.length * fe.options.sayMsPerChar);
    return {
      type: 'sound',
      label: { source: 'hold', text: el.text },
      once: () => SIGNALS.say(ms),
      loops: loops(el),
    };
  }
  const fileUrl = resolveAgainst(el.text.trim(), docUrl);
  if (fileUrl === undefined) {
    fe.markupError(call.uuid, `waitSound: <Play> has an invalid URL: ${el.text}`);
    return undefined;
  }
  const file = await fe.hooks.fetchFile(
    { kind: 'play', url: fileUrl, method: 'GET', params: {}, callSid: call.uuid },
    signal,
  );
  if (signal.aborted) return undefined;
  if (!file.ok) {
    fe.markupError(call.uuid, `waitSound: <Play> ${file.message}`);
    return undefined;
  }
  const audio = file.contentType.toLowerCase().startsWith('audio/') ? decodeAudioFile(file.bytes) : undefined;
  if (audio === undefined) {
    fe.markupError(call.uuid, `waitSound: <Play> ${fileUrl} is not a WAV or MP3 file (${file.contentType})`);
    return undefined;
  }
  const label: AudioLabel = { source: 'hold', url: fileUrl };
  const once =
    audio.type === 'mulaw' ? () => bufferSource(audio.data) : () => SIGNALS.play(fe.options.playDurationMs);
  return { type: 'sound', label, once, loops: loops(el) };
}

function resolveAgainst(raw: string, base: string): string | undefined {
  try {
    const url = new URL(raw, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Plays the prepared steps to `leg` until they run out or `signal` aborts (the conference started). */
export async function playWaitSound(
  steps: readonly WaitStep[],
  ec: ElementContext,
  leg: Leg,
  signal: AbortSignal,
): Promise<void> {
  const { ticker, timers } = ec.fe.ctx;
  for (const step of steps) {
    if (signal.aborted || leg.isEnded) return;
    if (step.type === 'silence') {
      if (!(await timers.sleep(step.ms, signal))) return;
      continue;
    }
    if (!(await play(ticker, leg, step.label, repeat(step.once, step.loops), signal).done)) return;
  }
}

/** `n` play-throughs of a source back to back, with no frame between them. */
function repeat(once: () => FrameSource, n: number): FrameSource {
  let current = once();
  let done = 0;
  let fresh = true;
  return {
    next() {
      for (;;) {
        const frame = current.next();
        if (frame !== undefined) {
          fresh = false;
          return frame;
        }
        done++;
        // An empty file ends the loop: nothing would ever be heard from it.
        if (fresh || done >= n) return undefined;
        current = once();
        fresh = true;
      }
    },
  };
}
