/**
 * `<Speak>`, `<Play>` and `<Wait>` on a leg: the call's own document or a whisper before a
 * conference. The simulator fetches no audio: `<Speak>` plays a generated signal for a duration
 * proportional to the text, `<Play>` a generated signal per loop; the recording labels them `say`
 * (with the text) and `play` (with the URL).
 */
import { SIGNALS } from '../../../audio.js';
import type { SimContext } from '../../../front-end.js';
import type { Leg } from '../../../leg.js';
import { play } from '../../../player.js';
import type { ResolvedPlivoOptions } from '../options.js';
import type { ElementContext, ElementOutcome } from '../runner.js';
import { intAttr, type XmlElement } from '../xml.js';

/** `loop="0"` repeats "indefinitely"; the simulator stops at this many. */
const MAX_LOOPS = 1000;

function loops(el: XmlElement): number {
  const n = intAttr(el, 'loop', 1);
  if (n < 0) return 1;
  return n === 0 ? MAX_LOOPS : Math.min(n, MAX_LOOPS);
}

/** Plays one `<Speak>`, `<Play>` or `<Wait>`; resolves false if interrupted or the leg ended. */
export async function playAudioElement(
  ctx: SimContext,
  options: ResolvedPlivoOptions,
  leg: Leg,
  el: XmlElement,
  signal: AbortSignal,
  resolveUrl: (raw: string) => string | undefined,
): Promise<boolean> {
  if (el.name === 'Wait') {
    const seconds = Math.max(0, intAttr(el, 'length', 1));
    return (await ctx.timers.sleep(seconds * 1000, signal)) && !leg.isEnded;
  }
  const n = loops(el);
  if (el.name === 'Speak') {
    const ms = Math.max(400, el.text.length * options.sayMsPerChar) * n;
    return play(ctx.ticker, leg, { source: 'say', text: el.text }, SIGNALS.say(ms), signal).done;
  }
  const url = resolveUrl(el.text) ?? el.text;
  return play(ctx.ticker, leg, { source: 'play', url }, SIGNALS.play(options.playDurationMs * n), signal)
    .done;
}

export async function audioElement(el: XmlElement, ec: ElementContext): Promise<ElementOutcome> {
  const { fe, call, signal } = ec;
  const played = await playAudioElement(fe.ctx, fe.options, call.leg, el, signal, ec.resolveUrl);
  return played ? { type: 'next' } : { type: 'end' };
}

/** `<Redirect method>URL</Redirect>`: the document at URL replaces this one. */
export function redirectElement(el: XmlElement, ec: ElementContext): ElementOutcome {
  const url = ec.resolveUrl(el.text);
  if (!url) {
    ec.fe.markupError(ec.call.uuid, `<Redirect> has an invalid URL: ${el.text}`);
    return { type: 'hangup' };
  }
  const method = el.attributes['method']?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  return { type: 'goto', source: { type: 'url', url, method, kind: 'redirect' } };
}

/** `<Hangup>` now, or `schedule="N"`: hang up in N seconds and go on meanwhile. */
export function hangupElement(el: XmlElement, ec: ElementContext): ElementOutcome {
  const schedule = intAttr(el, 'schedule', 0);
  if (schedule <= 0) return { type: 'hangup' };
  const leg = ec.call.leg;
  const cancel = ec.fe.ctx.timers.after(schedule * 1000, () => leg.hangup('completed', 'network'));
  void leg.ended.then(cancel);
  return { type: 'next' };
}
