import { type AudioSpec, type FrameSource, sourceFor } from '../audio.js';
import type { Ticker } from '../clock.js';
import type { Leg } from '../leg.js';

/** What an endpoint says on one leg: one frame per tick from the current source while answered. */
export class Voice {
  readonly #ticker: Ticker;
  readonly #leg: Leg;
  #source: FrameSource | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(ticker: Ticker, leg: Leg) {
    this.#ticker = ticker;
    this.#leg = leg;
    void leg.ended.then(() => this.stop());
  }

  /** Replaces what the endpoint is saying (`undefined` to fall silent, sending no frames). */
  say(spec: AudioSpec | undefined): void {
    this.stop();
    if (!spec || this.#leg.isEnded) return;
    this.#source = sourceFor(spec);
    this.#unsubscribe = this.#ticker.add('produce', () => {
      if (this.#leg.state !== 'answered') return;
      const frame = this.#source?.next();
      if (frame) this.#leg.sendAudio(frame);
      else this.stop();
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#source = undefined;
  }
}
