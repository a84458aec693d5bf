import { DaemonError } from '../domain/errors.js';
import type {
  AppliedTimers,
  ApplyResult,
  CommitChanges,
  CommitFailure,
  CommitResult,
  EventRef,
  StartedTimer,
  Step,
  StoredCall,
  TimerRef,
} from './types.js';

function appliedTimers(
  started: readonly StartedTimer[] | undefined,
  cancelled: readonly string[] | undefined,
  ended: boolean,
): AppliedTimers | undefined {
  if (started === undefined && (cancelled === undefined || cancelled.length === 0) && !ended)
    return undefined;
  return { started: started ?? [], cancelled: cancelled ?? [], ended };
}

/** What a backend reads before a step, in one round trip. */
export interface Loaded<R> {
  readonly stored: StoredCall<R>;
  /** The event's dedupe key is already claimed. */
  readonly duplicate: boolean;
  /** The fired timer is still live at that generation (true when no timer is involved). */
  readonly timerLive: boolean;
}

/** A refused commit; `current` is the call's state read in the same round trip, where the backend can. */
export interface Refused<R> {
  readonly ok: false;
  readonly reason: CommitFailure;
  readonly version?: number;
  readonly current?: Loaded<R>;
}

export interface ApplyBackend<R> {
  /**
   * `held`: a state the caller holds (a cached copy a step returned null on). A backend that can
   * may then confirm it by its version alone — the same checks, the record not sent again — and
   * return that state (a fresh object) when its version is still the stored one.
   */
  load(
    callId: string,
    dedupeKey: string | undefined,
    timer: TimerRef | undefined,
    held?: StoredCall<R>,
  ): Promise<Loaded<R> | null>;
  commit(callId: string, changes: CommitChanges<R>): Promise<CommitResult | Refused<R>>;
  /**
   * The call's last saved state as this process knows it, to step without a load (Redis: one
   * round trip per event); the commit checks it. A fresh object each call.
   */
  known?(callId: string): StoredCall<R> | undefined;
}

interface NormalRef {
  readonly dedupeKey?: string;
  readonly dedupeTtlMs?: number;
  readonly timer?: TimerRef;
}

function normalize(ref: EventRef | undefined): NormalRef {
  if (ref === undefined) return {};
  if (typeof ref === 'string') return { dedupeKey: ref };
  return ref;
}

/**
 * Runs tasks one at a time per key, in the order they were queued, so one worker never races
 * itself on a call (its own conflicts would only cost round trips).
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const settled = (): void => {
      // Runs after `set` below (a promise callback is never synchronous).
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail: Promise<void> = result.then(settled, settled);
    this.#tails.set(key, tail);
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}

/**
 * Load → step → commit, shared by both stores. The dedupe key is checked on load (to skip the
 * step) and claimed again inside the commit (the check that counts: atomic with the save).
 */
export class EventApplier<R> {
  readonly #backend: ApplyBackend<R>;
  readonly #maxConflictRetries: number;
  readonly #queue = new KeyedQueue();

  constructor(backend: ApplyBackend<R>, maxConflictRetries: number) {
    this.#backend = backend;
    this.#maxConflictRetries = maxConflictRetries;
  }

  apply<T>(callId: string, ref: EventRef | undefined, step: Step<R, T>): Promise<ApplyResult<R, T>> {
    return this.#queue.run(callId, () => this.#applyNow(callId, normalize(ref), step));
  }

  async #applyNow<T>(callId: string, ref: NormalRef, step: Step<R, T>): Promise<ApplyResult<R, T>> {
    // A known state is a guess: stepped without a load, checked by the commit.
    const cached = this.#backend.known?.(callId);
    let known: Loaded<R> | undefined =
      cached === undefined ? undefined : { stored: cached, duplicate: false, timerLive: true };
    let guess = known !== undefined;
    let held: StoredCall<R> | undefined;
    let conflicts = 0;
    for (;;) {
      const loaded = known ?? (await this.#backend.load(callId, ref.dedupeKey, ref.timer, held));
      const fromCache = guess;
      const stepped = held;
      known = undefined;
      guess = false;
      held = undefined;
      if (loaded === null) return { status: 'missing' };
      const { record, version } = loaded.stored;
      if (loaded.duplicate) return { status: 'duplicate', record, version };
      if (!loaded.timerLive) return { status: 'stale', record, version };
      // The store confirmed the copy the step already changed nothing in (a version is one state:
      // every commit is compare-and-set on it): stepping it again would decide the same.
      if (stepped !== undefined && version === stepped.version)
        return { status: 'unchanged', record, version };
      const out = step(record, version);
      // The cached copy may be behind the store, or the event a duplicate: the store decides.
      // Most such reports change nothing (a second report of a leg's end): the store confirms
      // the copy by its version, dedupe key and timer, and only a newer state is read again.
      if (out === null && fromCache) {
        held = loaded.stored;
        continue;
      }
      if (out === null) return { status: 'unchanged', record, version };
      const changes: CommitChanges<R> = {
        record: out.record,
        expectedVersion: version,
        flag: out.flag,
        timers: out.timers,
        ended: out.ended,
        dedupeKey: ref.dedupeKey,
        dedupeTtlMs: ref.dedupeTtlMs,
        firedTimer: ref.timer,
      };
      const result = await this.#backend.commit(callId, changes);
      if (result.ok) {
        const timers = appliedTimers(result.started, out.timers?.cancel, out.ended !== undefined);
        return {
          status: 'applied',
          record: out.record,
          version: result.version,
          value: out.value,
          ...(timers === undefined ? {} : { timers }),
        };
      }
      const current = 'current' in result ? result.current : undefined;
      const now =
        current === undefined ? {} : { record: current.stored.record, version: current.stored.version };
      switch (result.reason) {
        case 'duplicate':
          return { status: 'duplicate', ...now };
        case 'stale_timer':
          return { status: 'stale', ...now };
        case 'missing':
          return { status: 'missing' };
        case 'version_conflict':
          // A stale cached copy is not a conflict with another writer's concurrent step.
          if (!fromCache) conflicts += 1;
          if (conflicts > this.#maxConflictRetries) break;
          known = current;
          continue;
      }
      break;
    }
    throw new DaemonError(
      'store_conflict',
      `call kept changing under ${this.#maxConflictRetries + 1} attempts to apply one event`,
      { retryable: true },
    );
  }
}
