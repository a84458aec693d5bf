import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { DaemonError } from '../domain/errors.js';
import { isRetryableError, type RetryPolicy, withRetry } from '../lib/retry.js';
import { type ApplyBackend, EventApplier, type Loaded, type Refused } from './apply-event.js';
import { checkCommit, encodeRecord, type ResolvedOptions, resolveOptions } from './common.js';
import { corkedSender } from './corked-sender.js';
import { checkId, Keys } from './keys.js';
import { CREATE, LOAD } from './lua.js';
import { RecordCache } from './record-cache.js';
import {
  type CommandSender,
  createClient,
  DEFAULT_STORE_RETRY,
  type RedisClient,
  replyArray,
  replyNumber,
  replyString,
  runScript,
  toStoreError,
} from './redis-client.js';
import { commitOnce } from './redis-commit.js';
import { type RedisContext, RedisPubSub, RedisSockets, RedisTimers, RedisWorkers } from './redis-parts.js';
import type {
  ApplyResult,
  CallStore,
  CommitChanges,
  CommitResult,
  DedupeStore,
  EventRef,
  FlagStore,
  Step,
  Store,
  StoredCall,
  StoreHealth,
  StoreOptions,
  TimerRef,
} from './types.js';

/** Redis store options. Every duration is in ms. */
export interface RedisStoreOptions extends StoreOptions {
  /** `redis://[user:pass@]host:port[/db]`; ignored when `client` or `clusterNodes` is given. */
  readonly redisUrl?: string;
  /** Seed nodes (`host:port`) of a Redis Cluster. Implies `splitSlots`. */
  readonly clusterNodes?: readonly string[];
  /** A client to use instead of creating one; the store closes it on `close()`. */
  readonly client?: RedisClient;
  /**
   * Keep every script within one hash slot (required on Redis Cluster): the commit writes timer
   * schedules and indexes in extra, idempotent steps. Default: true for a cluster client.
   */
  readonly splitSlots?: boolean;
  /** Timer schedule and active-index shards. Default 1, or 16 with `splitSlots`. */
  readonly timerShards?: number;
  /** Retry policy of every store operation. Default `DEFAULT_STORE_RETRY`. */
  readonly retry?: RetryPolicy;
  /** Connection errors as they happen (for logs); operations report theirs as `DaemonError`. */
  readonly onConnectionError?: (err: Error) => void;
}

/** The Redis store: shared by every worker; one round trip per read, one per commit. */
export class RedisStore<R extends object> implements Store<R> {
  readonly kind = 'redis' as const;
  readonly durable = true as const;
  readonly calls: CallStore<R>;
  readonly flags: FlagStore;
  readonly timers: RedisTimers;
  readonly dedupe: DedupeStore;
  readonly workers: RedisWorkers;
  readonly sockets: RedisSockets;
  readonly pubsub: RedisPubSub;

  readonly #client: RedisClient;
  readonly #send: CommandSender;
  readonly #keys: Keys;
  readonly #o: ResolvedOptions;
  readonly #policy: RetryPolicy;
  readonly #split: boolean;
  readonly #applier: EventApplier<R>;
  readonly #ctx: RedisContext;
  /** Calls' last known states: an event of a call this worker saw is one round trip. */
  readonly #cache: RecordCache;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#o = resolveOptions(options);
    this.#policy = options.retry ?? DEFAULT_STORE_RETRY;
    this.#client = options.client ?? createClient(options, this.#policy);
    // One write per tick for a single connection (corked-sender.ts).
    this.#send = this.#client instanceof Redis ? corkedSender(this.#client) : this.#client;
    const onError = options.onConnectionError ?? (() => undefined);
    // Without a listener ioredis prints every reconnect failure to the console.
    this.#client.on('error', (err: Error) => onError(err));
    this.#split = options.splitSlots ?? this.#client instanceof Cluster;
    this.#cache = new RecordCache(this.#o.now);
    this.#keys = new Keys(this.#o.keyPrefix, options.timerShards ?? (this.#split ? 16 : 1));
    const ctx: RedisContext = {
      client: this.#client,
      send: this.#send,
      keys: this.#keys,
      options: this.#o,
      policy: this.#policy,
      op: (fn) => this.#op(fn),
      assertOpen: () => this.#assertOpen(),
    };
    this.#ctx = ctx;
    const backend: ApplyBackend<R> = {
      load: (callId, dedupeKey, timer, held) => this.#op(() => this.#load(callId, dedupeKey, timer, held)),
      commit: (callId, changes) => this.commit(callId, changes),
      known: (callId) => this.#known(callId),
    };
    this.#applier = new EventApplier(backend, this.#o.maxConflictRetries);
    this.timers = new RedisTimers(ctx);
    this.workers = new RedisWorkers(ctx);
    this.sockets = new RedisSockets(ctx);
    this.pubsub = new RedisPubSub(ctx);
    this.calls = {
      create: (callId, record) => this.#create(callId, record),
      get: (callId) => this.#op(() => this.#get(callId)),
      known: (callId) => this.#known(callId),
      listByAgent: (agentId, opts) => this.#op(() => this.#listByAgent(agentId, opts ?? {})),
      listActive: (opts) => this.#op(() => this.#listActive(opts?.limit ?? 1000)),
    };
    this.flags = {
      get: (callId) =>
        this.#op(async () => nullableString(await this.#send.call('GET', this.#keys.flag(callId)))),
      set: (callId, destination, ttlMs) =>
        this.#op(async () => {
          await this.#send.call(
            'SET',
            this.#keys.flag(callId),
            destination,
            'PX',
            ttlMs ?? this.#o.flagTtlMs,
          );
        }),
      refresh: (callId, ttlMs) =>
        this.#op(async () => {
          const reply = await this.#send.call('PEXPIRE', this.#keys.flag(callId), ttlMs ?? this.#o.flagTtlMs);
          return replyNumber(reply) === 1;
        }),
      clear: (callId) =>
        this.#op(async () => {
          await this.#send.call('DEL', this.#keys.flag(callId));
        }),
      ttlMs: (callId) =>
        this.#op(async () => {
          const ttl = replyNumber(await this.#send.call('PTTL', this.#keys.flag(callId)));
          if (ttl === -2) return null;
          return ttl < 0 ? Number.POSITIVE_INFINITY : ttl;
        }),
    };
    this.dedupe = {
      claim: (key, opts) => {
        // This claim's own mark, the same on every try of it: a try whose answer was lost (timed
        // out while Redis was paused or restarting) may have set the key, and the next try then
        // finds its own mark there, not another claim's (soak seed 31940: a media token taken
        // for a replay of itself, the caller's first words lost).
        const mine = randomUUID();
        return this.#op(async () => {
          const redisKey =
            opts?.callId === undefined ? this.#keys.dedupe(key) : this.#keys.callDedupe(opts.callId, key);
          const ttl = opts?.ttlMs ?? this.#o.dedupeTtlMs;
          if ((await this.#send.call('SET', redisKey, mine, 'PX', ttl, 'NX')) !== null) return true;
          return (await this.#send.call('GET', redisKey)) === mine;
        });
      },
    };
  }

  /** The underlying client (benchmarks count its commands). */
  get client(): RedisClient {
    return this.#client;
  }

  applyEvent<T = undefined>(
    callId: string,
    ref: EventRef | undefined,
    step: Step<R, T>,
  ): Promise<ApplyResult<R, T>> {
    return this.#applier.apply(callId, ref, step);
  }

  async commit(callId: string, changes: CommitChanges<R>): Promise<CommitResult | Refused<R>> {
    checkCommit(callId, changes);
    const record = encodeRecord(changes.record);
    // One token for every attempt: a retry of an attempt that was applied reports success.
    const token = randomUUID();
    const result = await this.#op(() => commitOnce(this.#ctx, this.#split, callId, changes, record, token));
    if (result.ok) {
      if (changes.ended === undefined) this.#cache.set(callId, result.version, record);
      else this.#cache.delete(callId);
      return result;
    }
    if (!('state' in result) || result.state === undefined) {
      this.#cache.delete(callId);
      return result;
    }
    const { v, r, e, a, timerLive } = result.state;
    this.#remember(callId, v, r, e);
    const current: Loaded<R> = {
      stored: this.#stored(callId, v, r, e, a),
      duplicate: result.reason === 'duplicate',
      timerLive,
    };
    return { ok: false, reason: result.reason, version: result.version, current };
  }

  async health(): Promise<StoreHealth> {
    const status = this.#client.status;
    const base = { kind: this.kind, durable: this.durable, status };
    if (this.#closed) return { ok: false, detail: { ...base, error: 'closed' } };
    const started = performance.now();
    try {
      await withRetry(
        () => this.#send.call('PING'),
        { ...this.#policy, maxRetries: 0 },
        () => false,
      );
      return { ok: true, detail: { ...base, latencyMs: Math.round(performance.now() - started) } };
    } catch (err) {
      return { ok: false, detail: { ...base, error: toStoreError(err).code } };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pubsub.close();
    await quitClient(this.#client, this.#policy.timeoutMs);
  }

  #assertOpen(): void {
    if (this.#closed) throw new DaemonError('store_closed', 'the store is closed');
  }

  /** Every Redis operation: bounded retries, failures mapped to `DaemonError`. */
  async #op<T>(fn: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    return withRetry(
      async () => {
        this.#assertOpen();
        try {
          return await fn();
        } catch (err) {
          throw toStoreError(err);
        }
      },
      this.#policy,
      isRetryableError,
      STORE_RETRY_DEPS,
    ).catch((err: unknown) => {
      throw toStoreError(err);
    });
  }

  async #create(callId: string, record: R): Promise<{ created: boolean; version: number }> {
    checkId('callId', callId);
    const json = encodeRecord(record);
    const token = randomUUID();
    return this.#op(async () => {
      const k = this.#keys;
      const shard = k.shardOf(callId);
      const now = this.#o.now();
      if (this.#split) await this.#send.call('ZADD', k.active(shard), now, callId);
      const reply = replyArray(
        await runScript(
          this.#send,
          CREATE,
          [k.call(callId), this.#split ? k.call(callId) : k.active(shard)],
          [json, token, now, this.#o.activeTtlMs, this.#split ? 0 : 1, callId],
        ),
      );
      const created = replyNumber(reply[0]) === 1;
      const version = replyNumber(reply[1]);
      if (created) this.#cache.set(callId, version, json);
      return { created, version };
    });
  }

  async #load(
    callId: string,
    dedupeKey: string | undefined,
    timer: TimerRef | undefined,
    held: StoredCall<R> | undefined,
  ): Promise<Loaded<R> | null> {
    const k = this.#keys;
    const callKey = k.call(callId);
    const reply = await runScript(
      this.#send,
      LOAD,
      [callKey, dedupeKey === undefined ? callKey : k.callDedupe(callId, dedupeKey)],
      [
        dedupeKey === undefined ? 0 : 1,
        timer?.timerId ?? '',
        timer?.generation ?? '',
        held === undefined ? '' : held.version,
      ],
    );
    if (reply === null) {
      this.#cache.delete(callId);
      return null;
    }
    const [v, r, e, a, dup, live] = replyArray(reply);
    const flags = { duplicate: replyNumber(dup) === 1, timerLive: replyNumber(live) === 1 };
    if (held !== undefined && replyString(r) === '') {
      // The version the caller holds is still the stored one (lua.ts LOAD): the cached copy is
      // the stored state, parsed afresh as a load would return it. Gone from the cache meanwhile
      // (evicted): read it.
      const ended = e !== null && e !== undefined && replyString(e) !== '';
      const current = ended ? undefined : this.#known(callId);
      if (current !== undefined && current.version === replyNumber(v)) return { stored: current, ...flags };
      return this.#load(callId, dedupeKey, timer, undefined);
    }
    this.#remember(callId, v, r, e);
    return { stored: this.#stored(callId, v, r, e, a), ...flags };
  }

  async #get(callId: string): Promise<StoredCall<R> | null> {
    const [v, r, e, a] = replyArray(
      await this.#send.call('HMGET', this.#keys.call(callId), 'v', 'r', 'e', 'a'),
    );
    if (v === null || v === undefined) return null;
    this.#remember(callId, v, r, e, true);
    return this.#stored(callId, v, r, e, a);
  }

  /** The state a load or a refused commit read, kept for the call's next event while it is live. */
  #remember(callId: string, v: unknown, r: unknown, e: unknown, onlyNewer = false): void {
    if (e === null || e === undefined || replyString(e) === '')
      this.#cache.set(callId, replyNumber(v), replyString(r), onlyNewer);
    else this.#cache.delete(callId);
  }

  #known(callId: string): StoredCall<R> | undefined {
    const entry = this.#cache.get(callId);
    if (entry === undefined) return undefined;
    return { callId, record: JSON.parse(entry.json) as R, version: entry.version };
  }

  #stored(callId: string, v: unknown, r: unknown, e: unknown, a: unknown): StoredCall<R> {
    const ended = e === null || e === undefined ? '' : replyString(e);
    const stored: StoredCall<R> = {
      callId,
      record: JSON.parse(replyString(r)) as R,
      version: replyNumber(v),
    };
    if (ended === '') return stored;
    return {
      ...stored,
      endedAtMs: Number(ended),
      agentId: a === null || a === undefined ? '' : replyString(a),
    };
  }

  async #listByAgent(agentId: string, opts: { sinceMs?: number; limit?: number }): Promise<StoredCall<R>[]> {
    const key = this.#keys.agentEnded(agentId);
    const floor = Math.max(opts.sinceMs ?? 0, this.#o.now() - this.#o.retentionMs);
    const ids = replyArray(
      await this.#send.call('ZREVRANGEBYSCORE', key, '+inf', floor, 'LIMIT', 0, opts.limit ?? 100),
    ).map(replyString);
    const calls = await Promise.all(ids.map((id) => this.#get(id)));
    // The index may name a call whose commit failed (split mode) or whose record expired.
    return calls.filter((c): c is StoredCall<R> => c !== null && c.endedAtMs !== undefined);
  }

  async #listActive(limit: number): Promise<StoredCall<R>[]> {
    const out: StoredCall<R>[] = [];
    for (let shard = 0; shard < this.#keys.timerShards && out.length < limit; shard++) {
      const key = this.#keys.active(shard);
      const ids = replyArray(await this.#send.call('ZRANGE', key, 0, limit - out.length - 1)).map(
        replyString,
      );
      const calls = await Promise.all(ids.map((id) => this.#get(id)));
      const gone: string[] = [];
      calls.forEach((call, i) => {
        if (call !== null && call.endedAtMs === undefined) out.push(call);
        else gone.push(ids[i] as string);
      });
      // Expired or ended calls the index still names (a crash, or split mode's later step).
      if (gone.length > 0) await this.#send.call('ZREM', key, ...gone);
    }
    return out;
  }
}

/** A Redis command cannot be taken back once sent: its attempts get no abort signal. */
const STORE_RETRY_DEPS = { abortable: false } as const;

function nullableString(reply: unknown): string | null {
  return reply === null || reply === undefined ? null : replyString(reply);
}

async function quitClient(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  try {
    await withRetry(
      () => client.quit(),
      { maxRetries: 0, retryIntervalMs: 0, timeoutMs },
      () => false,
    );
  } catch {
    // Redis is away: nothing to flush, drop the socket.
  }
  client.disconnect();
}
