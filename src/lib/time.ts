/**
 * Time, injected (STYLE.md 10): every timer and clock of the daemon and the simulator goes
 * through a {@link Time}, so tests pass a virtual one (src/lib/virtual-time.ts) instead of
 * patching global timers. The defaults read the system clock and use the global timers.
 */

/** A monotonic clock. */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  nowMs(): number;
}

/** Timer scheduling, injected beside the clock. */
export interface Timers {
  /** Runs `fn` once after `delayMs`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The monotonic clock, the wall clock and timers, from one source. */
export interface Time extends Clock, Timers {
  /** Wall clock, epoch milliseconds (what `Date.now()` gives). */
  epochMs(): number;
}

function systemTimeWith(unref: boolean): Time {
  return Object.freeze({
    nowMs: () => performance.now(),
    epochMs: () => Date.now(),
    setTimeout: (fn: () => void, delayMs: number): unknown => {
      const handle = setTimeout(fn, delayMs);
      if (unref) handle.unref();
      return handle;
    },
    clearTimeout: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
  });
}

/** The system clock and the global timers. */
export const systemTime: Time = systemTimeWith(false);

/**
 * The system clock and global timers that never keep the process alive on their own: for
 * timers that only serve work something else holds open (a socket's pump, a heartbeat).
 */
export const backgroundTime: Time = systemTimeWith(true);

/** Resolves after `delayMs` on `time`. */
export function sleep(time: Timers, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    time.setTimeout(resolve, delayMs);
  });
}

/**
 * Runs `fn` every `intervalMs` on `time` (each run scheduled after the previous one started,
 * like `setInterval`); returns a function that stops it.
 */
export function every(time: Timers, intervalMs: number, fn: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    handle = time.setTimeout(tick, intervalMs);
    fn();
  };
  handle = time.setTimeout(tick, intervalMs);
  return () => {
    stopped = true;
    time.clearTimeout(handle);
  };
}
