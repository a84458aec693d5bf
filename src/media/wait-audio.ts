import type { AudioFormat, WaitAudioSpec } from '../domain/media.js';
import type { Clock, Timers } from './clock.js';
import { ComfortNoise } from './comfort-noise.js';
import { sameFormat } from './formats.js';

export type { WaitAudioSpec } from '../domain/media.js';

/** Where the sound goes, as the media bridge lets it. */
export interface WaitAudioHost {
  /**
   * The carrier stream the sound may play on now, or undefined: none joined. `leadMs`: how much
   * audio to keep ahead of the clock there (at least one chunk the carrier accepts).
   */
  playable(): { readonly format: AudioFormat; readonly leadMs: number } | undefined;
  /** Audio in that format, to the caller (the host may let it go while the socket is behind). */
  play(audio: Buffer): void;
  /** The sound began (metrics). */
  started?(): void;
}

/** One tick of sound, ms. */
export const WAIT_TICK_MS = 20;

/**
 * Plays {@link WaitAudioSpec}'s sound to a caller left waiting — for the agent, or for the
 * carrier to move them — once the wait has lasted `afterMs`, in real time: a little ahead of the
 * clock (the host's `leadMs`), so whatever comes next waits behind at most that much of it. The
 * host says when the wait began and when it ended ({@link waiting}).
 */
export class WaitAudio {
  readonly #spec: WaitAudioSpec;
  readonly #host: WaitAudioHost;
  readonly #clock: Clock;
  readonly #timers: Timers;
  /** Since when the caller waits (clock ms); undefined while they do not. */
  #sinceMs: number | undefined;
  #timer: unknown;
  #playing = false;
  /** Clock time up to which sound has been sent. */
  #sentUntilMs = 0;
  #noise: { readonly format: AudioFormat; readonly source: ComfortNoise } | undefined;
  #stopped = false;

  constructor(spec: WaitAudioSpec, host: WaitAudioHost, clock: Clock, timers: Timers) {
    this.#spec = spec;
    this.#host = host;
    this.#clock = clock;
    this.#timers = timers;
  }

  get playing(): boolean {
    return this.#playing;
  }

  /**
   * The caller has been waiting since `sinceMs` (clock ms), or is not waiting (undefined). The
   * sound starts `afterMs` after `sinceMs` (at once if that has passed) and stops when the wait ends.
   */
  waiting(sinceMs: number | undefined): void {
    if (this.#stopped || this.#spec.sound === 'none') return;
    if (sinceMs === undefined) {
      this.#sinceMs = undefined;
      this.#idle();
      return;
    }
    if (this.#sinceMs === sinceMs && (this.#playing || this.#timer !== undefined)) return;
    this.#sinceMs = sinceMs;
    if (this.#playing) return;
    this.#cancelTimer();
    const dueInMs = sinceMs + this.#spec.afterMs - this.#clock.nowMs();
    if (dueInMs > 0) {
      this.#timer = this.#timers.setTimeout(() => {
        this.#timer = undefined;
        this.#start();
      }, dueInMs);
      return;
    }
    this.#start();
  }

  /** For good (the call's media is over). */
  stop(): void {
    this.#stopped = true;
    this.#idle();
  }

  #start(): void {
    if (this.#sinceMs === undefined || this.#host.playable() === undefined) return;
    this.#playing = true;
    this.#sentUntilMs = this.#clock.nowMs();
    this.#host.started?.();
    this.#tick();
  }

  #tick(): void {
    this.#timer = undefined;
    const where = this.#host.playable();
    if (where === undefined || this.#sinceMs === undefined) {
      this.#playing = false;
      return;
    }
    const now = this.#clock.nowMs();
    // A late timer leaves a gap rather than a burst.
    if (this.#sentUntilMs < now) this.#sentUntilMs = now;
    const noise = this.#source(where.format);
    while (this.#sentUntilMs < now + where.leadMs) {
      this.#host.play(noise.next(WAIT_TICK_MS));
      this.#sentUntilMs += WAIT_TICK_MS;
    }
    this.#timer = this.#timers.setTimeout(() => this.#tick(), WAIT_TICK_MS);
  }

  #source(format: AudioFormat): ComfortNoise {
    const noise = this.#noise;
    if (noise !== undefined && sameFormat(noise.format, format)) return noise.source;
    const source = new ComfortNoise(format);
    this.#noise = { format, source };
    return source;
  }

  #idle(): void {
    this.#playing = false;
    this.#cancelTimer();
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
