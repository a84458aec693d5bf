/**
 * A caller: places an inbound call to a carrier number, speaks, presses digits, hangs up at
 * any moment, and records what it hears.
 */
import type { AudioSpec } from '../audio.js';
import type { Timers } from '../clock.js';
import type { Heard } from '../heard.js';
import type { Leg, LegEnd, LegState } from '../leg.js';
import type { Voice } from './voice.js';

export class SimCall {
  readonly leg: Leg;
  readonly heard: Heard;
  /** Resolves when the call ends, whoever ends it. */
  readonly ended: Promise<LegEnd>;
  readonly #voice: Voice;
  readonly #timers: Timers;

  constructor(leg: Leg, heard: Heard, voice: Voice, timers: Timers) {
    this.leg = leg;
    this.heard = heard;
    this.#voice = voice;
    this.#timers = timers;
    this.ended = leg.ended;
  }

  /** The carrier's id of this call (a Twilio `CA…` sid). */
  get sid(): string {
    return this.leg.label;
  }

  get from(): string {
    return this.leg.from;
  }

  get to(): string {
    return this.leg.to;
  }

  get state(): LegState {
    return this.leg.state;
  }

  /** The caller hangs up (before answer: abandons the call). */
  hangup(): void {
    this.leg.hangup(this.leg.state === 'answered' ? 'completed' : 'canceled', 'endpoint');
  }

  /** Replaces what the caller is saying (`undefined`: stops sending audio). */
  send(spec: AudioSpec | undefined): void {
    this.#voice.say(spec);
  }

  /** Presses digits, one every 100 ms; resolves after the last. */
  async pressDigits(digits: string): Promise<void> {
    for (const d of digits) {
      if (!/^[0-9*#A-D]$/.test(d)) continue;
      this.leg.pressDigit(d);
      await this.#timers.sleep(100);
    }
  }
}
