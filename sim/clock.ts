/**
 * Time in the simulator. Media is paced by one 20 ms tick for every frame on every leg, and
 * every recorded event is stamped from an injectable {@link Clock}; both, and every delay the
 * simulator waits, run on one injected {@link Time} (src/lib/time.ts): the system's by default,
 * a virtual one in tests that must not spend wall time on rings and holds.
 */
import { systemTime, type Time } from '../src/lib/time.js';

export type { Time } from '../src/lib/time.js';

/** Where recorded `atMs` values come from. Default: `Date.now()`. */
export interface Clock {
  /** Milliseconds; only differences between values matter to the simulator. */
  nowMs(): number;
}

export const systemClock: Clock = Object.freeze({ nowMs: () => Date.now() });

/** The recorded clock of `time`: its wall clock, epoch ms. */
export function epochClock(time: Time): Clock {
  return Object.freeze({ nowMs: () => time.epochMs() });
}

/** One media frame: 20 ms (protocols.md §1.1). */
export const FRAME_MS = 20;

/**
 * Every timeout the simulator starts goes through here, so `stop()` can clear them all and
 * vitest exits cleanly.
 */
export class Timers {
  readonly #time: Time;
  #handles = new Set<unknown>();
  #stopped = false;

  constructor(time: Time = systemTime) {
    this.#time = time;
  }

  /** Runs `fn` after `delayMs`; returns a cancel function. Does nothing once stopped. */
  after(delayMs: number, fn: () => void): () => void {
    if (this.#stopped) return () => {};
    const handle = this.#time.setTimeout(
      () => {
        this.#handles.delete(handle);
        fn();
      },
      Math.max(0, delayMs),
    );
    this.#handles.add(handle);
    return () => {
      this.#time.clearTimeout(handle);
      this.#handles.delete(handle);
    };
  }

  /** Resolves `true` after `delayMs`, or `false` as soon as `signal` aborts or the timers stop. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal?.aborted || this.#stopped) {
        resolve(false);
        return;
      }
      const onAbort = () => {
        cancel();
        resolve(false);
      };
      const cancel = this.after(delayMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Clears every pending timeout; later `after()` calls are ignored. */
  stop(): void {
    this.#stopped = true;
    for (const handle of this.#handles) this.#time.clearTimeout(handle);
    this.#handles.clear();
  }
}

/**
 * `produce`: sources emit this tick's frame (endpoints speaking, players, stream playout).
 * `route`: consumers read what was produced (media streams sending inbound audio).
 */
export type TickPhase = 'produce' | 'route';

type TickFn = (tick: number) => void;

/** At most this many late ticks are replayed after the event loop stalls. */
const MAX_CATCH_UP_TICKS = 5;

/**
 * One shared 20 ms ticker drives all media. It runs only while something subscribes, keeps
 * its deadline on the monotonic clock of its {@link Time} so timer drift does not accumulate, and replays a few
 * missed ticks after a stall (like a carrier delivering buffered frames in a burst).
 */
export class Ticker {
  readonly #phases: Record<TickPhase, Set<TickFn>> = { produce: new Set(), route: new Set() };
  readonly #onError: (err: unknown) => void;
  readonly #time: Time;
  #tick = 0;
  #timer: unknown;
  #deadline = 0;
  #stopped = false;

  constructor(onError: (err: unknown) => void = () => {}, time: Time = systemTime) {
    this.#onError = onError;
    this.#time = time;
  }

  /** Index of the tick being (or last) processed. */
  get tick(): number {
    return this.#tick;
  }

  /** Subscribes `fn` to every tick in `phase`; returns an unsubscribe function. */
  add(phase: TickPhase, fn: TickFn): () => void {
    const set = this.#phases[phase];
    set.add(fn);
    this.#ensureRunning();
    return () => {
      set.delete(fn);
    };
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#time.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#phases.produce.clear();
    this.#phases.route.clear();
  }

  #size(): number {
    return this.#phases.produce.size + this.#phases.route.size;
  }

  #ensureRunning(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#deadline = this.#time.nowMs() + FRAME_MS;
    this.#timer = this.#time.setTimeout(this.#onTimer, FRAME_MS);
  }

  readonly #onTimer = (): void => this.#fire();

  #fire(): void {
    this.#timer = undefined;
    const now = this.#time.nowMs();
    let due = 1 + Math.floor((now - this.#deadline) / FRAME_MS);
    if (due > MAX_CATCH_UP_TICKS) {
      this.#deadline = now - FRAME_MS * (MAX_CATCH_UP_TICKS - 1);
      due = MAX_CATCH_UP_TICKS;
    }
    for (let i = 0; i < due && !this.#stopped; i++) {
      this.#tick++;
      this.#deadline += FRAME_MS;
      this.#run('produce');
      this.#run('route');
    }
    if (this.#stopped || this.#size() === 0) return;
    this.#timer = this.#time.setTimeout(this.#onTimer, Math.max(0, this.#deadline - this.#time.nowMs()));
  }

  #run(phase: TickPhase): void {
    for (const fn of [...this.#phases[phase]]) {
      try {
        fn(this.#tick);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
