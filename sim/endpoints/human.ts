/**
 * A scripted person at a phone number (or SIP URI): answers, is busy, never answers, fails,
 * declines, hangs up, hangs up during the whisper, speaks. Records everything heard.
 */
import type { AudioSpec } from '../audio.js';
import type { Clock, Ticker, Timers } from '../clock.js';
import { Heard } from '../heard.js';
import type { Leg } from '../leg.js';
import { Voice } from './voice.js';

/** How a human endpoint treats an incoming call. Delays are measured from the dial. */
export type HumanBehaviour =
  | {
      readonly type: 'answer';
      /** Answer this long after the dial; default 1000. */
      readonly afterMs?: number;
      /** Start ringing this long after the dial; default 50. */
      readonly ringAfterMs?: number;
      /** Hang up this long after answering. */
      readonly hangupAfterMs?: number;
      /**
       * Hang up while hearing the whisper: `say` or `play` audio, or the agent's briefing over the
       * leg's stream, heard before any other party.
       * `true` hangs up 100 ms into it; `{ afterMs }` chooses when.
       */
      readonly hangupDuringWhisper?: boolean | { readonly afterMs: number };
      /** What to say once answered (a "speak first" human); nothing by default. */
      readonly speak?: AudioSpec;
      /** Delay after answering before speaking; default 0 (speaks first). */
      readonly speakAfterMs?: number;
    }
  /**
   * An answering machine (a voicemail box): answers after `afterMs` (default 1000), plays its
   * greeting (a tone of `greetingMs`, default 6000), then records in silence.
   */
  | { readonly type: 'voicemail'; readonly afterMs?: number; readonly greetingMs?: number }
  /** Busy (SIP 486) after `afterMs` (default 300), without ringing. */
  | { readonly type: 'busy'; readonly afterMs?: number }
  /** Rings until the caller's side gives up. */
  | { readonly type: 'no-answer'; readonly ringAfterMs?: number }
  /** Fails (unreachable, SIP 404/503) after `afterMs` (default 200). */
  | { readonly type: 'fail'; readonly afterMs?: number; readonly sipCode?: number }
  /** Rings, then declines (SIP 603) after `afterMs` (default 1000). */
  | { readonly type: 'reject'; readonly afterMs?: number };

export interface EndpointDeps {
  readonly clock: Clock;
  readonly ticker: Ticker;
  readonly timers: Timers;
  readonly keepAudio: boolean;
}

export class HumanEndpoint {
  readonly address: string;
  readonly heard: Heard;
  readonly #deps: EndpointDeps;
  readonly #legs: Leg[] = [];
  readonly #voices = new Map<Leg, Voice>();
  #behaviour: HumanBehaviour;

  constructor(address: string, behaviour: HumanBehaviour, deps: EndpointDeps) {
    this.address = address;
    this.#behaviour = behaviour;
    this.#deps = deps;
    this.heard = new Heard(deps.keepAudio);
  }

  get behaviour(): HumanBehaviour {
    return this.#behaviour;
  }

  /** Changes how the next calls are treated (calls in progress keep their script). */
  setBehaviour(behaviour: HumanBehaviour): void {
    this.#behaviour = behaviour;
  }

  /** Every leg that reached this endpoint, oldest first. */
  get legs(): readonly Leg[] {
    return this.#legs;
  }

  /** The latest leg not yet ended (ringing or answered), if any. */
  get activeLeg(): Leg | undefined {
    return this.#legs.findLast((l) => !l.isEnded);
  }

  /** Hangs up the active leg (or a ringing one: declines it). */
  hangup(): void {
    const leg = this.#legs.findLast((l) => !l.isEnded);
    if (!leg) return;
    leg.hangup(leg.state === 'answered' ? 'completed' : 'declined', 'endpoint');
  }

  /** Says `spec` on the active leg. */
  say(spec: AudioSpec | undefined): void {
    const leg = this.activeLeg;
    if (leg) this.#voices.get(leg)?.say(spec);
  }

  /** Presses digits on the active leg, one every 100 ms. */
  async pressDigits(digits: string): Promise<void> {
    const leg = this.activeLeg;
    if (!leg) return;
    for (const d of digits) {
      leg.pressDigit(d);
      await this.#deps.timers.sleep(100);
    }
  }

  /** Called by the network when a carrier dials this endpoint. */
  receive(leg: Leg): void {
    this.#legs.push(leg);
    const voice = new Voice(this.#deps.ticker, leg);
    this.#voices.set(leg, voice);
    const b = this.#behaviour;
    const { timers } = this.#deps;
    const cancels: Array<() => void> = [];
    const at = (ms: number, fn: () => void) => cancels.push(timers.after(ms, fn));
    void leg.ended.then(() => {
      for (const c of cancels) c();
      this.#voices.delete(leg);
    });
    switch (b.type) {
      case 'busy':
        at(b.afterMs ?? 300, () => leg.hangup('busy', 'endpoint'));
        return;
      case 'fail':
        at(b.afterMs ?? 200, () => leg.hangup('failed', 'endpoint', b.sipCode));
        return;
      case 'no-answer':
        at(b.ringAfterMs ?? 50, () => leg.ring());
        return;
      case 'reject':
        at(Math.min(50, b.afterMs ?? 1000), () => leg.ring());
        at(b.afterMs ?? 1000, () => leg.hangup('declined', 'endpoint'));
        return;
      case 'voicemail': {
        const answerMs = b.afterMs ?? 1000;
        at(Math.min(50, answerMs), () => leg.ring());
        at(answerMs, () => {
          leg.answer();
          voice.say({ type: 'tone', hz: 520, durationMs: b.greetingMs ?? 6000 });
        });
        return;
      }
      case 'answer': {
        const answerMs = b.afterMs ?? 1000;
        at(Math.min(b.ringAfterMs ?? 50, answerMs), () => leg.ring());
        at(answerMs, () => {
          leg.answer();
          if (b.speak) {
            const speak = b.speak;
            at(b.speakAfterMs ?? 0, () => voice.say(speak));
          }
          if (b.hangupAfterMs !== undefined) at(b.hangupAfterMs, () => leg.hangup('completed', 'endpoint'));
          if (b.hangupDuringWhisper) this.#armWhisperHangup(leg, b.hangupDuringWhisper, at);
        });
        return;
      }
    }
  }

  #armWhisperHangup(
    leg: Leg,
    option: true | { readonly afterMs: number },
    at: (ms: number, fn: () => void) => void,
  ): void {
    let heardParty = false;
    let armed = false;
    const stop = this.heard.onRecord((legLabel, label) => {
      if (legLabel !== leg.label || armed) return;
      if (label.source.startsWith('party:')) heardParty = true;
      // The whisper: the carrier's `say`/`play`, or the agent's own voice over the leg's stream (a briefing).
      const whisper = label.source === 'say' || label.source === 'play' || label.source.startsWith('stream:');
      if (heardParty || !whisper) return;
      armed = true;
      stop();
      at(option === true ? 100 : option.afterMs, () => leg.hangup('completed', 'endpoint'));
    });
    void leg.ended.then(stop);
  }
}
