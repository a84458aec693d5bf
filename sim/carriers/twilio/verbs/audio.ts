/**
 * `<Say>`, `<Play>` and `<Pause>` on any leg: the call's own document, a `<Number url>` whisper
 * or a conference announcement. The simulator fetches no audio: `<Say>` plays a generated
 * signal for a duration proportional to the text, `<Play>` a generated signal per loop; the
 * recording labels them `say` (with the text) and `play` (with the URL).
 */
import { SIGNALS } from '../../../audio.js';
import type { SimContext } from '../../../front-end.js';
import type { Leg } from '../../../leg.js';
import { play } from '../../../player.js';
import type { ResolvedTwilioOptions } from '../options.js';
import type { TwimlElement } from '../twiml-parser.js';

/** Twilio repeats `loop="0"` up to 1000 times. */
const MAX_LOOPS = 1000;

function loops(verb: TwimlElement): number {
  const raw = verb.attributes['loop'];
  if (raw === undefined) return 1;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < 0) return 1;
  return n === 0 ? MAX_LOOPS : Math.min(n, MAX_LOOPS);
}

/** Plays one `<Say>`, `<Play>` or `<Pause>`; resolves false if interrupted or the leg ended. */
export async function playAudioVerb(
  ctx: SimContext,
  options: ResolvedTwilioOptions,
  leg: Leg,
  verb: TwimlElement,
  signal: AbortSignal,
  resolveUrl: (raw: string) => string | undefined,
): Promise<boolean> {
  if (verb.name === 'Pause') {
    const seconds = Number.parseInt(verb.attributes['length'] ?? '1', 10);
    const ok = await ctx.timers.sleep((Number.isFinite(seconds) ? Math.max(0, seconds) : 1) * 1000, signal);
    return ok && !leg.isEnded;
  }
  const n = loops(verb);
  if (verb.name === 'Say') {
    const ms = Math.max(400, verb.text.length * options.sayMsPerChar) * n;
    return play(ctx.ticker, leg, { source: 'say', text: verb.text }, SIGNALS.say(ms), signal).done;
  }
  if (verb.name === 'Play') {
    if (verb.text === '') return true; // digits-only <Play>: nothing audible is simulated
    const url = resolveUrl(verb.text) ?? verb.text;
    return play(ctx.ticker, leg, { source: 'play', url }, SIGNALS.play(options.playDurationMs * n), signal)
      .done;
  }
  return true;
}

export const AUDIO_VERBS: ReadonlySet<string> = new Set(['Say', 'Play', 'Pause']);

/**
 * Runs a whisper or announcement document (only `<Say>`, `<Play>`, `<Pause>`, `<Hangup>`;
 * other verbs are logged and skipped). Returns how it ended.
 */
export async function runAudioDocument(
  ctx: SimContext,
  options: ResolvedTwilioOptions,
  leg: Leg,
  doc: TwimlElement,
  signal: AbortSignal,
  resolveUrl: (raw: string) => string | undefined,
  callSid: string,
): Promise<'done' | 'hangup' | 'interrupted'> {
  for (const verb of doc.children) {
    if (signal.aborted || leg.isEnded) return 'interrupted';
    ctx.log.add(
      { carrier: 'twilio', callSid },
      {
        type: 'markup.verb',
        verb: verb.name,
        attributes: verb.attributes,
        ...(verb.text ? { text: verb.text } : {}),
      },
    );
    if (verb.name === 'Hangup') return 'hangup';
    if (!AUDIO_VERBS.has(verb.name)) {
      ctx.log.add(
        { carrier: 'twilio', callSid },
        { type: 'markup.error', code: 12200, message: `<${verb.name}> is not simulated here; skipped` },
      );
      continue;
    }
    if (!(await playAudioVerb(ctx, options, leg, verb, signal, resolveUrl))) return 'interrupted';
  }
  return signal.aborted || leg.isEnded ? 'interrupted' : 'done';
}
