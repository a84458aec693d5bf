/** Per-key token bucket settings. */
export interface RateLimitOptions {
  /** Burst size: requests a key may make at once. Default 60. */
  readonly capacity: number;
  /** Sustained rate: tokens added per second. Default 20. */
  readonly refillPerSec: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = Object.freeze({ capacity: 60, refillPerSec: 20 });

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * One token bucket per key, refilled continuously. Pure apart from the injected clock. The
 * buckets live in this process: N workers behind a balancer allow up to N times the rate, which
 * is what a per-worker limit is for (protecting the worker), not a billing quota.
 */
export class RateLimiter {
  readonly #o: RateLimitOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(options: RateLimitOptions = DEFAULT_RATE_LIMIT, now: () => number = Date.now) {
    this.#o = options;
    this.#now = now;
  }

  /** Takes one token for `key`; when none is left, says how long until one is. */
  take(key: string): RateDecision {
    const nowMs = this.#now();
    const { capacity, refillPerSec } = this.#o;
    const b = this.#buckets.get(key) ?? { tokens: capacity, atMs: nowMs };
    const tokens = Math.min(capacity, b.tokens + (Math.max(0, nowMs - b.atMs) * refillPerSec) / 1000);
    if (tokens >= 1) {
      this.#buckets.set(key, { tokens: tokens - 1, atMs: nowMs });
      return { ok: true };
    }
    this.#buckets.set(key, { tokens, atMs: nowMs });
    const retryAfterMs =
      refillPerSec > 0 ? Math.ceil(((1 - tokens) * 1000) / refillPerSec) : Number.POSITIVE_INFINITY;
    return { ok: false, retryAfterMs };
  }
}
