import type { AudioFormat, WaitAudioSpec } from '../domain/media.js';
import type { Clock, Timers } from './clock.js';
import { ComfortNoise } from './comfort-noise.js';

export type { WaitAudioSpec } from '../domain/media.js';

/** Where the sound goes, as the media bridge lets it. */
export interface WaitAudioHost {
  /**
   * The carrier stream the sound may play on now, or undefined: no stream joined, or the caller
   * off the AI (a transfer). `leadMs`: how much audio to keep ahead of the clock there (at least
   * one chunk the carrier accepts).
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
 * Plays {@link WaitAudioSpec}'s sound while the agent is away, in real time: a little ahead of
 * the clock (the host's `leadMs`), so the agent's first words wait behind at most that much of
 * it. The agent's absence is told by {@link away} and its return by {@link present}; the host
 * calls {@link check} when a stream joins or the caller is back from a transfer.
 */
export class WaitAudio {
  readonly #spec: WaitAudioSpec;
  readonly #host: WaitAudioHost;
  readonly #clock: Clock;
  readonly #timers: Timers;
  /** Since when the agent is away (clock ms); undefined while it is there. */
  #awaySinceMs: number | undefined;
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

  /** The agent is not there (from now, or from when it went if it already was). */
  away(): void {
    this.#awaySinceMs ??= this.#clock.nowMs();
    this.check();
  }

  /** The agent is there: the sound stops. */
  present(): void {
    this.#awaySinceMs = undefined;
    this.#idle();
  }

  /** Plays if the agent has been away long enough and the host has somewhere to play it. */
  check(): void {
    const since = this.#awaySinceMs;
    if (this.#stopped || this.#spec.sound === 'none' || since === undefined || this.#playing) return;
    if (this.#host.playable() === undefined) return;
    this.#cancelTimer();
    const dueInMs = since + this.#spec.afterMs - this.#clock.nowMs();
    if (dueInMs > 0) {
      this.#timer = this.#timers.setTimeout(() => {
        this.#timer = undefined;
        this.check();
      }, dueInMs);
      return;
    }
    this.#playing = true;
    this.#sentUntilMs = this.#clock.nowMs();
    this.#host.started?.();
    this.#tick();
  }

  /** For good (the call's media is over). */
  stop(): void {
    this.#stopped = true;
    this.#idle();
  }

  #tick(): void {
    this.#timer = undefined;
    const where = this.#host.playable();
    if (where === undefined || this.#awaySinceMs === undefined) {
      // Nowhere to play now; {@link check} starts again when there is.
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
    if (
      noise !== undefined &&
      noise.format.encoding === format.encoding &&
      noise.format.sampleRate === format.sampleRate
    )
      return noise.source;
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
