import type { Timers } from '../lib/time.js';
import type { AppliedTimers, StartedTimer, TimerRef } from '../store/types.js';

/** Options of {@link LocalTimers}. */
export interface LocalTimersOptions {
  /**
   * Fires one timer: the same handler the poller runs for a claim (apply it with `{ timer }`,
   * run the effects). It gets the start as committed, deadline included.
   */
  readonly fire: (timer: StartedTimer) => Promise<void>;
  /** Wall clock, epoch ms: the clock timer deadlines are written in. */
  readonly now: () => number;
  /** Where the wait is timed (the injected Time, virtual in tests). */
  readonly scheduler: Timers;
  /** A firing that failed; the durable timer is still in the store, so the poller retries it. */
  readonly onError?: (err: unknown, timer: TimerRef) => void;
  /** Deadlines further away than this are left to the poller alone. Default 1 hour. */
  readonly horizonMs?: number;
}

/** Longest delay `setTimeout` takes (2^31 − 1 ms); the horizon stays far below it. */
const DEFAULT_HORIZON_MS = 3_600_000;

interface Armed {
  readonly timer: StartedTimer;
  handle: unknown;
}

/**
 * Fires the timers this worker started from a local timer at their deadline (DESIGN.md
 * "Targets": ≤ 20 ms late on a healthy worker), instead of at the store poller's next pass
 * (0–250 ms late).
 *
 * The store's durable schedule stays the backstop: a worker that dies takes its local timers
 * with it, and the poller of any live worker claims the timer once it is due. Firing never
 * happens twice: the local firing applies the timer with its generation (`{ timer }` on the
 * event), and the commit consumes that generation atomically — whichever of the local firing
 * and a poller's claim commits second finds it stale and changes nothing. A cancelled or
 * restarted timer is dropped here too, and one that slipped through is stale in the store.
 */
export class LocalTimers {
  readonly #o: Required<LocalTimersOptions>;
  /** callId → timerId → the armed start. */
  readonly #calls = new Map<string, Map<string, Armed>>();
  #closed = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: LocalTimersOptions) {
    this.#o = { onError: () => undefined, horizonMs: DEFAULT_HORIZON_MS, ...options };
  }

  /** Timers armed now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const timers of this.#calls.values()) n += timers.size;
    return n;
  }

  /** Follows what one applied event did to its call's timers. */
  applied(callId: string, change: AppliedTimers): void {
    // An end drops the call's timers; the ones its commit started outlive it (store/lua.ts COMMIT).
    if (change.ended) this.#dropCall(callId);
    else for (const timerId of change.cancelled) this.#disarm(callId, timerId);
    for (const timer of change.started) this.#arm(timer);
  }

  /** Stops firing; waits for the firings already running. Armed timers are left to the store. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const callId of [...this.#calls.keys()]) this.#dropCall(callId);
    await Promise.allSettled([...this.#inFlight]);
  }

  #arm(timer: StartedTimer): void {
    if (this.#closed) return;
    this.#disarm(timer.callId, timer.timerId);
    const delayMs = timer.atMs - this.#o.now();
    if (delayMs > this.#o.horizonMs) return;
    let timers = this.#calls.get(timer.callId);
    if (timers === undefined) {
      timers = new Map();
      this.#calls.set(timer.callId, timers);
    }
    const armed: Armed = { timer, handle: undefined };
    timers.set(timer.timerId, armed);
    this.#wait(armed, delayMs);
  }

  #wait(armed: Armed, delayMs: number): void {
    armed.handle = this.#o.scheduler.setTimeout(() => this.#due(armed), Math.max(0, delayMs));
  }

  #due(armed: Armed): void {
    const { timer } = armed;
    const timers = this.#calls.get(timer.callId);
    if (this.#closed || timers?.get(timer.timerId) !== armed) return;
    // A timer may wake a millisecond before the wall clock reaches the deadline (the two clocks
    // round differently): wait for the rest, so nothing fires before its deadline.
    const earlyMs = timer.atMs - this.#o.now();
    if (earlyMs > 0) {
      this.#wait(armed, earlyMs);
      return;
    }
    timers.delete(timer.timerId);
    if (timers.size === 0) this.#calls.delete(timer.callId);
    const firing: Promise<void> = this.#o
      .fire(timer)
      .then(
        () => undefined,
        (err: unknown) => this.#o.onError(err, timer),
      )
      .finally(() => this.#inFlight.delete(firing));
    this.#inFlight.add(firing);
  }

  #disarm(callId: string, timerId: string): void {
    const timers = this.#calls.get(callId);
    const armed = timers?.get(timerId);
    if (timers === undefined || armed === undefined) return;
    this.#o.scheduler.clearTimeout(armed.handle);
    timers.delete(timerId);
    if (timers.size === 0) this.#calls.delete(callId);
  }

  #dropCall(callId: string): void {
    const timers = this.#calls.get(callId);
    if (timers === undefined) return;
    for (const armed of timers.values()) this.#o.scheduler.clearTimeout(armed.handle);
    this.#calls.delete(callId);
  }
}
