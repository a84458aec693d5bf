import { DaemonError } from '../domain/errors.js';
import { backgroundTime, every, type Timers } from '../lib/time.js';
import { type ApplyBackend, EventApplier, type Loaded } from './apply-event.js';
import { checkCommit, encodeRecord, flagArgs, type ResolvedOptions, resolveOptions } from './common.js';
import { checkId, timerMember } from './keys.js';
import { TtlMap } from './ttl-map.js';
import type {
  ApplyResult,
  CallStore,
  CommitChanges,
  CommitResult,
  DedupeStore,
  EventRef,
  FlagStore,
  PubSub,
  SocketStore,
  StartedTimer,
  Step,
  Store,
  StoredCall,
  StoreHealth,
  StoreOptions,
  TimerClaim,
  TimerRef,
  TimerStore,
  WorkerInfo,
  WorkerRegistryStore,
} from './types.js';

export interface MemoryStoreOptions extends StoreOptions {
  /** How often expired entries are dropped, in ms. Default 60 000. 0 disables (tests sweep by hand). */
  readonly sweepIntervalMs?: number;
  /** Where the sweeps are timed. Default the system's (never keeping the process alive). */
  readonly timers?: Timers;
}

interface MemCall {
  v: number;
  r: string;
  touchedMs: number;
  e?: number;
  a?: string;
  /** timerId → generation of its live start. */
  readonly timers: Map<string, string>;
}

interface MemTimer {
  readonly ref: TimerRef;
  readonly atMs: number;
  attempts: number;
  /** null while pending. */
  leaseUntilMs: number | null;
}

/**
 * The embedded store used when no Redis is configured: the same contract in one process, and
 * nothing survives a restart (`durable: false`). Every operation is synchronous underneath;
 * records are copied through JSON so callers never share objects with the store.
 */
export class MemoryStore<R extends object> implements Store<R> {
  readonly kind = 'memory' as const;
  readonly durable = false as const;
  readonly calls: CallStore<R>;
  readonly flags: FlagStore;
  readonly timers: TimerStore;
  readonly dedupe: DedupeStore;
  readonly workers: WorkerRegistryStore;
  readonly sockets: SocketStore;
  readonly pubsub: PubSub;

  readonly #o: ResolvedOptions;
  readonly #calls: TtlMap<MemCall>;
  readonly #flags: TtlMap<string>;
  readonly #dedupe: TtlMap<string>;
  readonly #sockets: TtlMap<string>;
  readonly #workers: TtlMap<WorkerInfo>;
  readonly #timers = new Map<string, MemTimer>();
  readonly #agentEnded = new Map<string, Map<string, number>>();
  readonly #channels = new Map<string, Set<(message: string) => void>>();
  readonly #applier: EventApplier<R>;
  readonly #sweeper: (() => void) | undefined;
  #generation = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#o = resolveOptions(options);
    const now = this.#o.now;
    this.#calls = new TtlMap(now);
    this.#flags = new TtlMap(now);
    this.#dedupe = new TtlMap(now);
    this.#sockets = new TtlMap(now);
    this.#workers = new TtlMap(now);
    const backend: ApplyBackend<R> = {
      load: async (callId, dedupeKey, timer) => this.#load(callId, dedupeKey, timer),
      commit: (callId, changes) => this.commit(callId, changes),
    };
    this.#applier = new EventApplier(backend, this.#o.maxConflictRetries);
    const sweepMs = options.sweepIntervalMs ?? 60_000;
    this.#sweeper =
      sweepMs > 0 ? every(options.timers ?? backgroundTime, sweepMs, () => this.sweep()) : undefined;

    this.calls = {
      create: async (callId, record) => this.#create(callId, record),
      get: async (callId) => this.#get(callId),
      listByAgent: async (agentId, opts) => this.#listByAgent(agentId, opts ?? {}),
      listActive: async (opts) => this.#listActive(opts?.limit ?? 1000),
    };
    this.flags = {
      get: async (callId) => this.#open(() => this.#flags.get(callId) ?? null),
      set: async (callId, destination, ttlMs) =>
        this.#open(() => this.#flags.set(callId, destination, ttlMs ?? this.#o.flagTtlMs)),
      refresh: async (callId, ttlMs) =>
        this.#open(() => this.#flags.expire(callId, ttlMs ?? this.#o.flagTtlMs)),
      clear: async (callId) =>
        this.#open(() => {
          this.#flags.delete(callId);
        }),
      ttlMs: async (callId) => this.#open(() => this.#flags.ttlMs(callId) ?? null),
    };
    this.dedupe = {
      claim: async (key, opts) =>
        this.#open(() =>
          this.#dedupe.setIfAbsent(
            opts?.callId === undefined ? `:${key}` : `${opts.callId}:${key}`,
            '1',
            opts?.ttlMs ?? this.#o.dedupeTtlMs,
          ),
        ),
    };
    this.timers = {
      claimDue: async (nowMs, limit, workerId, leaseMs) => this.#claimDue(nowMs, limit, workerId, leaseMs),
      ack: async (ref) =>
        this.#open(() => this.#unschedule(timerMember(ref.callId, ref.timerId, ref.generation))),
      forCall: async (callId) =>
        this.#open(() =>
          [...this.#timers.values()]
            .filter((t) => t.ref.callId === callId)
            .map((t) => ({ timerId: t.ref.timerId, atMs: t.atMs })),
        ),
      count: async () => this.#open(() => this.#timers.size),
    };
    this.workers = {
      heartbeat: async (info, ttlMs) =>
        this.#open(() => this.#workers.set(info.workerId, { ...info }, ttlMs)),
      remove: async (workerId) =>
        this.#open(() => {
          this.#workers.delete(workerId);
        }),
      isAlive: async (workerId) => this.#open(() => this.#workers.has(workerId)),
      list: async () =>
        this.#open(() =>
          [...this.#workers.entries()]
            .map(([, info]) => info)
            .sort((a, b) => a.workerId.localeCompare(b.workerId)),
        ),
    };
    this.sockets = {
      claim: async (callId, workerId) =>
        this.#open(() => {
          checkId('callId', callId);
          const previous = this.#sockets.get(callId) ?? null;
          this.#sockets.set(callId, workerId, this.#o.activeTtlMs);
          return previous;
        }),
      owner: async (callId) => this.#open(() => this.#sockets.get(callId) ?? null),
      release: async (callId, workerId) =>
        this.#open(() => this.#sockets.get(callId) === workerId && this.#sockets.delete(callId)),
    };
    this.pubsub = {
      publish: async (channel, message) => this.#open(() => this.#publish(channel, message)),
      subscribe: async (channel, handler) =>
        this.#open(() => {
          let set = this.#channels.get(channel);
          if (set === undefined) {
            set = new Set();
            this.#channels.set(channel, set);
          }
          set.add(handler);
          return async () => {
            set.delete(handler);
            if (set.size === 0 && this.#channels.get(channel) === set) this.#channels.delete(channel);
          };
        }),
    };
  }

  applyEvent<T = undefined>(
    callId: string,
    ref: EventRef | undefined,
    step: Step<R, T>,
  ): Promise<ApplyResult<R, T>> {
    return this.#applier.apply(callId, ref, step);
  }

  async commit(callId: string, c: CommitChanges<R>): Promise<CommitResult> {
    return this.#open(() => this.#commit(callId, c));
  }

  async health(): Promise<StoreHealth> {
    const detail = { kind: this.kind, durable: this.durable, status: this.#closed ? 'closed' : 'ready' };
    return { ok: !this.#closed, detail };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sweeper?.();
    this.#channels.clear();
  }

  /** Drops expired entries and trims indexes (also runs every `sweepIntervalMs`). */
  sweep(): void {
    for (const map of [this.#calls, this.#flags, this.#dedupe, this.#sockets, this.#workers]) map.sweep();
    const floor = this.#o.now() - this.#o.retentionMs;
    for (const [agentId, index] of this.#agentEnded) {
      for (const [callId, endedAtMs] of index) {
        if (endedAtMs < floor || !this.#calls.has(callId)) index.delete(callId);
      }
      if (index.size === 0) this.#agentEnded.delete(agentId);
    }
    // Timers of calls that expired would only fire stale: drop them.
    for (const [member, timer] of this.#timers) {
      if (!this.#calls.has(timer.ref.callId)) this.#timers.delete(member);
    }
  }

  /** Entries held, for tests that check nothing grows without bound. */
  get sizes(): Readonly<Record<string, number>> {
    let indexed = 0;
    for (const index of this.#agentEnded.values()) indexed += index.size;
    return {
      calls: this.#calls.size,
      flags: this.#flags.size,
      dedupe: this.#dedupe.size,
      sockets: this.#sockets.size,
      workers: this.#workers.size,
      timers: this.#timers.size,
      agentIndex: indexed,
    };
  }

  #open<T>(fn: () => T): T {
    if (this.#closed) throw new DaemonError('store_closed', 'the store is closed');
    return fn();
  }

  #create(callId: string, record: R): { created: boolean; version: number } {
    return this.#open(() => {
      checkId('callId', callId);
      const json = encodeRecord(record);
      const existing = this.#calls.get(callId);
      if (existing !== undefined) return { created: false, version: existing.v };
      const now = this.#o.now();
      this.#calls.set(callId, { v: 1, r: json, touchedMs: now, timers: new Map() }, this.#o.activeTtlMs);
      return { created: true, version: 1 };
    });
  }

  #stored(callId: string, call: MemCall): StoredCall<R> {
    const stored: StoredCall<R> = { callId, record: JSON.parse(call.r) as R, version: call.v };
    return call.e === undefined ? stored : { ...stored, endedAtMs: call.e, agentId: call.a ?? '' };
  }

  #get(callId: string): StoredCall<R> | null {
    return this.#open(() => {
      const call = this.#calls.get(callId);
      return call === undefined ? null : this.#stored(callId, call);
    });
  }

  #load(callId: string, dedupeKey: string | undefined, timer: TimerRef | undefined): Loaded<R> | null {
    return this.#open(() => {
      const call = this.#calls.get(callId);
      if (call === undefined) return null;
      return {
        stored: this.#stored(callId, call),
        duplicate: dedupeKey !== undefined && this.#dedupe.has(`${callId}:${dedupeKey}`),
        timerLive: timer === undefined || call.timers.get(timer.timerId) === timer.generation,
      };
    });
  }

  /** Mirrors the Redis COMMIT script step by step (src/store/lua.ts). */
  #commit(callId: string, c: CommitChanges<R>): CommitResult {
    checkCommit(callId, c);
    const record = encodeRecord(c.record);
    const call = this.#calls.get(callId);
    if (call === undefined) return { ok: false, reason: 'missing', version: 0 };
    const dedupeKey = c.dedupeKey === undefined ? undefined : `${callId}:${c.dedupeKey}`;
    if (dedupeKey !== undefined && this.#dedupe.has(dedupeKey)) {
      return { ok: false, reason: 'duplicate', version: call.v };
    }
    if (call.v !== c.expectedVersion) return { ok: false, reason: 'version_conflict', version: call.v };
    const unschedule = (timerId: string): void => {
      const generation = call.timers.get(timerId);
      if (generation === undefined) return;
      call.timers.delete(timerId);
      this.#unschedule(timerMember(callId, timerId, generation));
    };
    if (c.firedTimer !== undefined) {
      if (call.timers.get(c.firedTimer.timerId) !== c.firedTimer.generation) {
        return { ok: false, reason: 'stale_timer', version: call.v };
      }
      unschedule(c.firedTimer.timerId);
    }
    const now = this.#o.now();
    call.v += 1;
    call.r = record;
    if (dedupeKey !== undefined)
      this.#dedupe.set(dedupeKey, String(call.v), c.dedupeTtlMs ?? this.#o.dedupeTtlMs);
    const flag = flagArgs(c.flag, this.#o.flagTtlMs);
    if (flag.op === 'set') this.#flags.set(callId, flag.value, flag.ttlMs);
    else if (flag.op === 'refresh') this.#flags.expire(callId, flag.ttlMs);
    else if (flag.op === 'clear') this.#flags.delete(callId);
    for (const timerId of c.timers?.cancel ?? []) unschedule(timerId);
    // Ending drops the timers the call had, not the ones this commit starts (lua.ts COMMIT).
    const ending = call.e === undefined && c.ended !== undefined;
    if (ending) for (const timerId of [...call.timers.keys()]) unschedule(timerId);
    const started: StartedTimer[] = [];
    for (const start of c.timers?.start ?? []) {
      unschedule(start.timerId);
      const generation = `m${++this.#generation}`;
      call.timers.set(start.timerId, generation);
      const ref = { callId, timerId: start.timerId, generation };
      started.push({ ...ref, atMs: start.atMs });
      this.#timers.set(timerMember(callId, start.timerId, generation), {
        ref,
        atMs: start.atMs,
        attempts: 0,
        leaseUntilMs: null,
      });
    }
    if (ending && c.ended !== undefined) {
      const retentionMs = c.ended.retentionMs ?? this.#o.retentionMs;
      call.e = c.ended.endedAtMs;
      call.a = c.ended.agentId;
      this.#calls.set(callId, call, retentionMs);
      let index = this.#agentEnded.get(c.ended.agentId);
      if (index === undefined) {
        index = new Map();
        this.#agentEnded.set(c.ended.agentId, index);
      }
      index.set(callId, c.ended.endedAtMs);
    } else if (call.e === undefined) {
      call.touchedMs = now;
      this.#calls.set(callId, call, this.#o.activeTtlMs);
    }
    return started.length === 0 ? { ok: true, version: call.v } : { ok: true, version: call.v, started };
  }

  #unschedule(member: string): void {
    this.#timers.delete(member);
  }

  #claimDue(nowMs: number, limit: number, workerId: string, leaseMs: number): TimerClaim[] {
    return this.#open(() => {
      checkId('workerId', workerId);
      const expired: MemTimer[] = [];
      const due: MemTimer[] = [];
      for (const t of this.#timers.values()) {
        if (t.leaseUntilMs === null) {
          if (t.atMs <= nowMs) due.push(t);
        } else if (t.leaseUntilMs <= nowMs) {
          expired.push(t);
        }
      }
      expired.sort((a, b) => (a.leaseUntilMs ?? 0) - (b.leaseUntilMs ?? 0));
      due.sort((a, b) => a.atMs - b.atMs);
      const leaseUntilMs = nowMs + leaseMs;
      return [...expired, ...due].slice(0, limit).map((t) => {
        t.attempts += 1;
        t.leaseUntilMs = leaseUntilMs;
        return { ...t.ref, atMs: t.atMs, attempt: t.attempts, leaseUntilMs };
      });
    });
  }

  #listByAgent(agentId: string, opts: { sinceMs?: number; limit?: number }): StoredCall<R>[] {
    return this.#open(() => {
      const floor = Math.max(opts.sinceMs ?? 0, this.#o.now() - this.#o.retentionMs);
      const index = this.#agentEnded.get(agentId);
      if (index === undefined) return [];
      const ids = [...index].filter(([, endedAtMs]) => endedAtMs >= floor).sort((a, b) => b[1] - a[1]);
      const out: StoredCall<R>[] = [];
      for (const [callId] of ids) {
        if (out.length >= (opts.limit ?? 100)) break;
        const call = this.#calls.get(callId);
        if (call?.e !== undefined) out.push(this.#stored(callId, call));
      }
      return out;
    });
  }

  #listActive(limit: number): StoredCall<R>[] {
    return this.#open(() =>
      [...this.#calls.entries()]
        .filter(([, call]) => call.e === undefined)
        .sort((a, b) => a[1].touchedMs - b[1].touchedMs)
        .slice(0, limit)
        .map(([callId, call]) => this.#stored(callId, call)),
    );
  }

  #publish(channel: string, message: string): number {
    const handlers = [...(this.#channels.get(channel) ?? [])];
    // Delivered later, like a message from Redis, never inside the publisher's call stack.
    for (const handler of handlers) {
      setImmediate(() => {
        try {
          handler(message);
        } catch {
          // A handler's own failure must not stop delivery to the others; handlers log their errors.
        }
      });
    }
    return handlers.length;
  }
}
