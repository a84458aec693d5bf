/**
 * Time as the media path sees it. Injected so tests pass a fake clock instead of patching
 * global timers (STYLE.md 10).
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  nowMs(): number;
}

/** Timer scheduling, injected beside the clock; the default is the global setTimeout. */
export interface Timers {
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = Object.freeze({ nowMs: () => performance.now() });

export const systemTimers: Timers = Object.freeze({
  setTimeout: (fn: () => void, delayMs: number): unknown => {
    const handle = setTimeout(fn, delayMs);
    // A pending pump or flush must never keep the process alive on its own.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
});
