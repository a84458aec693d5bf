import { systemTime, type Timers } from '../lib/time.js';
import type { TimerClaim, TimerStore } from '../store/types.js';

/** Options of `TimerPoller`. Every duration is in ms. */
export interface TimerPollerOptions {
  readonly timers: TimerStore;
  /** Recorded with each lease. */
  readonly workerId: string;
  /**
   * Handles one due timer (typically `store.applyEvent(callId, { timer: claim }, …)` and then
   * the effects). The timer is acknowledged after this resolves; if it rejects the timer is
   * handed out again once its lease expires.
   */
  readonly onTimer: (claim: TimerClaim) => Promise<void>;
  /** Wall clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Where the pause between polls is timed. Default the system's. */
  readonly scheduler?: Timers;
  /** Pause between polls when nothing more is due. Default 250 (timers fire ≤ 1 s late). */
  readonly intervalMs?: number;
  /**
   * How long a claim is ours before another worker may take it. Default {@link DEFAULT_LEASE_MS}.
   * Short on purpose: the handler's commit consumes the timer's generation, so a second delivery
   * of a timer whose handler is merely slow finds it stale and changes nothing, while a claim held
   * by a worker that died (SIGKILL between claim and ack) holds the timer back for this long.
   */
  readonly leaseMs?: number;
  /** Timers claimed per poll. Default 100. */
  readonly batchSize?: number;
  /** A timer whose handler failed this many times is acknowledged and reported. Default 5. */
  readonly maxAttempts?: number;
  /** Failures (claiming, handling, acknowledging); `claim` is set for the last two. */
  readonly onError?: (err: unknown, claim?: TimerClaim) => void;
}

/** Default lease of a claim, ms: a dead worker's claimed timer fires at most this much late. */
export const DEFAULT_LEASE_MS = 2_000;

/**
 * Claims due timers and hands them to `onTimer`, acknowledging each after its handler
 * resolved. Several workers may poll the same store: a timer is claimed by one at a time, and a
 * claim whose worker died is taken over once its lease expires.
 */
export class TimerPoller {
  readonly #o: Required<TimerPollerOptions>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: TimerPollerOptions) {
    this.#o = {
      now: Date.now,
      scheduler: systemTime,
      intervalMs: 250,
      leaseMs: DEFAULT_LEASE_MS,
      batchSize: 100,
      maxAttempts: 5,
      onError: () => undefined,
      ...options,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops polling and waits for the poll in flight (and its handlers) to finish. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  /** One poll: claims up to `batchSize` due timers, handles them, returns how many were claimed. */
  async pollOnce(): Promise<number> {
    const o = this.#o;
    const claims = await o.timers.claimDue(o.now(), o.batchSize, o.workerId, o.leaseMs);
    await Promise.all(claims.map((claim) => this.#handle(claim)));
    return claims.length;
  }

  async #handle(claim: TimerClaim): Promise<void> {
    const o = this.#o;
    try {
      await o.onTimer(claim);
    } catch (err) {
      o.onError(err, claim);
      // Not acknowledged: the lease runs out and the timer is tried again, up to maxAttempts.
      if (claim.attempt < o.maxAttempts) return;
    }
    try {
      await o.timers.ack(claim);
    } catch (err) {
      // The timer will be handed out again; the handler's commit already consumed it, so the
      // next delivery finds it stale.
      o.onError(err, claim);
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let claimed = 0;
      try {
        claimed = await this.pollOnce();
      } catch (err) {
        this.#o.onError(err);
      }
      if (this.#running && claimed < this.#o.batchSize) await this.#sleep(this.#o.intervalMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#o.scheduler.clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = this.#o.scheduler.setTimeout(done, ms);
      this.#wake = done;
    });
  }
}
