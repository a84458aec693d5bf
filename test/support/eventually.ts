/**
 * Waiting in tests, with a bound. A test waits for the event that proves what it claims (a
 * frame arriving, a record changing, a process exiting) — never for a fixed time — and when
 * that event does not come, it fails with a message naming what it was waiting for.
 *
 * ```ts
 * await eventually(() => port.marks().length === 2, 'two marks sent to the carrier');
 * const record = await eventually(async () => {
 *   const r = await engine.get(callId);
 *   return r?.phase === 'ended' ? r : undefined;
 * }, () => `call ${callId} to end`);
 * await settles(daemon.exited, 'the daemon to exit');
 * ```
 */

export interface WaitOptions {
  /** How long to wait before failing, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** How often to look again, in ms. Default 5. */
  readonly everyMs?: number;
}

/** What a wait was for; a function is called when the wait times out, so it can describe the state then. */
export type WaitingFor = string | (() => string);

/** A check's answer that means "not yet". */
type NotYet = undefined | null | false;

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_EVERY_MS = 5;

/** Thrown when a wait runs out; its message names what was awaited. */
export class WaitTimeout extends Error {
  readonly code = 'test.wait_timeout';
  constructor(what: WaitingFor, timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for ${describeWait(what)}`);
    this.name = 'WaitTimeout';
  }
}

/**
 * Calls `check` until it answers something other than `undefined`, `null` or `false`, and
 * resolves with that answer; rejects with a {@link WaitTimeout} after `timeoutMs`. An error
 * thrown by `check` fails the wait at once (catch inside `check` what may legitimately fail
 * while waiting, e.g. a connection refused before a server listens).
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: WaitingFor,
  options: WaitOptions = {},
): Promise<Exclude<T, NotYet>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const everyMs = options.everyMs ?? DEFAULT_EVERY_MS;
  return bounded(
    async (expired) => {
      for (;;) {
        const value = await check();
        if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
        if (expired()) throw new WaitTimeout(what, timeoutMs);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    },
    what,
    timeoutMs,
  );
}

/** Resolves as `promise` does, or rejects with a {@link WaitTimeout} if it has not settled after `timeoutMs`. */
export function settles<T>(promise: Promise<T>, what: WaitingFor, options: WaitOptions = {}): Promise<T> {
  return bounded(() => promise, what, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

/** Runs `work` against a timer (not a clock reading): the timer fails the wait even if `work` hangs. */
async function bounded<T>(
  work: (expired: () => boolean) => Promise<T>,
  what: WaitingFor,
  timeoutMs: number,
): Promise<T> {
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new WaitTimeout(what, timeoutMs));
    }, timeoutMs);
  });
  const done = work(() => timedOut);
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
    // A hung check may still finish (or fail) later; it no longer matters.
    done.catch(() => {});
  }
}

function describeWait(what: WaitingFor): string {
  if (typeof what === 'string') return what;
  try {
    return what();
  } catch (err) {
    return `(description failed: ${String(err)})`;
  }
}
