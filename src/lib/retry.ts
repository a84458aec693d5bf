import { DaemonError } from '../domain/errors.js';
import { sleep as sleepOn, systemTime, type Timers } from './time.js';

/**
 * The one retry policy of the daemon (STYLE.md 8). Carrier REST clients and the store use it
 * alike; nothing else loops on failures.
 */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 means one attempt only. */
  readonly maxRetries: number;
  /** Wait between two attempts, in ms. */
  readonly retryIntervalMs: number;
  /**
   * Deadline of each attempt, in ms. An attempt still running at its deadline is abandoned (its
   * signal is aborted) and counts as a retryable `timeout` failure.
   */
  readonly timeoutMs: number;
}

/** Worst case of one operation under `policy`, in ms: every attempt times out. */
export function worstCaseMs(policy: RetryPolicy): number {
  return (policy.maxRetries + 1) * policy.timeoutMs + policy.maxRetries * policy.retryIntervalMs;
}

export interface RetryDeps {
  /** Waits between attempts; tests pass one that does not wait. Default: a wait on `timers`. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Times the waits and each attempt's deadline. Default the system's. */
  readonly timers?: Timers;
  /** Called before each retry with the error that caused it (for logs and metrics). */
  readonly onRetry?: (err: unknown, attempt: number) => void;
  /**
   * Once aborted, no further attempt is made and the last error is thrown: what the request was
   * for is over (a command to a call whose end was reported meanwhile).
   */
  readonly until?: AbortSignal;
  /**
   * Whether an attempt can be stopped through its signal; default true. False for operations
   * that cannot be taken back once sent (a Redis command): they get a signal that is never
   * aborted, and no `AbortController` is made per attempt (a share of every store operation's
   * CPU, docs/performance.md). Their deadline still holds: a late attempt is a `timeout`.
   */
  readonly abortable?: boolean;
}

/** The signal of an attempt that cannot be stopped ({@link RetryDeps.abortable} false). */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** The error of an attempt that outlived `timeoutMs`. Retryable: the peer may just be slow. */
export function timeoutError(timeoutMs: number): DaemonError {
  return new DaemonError('timeout', `attempt did not finish within ${timeoutMs} ms`, { retryable: true });
}

function withDeadline<T>(
  op: (attempt: number, signal: AbortSignal) => Promise<T>,
  attempt: number,
  timeoutMs: number,
  timers: Timers,
  abortable: boolean,
): Promise<T> {
  const controller = abortable ? new AbortController() : undefined;
  return new Promise<T>((resolve, reject) => {
    const timer = timers.setTimeout(() => {
      const err = timeoutError(timeoutMs);
      controller?.abort(err);
      reject(err);
    }, timeoutMs);
    op(attempt, controller?.signal ?? NEVER_ABORTED).then(
      (value) => {
        timers.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        timers.clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Runs `op` until it succeeds, fails with an error `isRetryable` rejects, or `policy.maxRetries`
 * retries are spent; then rethrows the last error unchanged. `attempt` counts from 0.
 *
 * Only operations that are safe to repeat belong here: an attempt that timed out may still
 * have taken effect on the other side.
 */
export async function withRetry<T>(
  op: (attempt: number, signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  isRetryable: (err: unknown) => boolean,
  deps: RetryDeps = {},
): Promise<T> {
  const timers = deps.timers ?? systemTime;
  const sleep = deps.sleep ?? ((ms: number) => sleepOn(timers, ms));
  const abortable = deps.abortable ?? true;
  for (let attempt = 0; ; attempt++) {
    try {
      return await withDeadline(op, attempt, policy.timeoutMs, timers, abortable);
    } catch (err) {
      if (attempt >= policy.maxRetries || !isRetryable(err) || stopped(deps)) throw err;
      deps.onRetry?.(err, attempt);
      await sleep(policy.retryIntervalMs);
      if (stopped(deps)) throw err;
    }
  }
}

/** Whether what the attempts were for is over ({@link RetryDeps.until}). */
function stopped(deps: RetryDeps): boolean {
  return deps.until?.aborted === true;
}

/** The default test for `withRetry`: a `DaemonError` that says retrying helps. */
export function isRetryableError(err: unknown): boolean {
  return err instanceof DaemonError && err.retryable;
}

/**
 * Durable retries of a call effect that failed after the carrier client's own quick retries
 * (`DEFAULT_CARRIER_RETRY`): each is a timer in the store, so another worker finishes it if this
 * one dies. `timeoutMs` is the carrier client's own deadline per attempt (not used here).
 * Worst case before an effect is given up: 3 retries 1 s apart on top of each attempt's own.
 */
export const DURABLE_EFFECT_RETRY: RetryPolicy = Object.freeze({
  maxRetries: 3,
  retryIntervalMs: 1_000,
  timeoutMs: 10_000,
});
