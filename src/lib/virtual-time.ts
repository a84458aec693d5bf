import { executionAsyncId } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { Time } from './time.js';
import { type TimerEntry as Entry, TimerHeap } from './timer-heap.js';

/** Options of {@link VirtualTime}. */
export interface VirtualTimeOptions {
  /** Wall clock at virtual time zero, epoch ms. Default 2026-01-01T00:00:00Z (fixed: runs repeat). */
  readonly startEpochMs?: number;
  /**
   * Event-loop turns in a row in which nothing else ran before the process counts as quiet and
   * virtual time may jump. Default 3.
   */
  readonly quietTurns?: number;
}

/** Options of {@link VirtualTime.runUntil}. */
export interface RunUntilOptions {
  /** Rejects once virtual time would pass this many ms from the call. Default 120 000. */
  readonly timeoutMs?: number;
  /** Named in the rejection. */
  readonly what?: string;
}

interface Watcher {
  readonly predicate: () => boolean | Promise<boolean>;
  readonly deadlineMs: number;
  readonly what: string;
  resolve(): void;
  reject(err: Error): void;
}

const DEFAULT_START_EPOCH_MS = Date.UTC(2026, 0, 1);
/** Monotonic time starts here, not at 0, so no reading is mistaken for "never". */
const MONOTONIC_ORIGIN_MS = 1_000;
/** With no timer pending, how often (real ms) waiting predicates are checked again. */
const IDLE_POLL_MS = 2;
/**
 * How long (real ms) time waits for bytes between two sockets of the process to be read: above
 * Linux's 40 ms delayed ACK, which holds back a small write behind Nagle's algorithm on a socket
 * without `setNoDelay`.
 */
const MAX_HOLD_FOR_BYTES_MS = 200;

/**
 * A {@link Time} whose clock moves only when the process has nothing else to do: when no
 * callback but its own ran for a few event-loop turns (nothing new was scheduled, no socket
 * delivered data, no other timer fired), it jumps to the earliest pending virtual timer and
 * runs it, one timer at a time, equal deadlines in the order they were set. Real sockets keep
 * working: a reply in flight on loopback is seen as activity, and time waits for it.
 *
 * Activity is detected without hooks: every callback Node runs for IO, a timer or a
 * `nextTick` allocates an async id, so two consecutive turns of the driver's own
 * `setImmediate` that are exactly one id apart saw nothing else. Bytes still on their way
 * between two sockets of this process (a loaded kernel may hold loopback data back for a few
 * ms) are seen by comparing each socket's bytes written with its peer's bytes read: the
 * sockets are followed through the `net.client.socket` and `net.server.socket` channels.
 *
 * Given the same order of IO arrivals a run is deterministic: the same timers fire at the same
 * virtual times in the same order.
 */
export class VirtualTime implements Time {
  readonly #startEpochMs: number;
  readonly #quietTurns: number;
  #nowMs = MONOTONIC_ORIGIN_MS;
  readonly #heap = new TimerHeap();
  #live = 0;
  #seq = 0;
  #fired = 0;
  readonly #watchers = new Set<Watcher>();
  readonly #idleWaiters = new Set<() => void>();
  #driving = false;
  #stopped = false;
  #lastAsyncId = 0;
  #quiet = 0;
  /** Watchers were checked at this point of quiet (cleared by every jump). */
  #checked = false;
  #evaluating = false;
  #parked: NodeJS.Timeout | undefined;
  readonly #sockets = new Set<Socket>();
  #heldSinceMs: number | undefined;
  readonly #stats = { heldForBytes: 0, heldForBytesMs: 0, bytesHeldTooLong: 0 };
  readonly #onSocket = (message: unknown): void => {
    const socket = (message as { socket?: Socket }).socket;
    if (socket === undefined || this.#sockets.has(socket)) return;
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  };

  constructor(options: VirtualTimeOptions = {}) {
    this.#startEpochMs = options.startEpochMs ?? DEFAULT_START_EPOCH_MS;
    this.#quietTurns = Math.max(1, options.quietTurns ?? 3);
    // Sockets are followed from the start (until `stop()`), so those opened before time moves count.
    diagnostics.subscribe('net.client.socket', this.#onSocket);
    diagnostics.subscribe('net.server.socket', this.#onSocket);
  }

  nowMs(): number {
    return this.#nowMs;
  }

  epochMs(): number {
    return this.#startEpochMs + this.#nowMs - MONOTONIC_ORIGIN_MS;
  }

  /** Virtual ms since this time began. */
  get elapsedMs(): number {
    return this.#nowMs - MONOTONIC_ORIGIN_MS;
  }

  /** Timers fired so far. */
  get fired(): number {
    return this.#fired;
  }

  /**
   * How often a jump waited for bytes between sockets of the process (`heldForBytes`), for how
   * long in all (real ms), and how often it gave up waiting on a peer not reading.
   */
  get stats(): {
    readonly heldForBytes: number;
    readonly heldForBytesMs: number;
    readonly bytesHeldTooLong: number;
  } {
    return { ...this.#stats };
  }

  /** Timers pending. */
  get pending(): number {
    return this.#live;
  }

  setTimeout(fn: () => void, delayMs: number): unknown {
    const delay = Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0;
    const entry: Entry = { dueMs: this.#nowMs + delay, seq: this.#seq++, fn, cancelled: this.#stopped };
    if (this.#stopped) return entry;
    this.#heap.push(entry);
    this.#live++;
    this.#unpark();
    return entry;
  }

  clearTimeout(handle: unknown): void {
    const entry = handle as Entry | undefined;
    if (entry === undefined || entry === null || entry.cancelled) return;
    entry.cancelled = true;
    this.#live--;
    if (this.#heap.size > 64 && this.#heap.size > 4 * this.#live) this.#heap.compact();
  }

  /** Starts moving time (idempotent); `runUntil` and `idle` start it too. */
  start(): void {
    if (this.#driving || this.#stopped) return;
    this.#driving = true;
    this.#quiet = 0;
    this.#lastAsyncId = 0;
    setImmediate(this.#turn);
  }

  /**
   * Resolves once `predicate` holds, checked whenever the process is quiet, before time moves
   * on. Rejects if virtual time would pass `timeoutMs` first, or on `stop()`.
   */
  runUntil(predicate: () => boolean | Promise<boolean>, options: RunUntilOptions = {}): Promise<void> {
    const deadlineMs = this.#nowMs + (options.timeoutMs ?? 120_000);
    const what = options.what ?? 'condition';
    return new Promise<void>((resolve, reject) => {
      if (this.#stopped) {
        reject(new Error(`virtual time stopped before ${what}`));
        return;
      }
      const watcher: Watcher = {
        predicate,
        deadlineMs,
        what,
        resolve: () => {
          this.#watchers.delete(watcher);
          resolve();
        },
        reject: (err) => {
          this.#watchers.delete(watcher);
          reject(err);
        },
      };
      this.#watchers.add(watcher);
      this.#checked = false;
      this.start();
      this.#unpark();
    });
  }

  /** Runs for `ms` of virtual time (every timer due by then fires). */
  runFor(ms: number): Promise<void> {
    const target = this.#nowMs + ms;
    return this.runUntil(() => this.#nowMs >= target || (this.#heap.peek()?.dueMs ?? Infinity) > target, {
      timeoutMs: ms + 1,
      what: `${ms} ms`,
    }).then(() => {
      this.#nowMs = Math.max(this.#nowMs, target);
    });
  }

  /** Resolves when the process is quiet and no virtual timer is pending. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.add(resolve);
      this.start();
      this.#unpark();
    });
  }

  /** Stops time: pending timers never fire, waiting `runUntil`s reject. */
  stop(): void {
    if (!this.#stopped) {
      diagnostics.unsubscribe('net.client.socket', this.#onSocket);
      diagnostics.unsubscribe('net.server.socket', this.#onSocket);
    }
    this.#stopped = true;
    this.#sockets.clear();
    this.#driving = false;
    if (this.#parked !== undefined) clearTimeout(this.#parked);
    this.#parked = undefined;
    this.#heap.clear();
    this.#live = 0;
    for (const w of [...this.#watchers]) w.reject(new Error(`virtual time stopped before ${w.what}`));
    for (const resolve of [...this.#idleWaiters]) resolve();
    this.#idleWaiters.clear();
  }

  /** One driver turn: counts quiet turns, and at quiet checks watchers or jumps. */
  readonly #turn = (): void => {
    if (!this.#driving) return;
    const id = executionAsyncId();
    this.#quiet = id === this.#lastAsyncId + 1 && !this.#evaluating ? this.#quiet + 1 : 0;
    this.#lastAsyncId = id;
    if (this.#quiet < this.#quietTurns) {
      setImmediate(this.#turn);
      return;
    }
    this.#atQuiet();
  };

  #atQuiet(): void {
    this.#quiet = 0;
    if (this.#bytesInFlight()) {
      // Waits (really) for them, but not for a peer that stopped reading: past a bound, time moves.
      this.#heldSinceMs ??= performance.now();
      if (performance.now() - this.#heldSinceMs < MAX_HOLD_FOR_BYTES_MS) {
        setImmediate(this.#turn);
        return;
      }
      this.#stats.bytesHeldTooLong += 1;
    }
    if (this.#heldSinceMs !== undefined) {
      this.#stats.heldForBytes += 1;
      this.#stats.heldForBytesMs += performance.now() - this.#heldSinceMs;
    }
    this.#heldSinceMs = undefined;
    if (!this.#checked && this.#watchers.size > 0) {
      this.#checked = true;
      this.#checkWatchers();
      return;
    }
    const next = this.#heap.peek();
    // A wait whose deadline comes before the next timer times out, as it would in real time.
    let expired: Watcher | undefined;
    for (const w of this.#watchers)
      if (
        w.deadlineMs < (next?.dueMs ?? Infinity) &&
        (expired === undefined || w.deadlineMs < expired.deadlineMs)
      )
        expired = w;
    if (expired !== undefined) {
      this.#nowMs = Math.max(this.#nowMs, expired.deadlineMs);
      expired.reject(new Error(`${expired.what} not met within the virtual deadline`));
      this.#checked = false;
      setImmediate(this.#turn);
      return;
    }
    if (next === undefined) {
      for (const resolve of [...this.#idleWaiters]) resolve();
      this.#idleWaiters.clear();
      this.#park();
      return;
    }
    this.#heap.pop();
    this.#live--;
    this.#nowMs = Math.max(this.#nowMs, next.dueMs);
    this.#fired++;
    this.#checked = false;
    try {
      next.fn();
    } catch (err) {
      // As a global timer's exception would: uncaught, not swallowed.
      process.nextTick(() => {
        throw err;
      });
    }
    // Scheduled after the callback: what it started counts as activity on the next turn.
    setImmediate(this.#turn);
  }

  #checkWatchers(): void {
    const pending: Promise<void>[] = [];
    for (const w of [...this.#watchers]) {
      let held: boolean | Promise<boolean>;
      try {
        held = w.predicate();
      } catch (err) {
        w.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (held === true) w.resolve();
      else if (held !== false)
        pending.push(
          held.then(
            (ok) => (ok ? w.resolve() : undefined),
            (err: unknown) => w.reject(err instanceof Error ? err : new Error(String(err))),
          ),
        );
    }
    if (pending.length === 0) {
      setImmediate(this.#turn);
      return;
    }
    this.#evaluating = true;
    const resume = (): void => {
      this.#evaluating = false;
      setImmediate(this.#turn);
    };
    Promise.all(pending).then(resume, resume);
  }

  /** Whether a socket of this process wrote bytes its peer (in this process too) has not read yet. */
  #bytesInFlight(): boolean {
    if (this.#sockets.size < 2) return false;
    const read = new Map<string, number>();
    for (const s of this.#sockets)
      if (s.remotePort !== undefined && !s.destroyed) read.set(`${s.remotePort}>${s.localPort}`, s.bytesRead);
    for (const s of this.#sockets) {
      if (s.destroyed || s.localPort === undefined) continue;
      const peerRead = read.get(`${s.localPort}>${s.remotePort}`);
      if (peerRead !== undefined && s.bytesWritten > peerRead) return true;
    }
    return false;
  }

  /** Nothing to fire: wait (really) for a new timer, or poll the watchers now and then. */
  #park(): void {
    if (this.#parked !== undefined || !this.#driving) return;
    this.#parked = setTimeout(() => {
      this.#parked = undefined;
      this.#checked = false;
      this.#lastAsyncId = 0;
      setImmediate(this.#turn);
    }, IDLE_POLL_MS);
    if (this.#watchers.size === 0 && this.#idleWaiters.size === 0) this.#parked.unref();
  }

  #unpark(): void {
    if (this.#parked === undefined) return;
    clearTimeout(this.#parked);
    this.#parked = undefined;
    this.#lastAsyncId = 0;
    setImmediate(this.#turn);
  }
}
