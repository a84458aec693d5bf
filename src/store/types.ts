/**
 * The shared state of the daemon (DESIGN.md "Shared state", invariants 1–3): call records with a
 * version, the transfer flag, durable timers, event de-duplication, the worker registry, socket
 * ownership and commands to a worker. Two implementations keep the same contract: Redis
 * (`redis-store.ts`, shared by every worker) and memory (`memory-store.ts`, one process).
 *
 * The store is generic over the call record `R`: any JSON-serializable object. It knows nothing
 * of transfer machines. Records are copied in and out (JSON), never shared by reference.
 */

/** A call record as saved, with its version (1 after `create`, +1 per successful commit). */
export interface StoredCall<R> {
  readonly callId: string;
  readonly record: R;
  readonly version: number;
  /** Set once a commit carried `ended`: from then on the record expires after retention. */
  readonly endedAtMs?: number;
  readonly agentId?: string;
}

/** What to do with the `transfer:{callId}` flag in a commit. `ttlMs` defaults to `flagTtlMs`. */
export type FlagChange =
  | { readonly set: string; readonly ttlMs?: number }
  | { readonly refresh: true; readonly ttlMs?: number }
  | { readonly clear: true };

/** A timer to (re)start. Starting an id that is already running replaces its deadline. */
export interface TimerStart {
  readonly timerId: string;
  /** Deadline, epoch ms. */
  readonly atMs: number;
}

export interface TimerChanges {
  readonly start?: readonly TimerStart[];
  /** Ids to cancel. A cancelled timer never fires, whether it was pending or already claimed. */
  readonly cancel?: readonly string[];
}

/** The call is over: keep its record for `retentionMs`, listable under its agent. */
export interface EndedChange {
  readonly agentId: string;
  readonly endedAtMs: number;
  /** How long the ended record stays, in ms. Default: the store's `retentionMs` (7 days). */
  readonly retentionMs?: number;
}

/**
 * Identifies one start of one timer. `generation` changes on every (re)start, so a claim of an
 * earlier start can never fire the later one.
 */
export interface TimerRef {
  readonly callId: string;
  readonly timerId: string;
  readonly generation: string;
}

/** The part of a commit a step decides: the new record and its side changes. */
export interface CommitBody<R> {
  readonly record: R;
  readonly flag?: FlagChange;
  readonly timers?: TimerChanges;
  /** Ends the call; the call's remaining timers are cancelled with it. */
  readonly ended?: EndedChange;
}

/**
 * One atomic write (Redis: one script, one round trip). It checks `expectedVersion`, claims
 * `dedupeKey`, checks `firedTimer`, saves the record with version + 1, and applies the flag,
 * timer and retention changes — all or nothing.
 */
export interface CommitChanges<R> extends CommitBody<R> {
  readonly expectedVersion: number;
  /**
   * Event identity (e.g. the carrier's callback id + status). Claimed with the save, so an
   * event is applied at most once. Scoped to the call.
   */
  readonly dedupeKey?: string;
  /** Lifetime of the dedupe key, in ms. Default: the store's `dedupeTtlMs` (1 hour). */
  readonly dedupeTtlMs?: number;
  /**
   * The commit applies this timer's firing: it succeeds only while that start of the timer is
   * still live (not fired, cancelled or replaced), and consumes it.
   */
  readonly firedTimer?: TimerRef;
}

export type CommitFailure = 'version_conflict' | 'duplicate' | 'missing' | 'stale_timer';

/** A timer start as committed: which generation now runs, and its deadline (epoch ms). */
export interface StartedTimer extends TimerRef {
  readonly atMs: number;
}

export type CommitResult =
  | {
      readonly ok: true;
      readonly version: number;
      /** The commit's timer starts, with the generation each got (in the order asked). */
      readonly started?: readonly StartedTimer[];
    }
  | { readonly ok: false; readonly reason: CommitFailure; readonly version?: number };

/** What a step returns to change the call: a commit body, plus any value for the caller. */
export interface StepCommit<R, T = undefined> extends CommitBody<R> {
  /** Handed back in `ApplyResult.value`, e.g. the effects to execute after the save. */
  readonly value?: T;
}

/**
 * Pure: given the current record, what changes (or null: nothing, nothing is written and the
 * dedupe key is not claimed). May run more than once (after a version conflict it runs again
 * on the newer record); only the run that was saved counts.
 */
export type Step<R, T> = (record: R, version: number) => StepCommit<R, T> | null;

/**
 * - `applied`: saved; `record`, `version` and `value` are the saved ones.
 * - `duplicate`: the dedupe key was already claimed (the event was applied before); nothing changed.
 * - `stale`: the timer already fired, was cancelled or restarted; nothing changed.
 * - `unchanged`: the step returned null; nothing was written.
 * - `missing`: no such call.
 */
export type ApplyStatus = 'applied' | 'duplicate' | 'stale' | 'unchanged' | 'missing';

/**
 * What an applied event did to the call's timers, so the worker that applied it can fire them
 * from a local timer at their deadline (runtime/local-timers.ts); the store's schedule stays
 * the durable backstop.
 */
export interface AppliedTimers {
  readonly started: readonly StartedTimer[];
  /** Ids cancelled (a start also replaces the id's earlier generation). */
  readonly cancelled: readonly string[];
  /** The call ended: every timer it had before this commit is gone (`started` outlive the end). */
  readonly ended: boolean;
}

export interface ApplyResult<R, T> {
  readonly status: ApplyStatus;
  /** `applied` only, when the commit started, cancelled or ended timers. */
  readonly timers?: AppliedTimers;
  /** The saved record (`applied`) or the current one (`duplicate`, `stale`, `unchanged`). */
  readonly record?: R;
  readonly version?: number;
  readonly value?: T;
}

/** Which event `applyEvent` applies: a dedupe key (string shorthand), or a claimed timer. */
export type EventRef =
  | string
  | { readonly dedupeKey: string; readonly dedupeTtlMs?: number }
  | { readonly timer: TimerRef };

/** A due timer, leased to one worker until `leaseUntilMs`. */
export interface TimerClaim extends TimerRef {
  /** The deadline it was started with, epoch ms. */
  readonly atMs: number;
  /** 1 on the first claim, +1 each time an expired lease hands it out again. */
  readonly attempt: number;
  readonly leaseUntilMs: number;
}

export interface CallStore<R> {
  /** Creates the call at version 1 unless it exists; then reports the existing version. */
  create(callId: string, record: R): Promise<{ readonly created: boolean; readonly version: number }>;
  get(callId: string): Promise<StoredCall<R> | null>;
  /**
   * The call's last state this process saved or read, without asking the store; it may be
   * behind the stored one (another worker's commit), so only what never changes once written
   * may be taken from it. Undefined when none is held (and on stores that keep none).
   */
  known?(callId: string): StoredCall<R> | undefined;
  /**
   * Ended calls of one agent, newest first, ended at or after `sinceMs` (default: the start of
   * retention), at most `limit` (default 100).
   */
  listByAgent(
    agentId: string,
    options?: { readonly sinceMs?: number; readonly limit?: number },
  ): Promise<readonly StoredCall<R>[]>;
  /** Calls not ended, oldest first, at most `limit` (default 1000). */
  listActive(options?: { readonly limit?: number }): Promise<readonly StoredCall<R>[]>;
}

/** The transfer flag `transfer:{callId}` → destination (DESIGN.md invariant 2). */
export interface FlagStore {
  get(callId: string): Promise<string | null>;
  /** Sets the flag for `ttlMs` (default `flagTtlMs`, 300 000). */
  set(callId: string, destination: string, ttlMs?: number): Promise<void>;
  /** Extends a set flag to `ttlMs` from now; false when no flag was set. */
  refresh(callId: string, ttlMs?: number): Promise<boolean>;
  clear(callId: string): Promise<void>;
  /** Remaining lifetime in ms, or null when no flag is set. */
  ttlMs(callId: string): Promise<number | null>;
}

export interface TimerStore {
  /**
   * Leases up to `limit` due timers (deadline ≤ `nowMs`, or a lease that expired) to `workerId`
   * until `nowMs + leaseMs`. Atomic: with any number of workers polling, a timer is handed to
   * one of them, and again only once its lease expired without an `ack`.
   */
  claimDue(nowMs: number, limit: number, workerId: string, leaseMs: number): Promise<readonly TimerClaim[]>;
  /** The claim was handled: remove the timer. A later start of the same id is not touched. */
  ack(claim: TimerRef): Promise<void>;
  /** Timers scheduled for one call (pending or claimed), by id. For inspection and tests. */
  forCall(callId: string): Promise<readonly { readonly timerId: string; readonly atMs: number }[]>;
  /** How many timers are scheduled overall (pending + claimed). */
  count(): Promise<number>;
}

export interface DedupeStore {
  /**
   * Claims an event key for `ttlMs` (default `dedupeTtlMs`): true the first time, false while
   * the key lives. For webhooks that change no call record; those that do pass the key to
   * `commit` instead. With `callId`, the key shares that call's namespace and hash slot.
   */
  claim(key: string, options?: { readonly callId?: string; readonly ttlMs?: number }): Promise<boolean>;
}

/** What a worker publishes about itself in the registry. */
export interface WorkerInfo {
  readonly workerId: string;
  readonly startedAtMs: number;
  readonly lastBeatMs: number;
  /** Free-form, short: host, pid, version, calls held. */
  readonly meta?: Readonly<Record<string, string | number>>;
}

export interface WorkerRegistryStore {
  /** Registers or refreshes a worker; it counts as alive for `ttlMs`. */
  heartbeat(info: WorkerInfo, ttlMs: number): Promise<void>;
  remove(workerId: string): Promise<void>;
  isAlive(workerId: string): Promise<boolean>;
  /** Live workers; dead ones are dropped from the index on the way. */
  list(): Promise<readonly WorkerInfo[]>;
}

/** Which worker holds a call's media socket. */
export interface SocketStore {
  /** Records `workerId` as the holder (the newest socket wins); returns the previous holder. */
  claim(callId: string, workerId: string): Promise<string | null>;
  owner(callId: string): Promise<string | null>;
  /** Releases only if `workerId` still holds it; true when released. */
  release(callId: string, workerId: string): Promise<boolean>;
}

/** Messages to a named channel, delivered at most once to whoever listens right now. */
export interface PubSub {
  /** Returns how many listeners received it (Redis Cluster: on the node that took the publish). */
  publish(channel: string, message: string): Promise<number>;
  /**
   * Resolves once listening; returns the function that stops it. `onBack` is called each time
   * the subscription is listening again after its connection was lost (Redis restarted or
   * unreachable): what was published to the channel in between reached nobody. Never on the
   * memory store, which loses no connection.
   */
  subscribe(
    channel: string,
    handler: (message: string) => void,
    onBack?: () => void,
  ): Promise<() => Promise<void>>;
}

export interface StoreHealth {
  readonly ok: boolean;
  readonly detail: {
    readonly kind: StoreKind;
    readonly durable: boolean;
    /** Redis: the client status (`ready`, `reconnecting`, …); memory: `ready`. */
    readonly status: string;
    /** Round trip of the health PING, in ms. */
    readonly latencyMs?: number;
    readonly error?: string;
  };
}

export type StoreKind = 'redis' | 'memory';

export interface Store<R> {
  readonly kind: StoreKind;
  /** False for the memory store: nothing survives a restart (the daemon says so at start). */
  readonly durable: boolean;
  readonly calls: CallStore<R>;
  /** The atomic write; see `CommitChanges`. Safe to retry (idempotent by version and token). */
  commit(callId: string, changes: CommitChanges<R>): Promise<CommitResult>;
  /**
   * Load → step → commit, re-stepping on a version conflict (bounded), one event of a call at a
   * time in this process (in the order called). With a dedupe key or timer the event is applied
   * at most once across all workers. On Redis, one round trip for a call this worker
   * already knows, two for another (store.md).
   */
  applyEvent<T = undefined>(
    callId: string,
    ref: EventRef | undefined,
    step: Step<R, T>,
  ): Promise<ApplyResult<R, T>>;
  readonly flags: FlagStore;
  readonly timers: TimerStore;
  readonly dedupe: DedupeStore;
  readonly workers: WorkerRegistryStore;
  readonly sockets: SocketStore;
  readonly pubsub: PubSub;
  /** For readiness: false while Redis does not answer. Never throws. */
  health(): Promise<StoreHealth>;
  /** Stops timers and connections. Pending operations fail with `store_closed`. */
  close(): Promise<void>;
}

/** Options shared by both implementations. Every duration is in ms. */
export interface StoreOptions {
  /** Prepended to every key and channel. Default `''`, so the flag key is exactly `transfer:{callId}`. */
  readonly keyPrefix?: string;
  /** Transfer flag lifetime. Default 300 000 (5 min, as the carriers' transfer docs use). */
  readonly flagTtlMs?: number;
  /** Event dedupe key lifetime. Default 3 600 000 (1 h: carriers retry within minutes). */
  readonly dedupeTtlMs?: number;
  /** Ended calls are kept (and listable per agent) this long. Default 604 800 000 (7 days). */
  readonly retentionMs?: number;
  /**
   * A call not ended expires this long after its last commit (a crash must not leave records
   * forever; carriers cap call length well below). Default 86 400 000 (24 h).
   */
  readonly activeTtlMs?: number;
  /** How many times `applyEvent` re-steps after a version conflict. Default 16. */
  readonly maxConflictRetries?: number;
  /** Wall clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

export const STORE_DEFAULTS = Object.freeze({
  keyPrefix: '',
  flagTtlMs: 300_000,
  dedupeTtlMs: 3_600_000,
  retentionMs: 7 * 24 * 3_600_000,
  activeTtlMs: 24 * 3_600_000,
  maxConflictRetries: 16,
});
