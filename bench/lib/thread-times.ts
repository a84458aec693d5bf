/**
 * This process's main thread, from Linux's `/proc/thread-self/schedstat`: how long it has run on
 * a core and how long it has waited, runnable, for one (`run_delay`) since it started. The
 * difference of two readings splits the time in between into the daemon's own CPU, its wait for
 * a core — time the kernel ran something else on both cores (on the benchmark's machine its own
 * load generator and Redis) or took to wake a halted core — and the rest, asleep (waiting for
 * Redis, a socket, a timer). One `pread` of a file kept open, ≈ 6 µs.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface ThreadTimes {
  /** On a core so far, ms. */
  readonly onCoreMs: number;
  /** Runnable but waiting for a core so far, ms. */
  readonly waitMs: number;
}

const buffer = Buffer.alloc(128);
let fd: number | null | undefined;

/**
 * The main thread's times so far; `undefined` where the file is absent (not Linux, or a kernel
 * without scheduler statistics). Call it from the main thread only.
 */
export function threadTimes(): ThreadTimes | undefined {
  if (fd === null) return undefined;
  try {
    fd ??= openSync('/proc/thread-self/schedstat', 'r');
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const [onCore, wait] = buffer.toString('latin1', 0, n).split(' ').map(Number);
    if (onCore === undefined || wait === undefined || !Number.isFinite(onCore) || !Number.isFinite(wait))
      return undefined;
    return { onCoreMs: onCore / 1e6, waitMs: wait / 1e6 };
  } catch {
    if (typeof fd === 'number') closeQuietly(fd);
    fd = null;
    return undefined;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already unusable: nothing more to read from it.
  }
}
