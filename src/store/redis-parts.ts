import { Cluster } from 'ioredis';
import { DaemonError } from '../domain/errors.js';
import { type RetryPolicy, withRetry } from '../lib/retry.js';
import type { ResolvedOptions } from './common.js';
import { checkId, type Keys, parseTimerMember, timerMember } from './keys.js';
import { CLAIM, CLAIM_SOCKET, RELEASE, UNSCHEDULE } from './lua.js';
import {
  type CommandSender,
  type RedisClient,
  replyArray,
  replyNumber,
  replyString,
  runScript,
  toStoreError,
} from './redis-client.js';
import type {
  PubSub,
  SocketStore,
  TimerClaim,
  TimerRef,
  TimerStore,
  WorkerInfo,
  WorkerRegistryStore,
} from './types.js';

/** What the parts share with the store that owns them. */
export interface RedisContext {
  readonly client: RedisClient;
  readonly send: CommandSender;
  readonly keys: Keys;
  readonly options: ResolvedOptions;
  readonly policy: RetryPolicy;
  /** Bounded retries and error mapping (see RedisStore). */
  op<T>(fn: () => Promise<T>): Promise<T>;
  assertOpen(): void;
}

/**
 * Durable timers: per shard, `due` (by deadline) and `leased` (by lease expiry) sorted sets and
 * a `meta` hash. Claiming moves a member from `due` (or an expired lease) into `leased` in one
 * script, so concurrent pollers never receive the same timer while its lease runs.
 */
export class RedisTimers implements TimerStore {
  readonly #c: RedisContext;
  /** Where the next claim starts, so no shard starves another. */
  #nextShard = 0;

  constructor(ctx: RedisContext) {
    this.#c = ctx;
  }

  async claimDue(
    nowMs: number,
    limit: number,
    workerId: string,
    leaseMs: number,
  ): Promise<readonly TimerClaim[]> {
    checkId('workerId', workerId);
    return this.#c.op(async () => {
      const k = this.#c.keys;
      const out: TimerClaim[] = [];
      const first = this.#nextShard;
      this.#nextShard = (first + 1) % k.timerShards;
      for (let i = 0; i < k.timerShards && out.length < limit; i++) {
        const shard = (first + i) % k.timerShards;
        const reply = replyArray(
          await runScript(
            this.#c.send,
            CLAIM,
            [k.timersPending(shard), k.timersLeased(shard), k.timersMeta(shard)],
            [nowMs, limit - out.length, leaseMs, workerId],
          ),
        );
        const leaseUntilMs = replyNumber(reply[0]);
        for (let j = 1; j + 2 < reply.length; j += 3) {
          const ref = parseTimerMember(replyString(reply[j]));
          out.push({
            ...ref,
            atMs: replyNumber(reply[j + 1]),
            attempt: replyNumber(reply[j + 2]),
            leaseUntilMs,
          });
        }
      }
      return out;
    });
  }

  ack(claim: TimerRef): Promise<void> {
    return this.#c.op(async () => {
      const k = this.#c.keys;
      const shard = k.shardOf(claim.callId);
      await runScript(
        this.#c.send,
        UNSCHEDULE,
        [k.timersPending(shard), k.timersLeased(shard), k.timersMeta(shard)],
        [timerMember(claim.callId, claim.timerId, claim.generation)],
      );
    });
  }

  forCall(callId: string): Promise<readonly { timerId: string; atMs: number }[]> {
    return this.#c.op(async () => {
      const k = this.#c.keys;
      const fields = replyArray(await this.#c.send.call('HGETALL', k.call(callId))).map(replyString);
      const live: { timerId: string; member: string }[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const field = fields[i] as string;
        if (field.startsWith('t:')) {
          const timerId = field.slice(2);
          live.push({ timerId, member: timerMember(callId, timerId, fields[i + 1] as string) });
        }
      }
      if (live.length === 0) return [];
      const meta = replyArray(
        await this.#c.send.call('HMGET', k.timersMeta(k.shardOf(callId)), ...live.map((t) => t.member)),
      );
      const out: { timerId: string; atMs: number }[] = [];
      live.forEach((t, i) => {
        const m = meta[i];
        if (m !== null && m !== undefined)
          out.push({ timerId: t.timerId, atMs: Number(replyString(m).split('|')[0]) });
      });
      return out;
    });
  }

  count(): Promise<number> {
    return this.#c.op(async () => {
      const k = this.#c.keys;
      let total = 0;
      for (let shard = 0; shard < k.timerShards; shard++) {
        const [due, leased] = await Promise.all([
          this.#c.send.call('ZCARD', k.timersPending(shard)),
          this.#c.send.call('ZCARD', k.timersLeased(shard)),
        ]);
        total += replyNumber(due) + replyNumber(leased);
      }
      return total;
    });
  }
}

/**
 * Worker registry: `worker:{id}` holds the worker's info with a TTL (its heartbeat); the
 * `workers` set only indexes ids and is pruned of dead ones when listed.
 */
export class RedisWorkers implements WorkerRegistryStore {
  readonly #c: RedisContext;

  constructor(ctx: RedisContext) {
    this.#c = ctx;
  }

  async heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    checkId('workerId', info.workerId);
    return this.#c.op(async () => {
      const k = this.#c.keys;
      await Promise.all([
        this.#c.send.call('SET', k.worker(info.workerId), JSON.stringify(info), 'PX', ttlMs),
        this.#c.send.call('SADD', k.workers(), info.workerId),
      ]);
    });
  }

  remove(workerId: string): Promise<void> {
    return this.#c.op(async () => {
      const k = this.#c.keys;
      await Promise.all([
        this.#c.send.call('DEL', k.worker(workerId)),
        this.#c.send.call('SREM', k.workers(), workerId),
      ]);
    });
  }

  isAlive(workerId: string): Promise<boolean> {
    return this.#c.op(
      async () => replyNumber(await this.#c.send.call('EXISTS', this.#c.keys.worker(workerId))) === 1,
    );
  }

  list(): Promise<readonly WorkerInfo[]> {
    return this.#c.op(async () => {
      const k = this.#c.keys;
      const ids = replyArray(await this.#c.send.call('SMEMBERS', k.workers())).map(replyString);
      // One GET per id (not MGET): on a cluster the worker keys live in different slots.
      const infos = await Promise.all(ids.map((id) => this.#c.send.call('GET', k.worker(id))));
      const alive: WorkerInfo[] = [];
      const dead: string[] = [];
      infos.forEach((info, i) => {
        if (info === null || info === undefined) dead.push(ids[i] as string);
        else alive.push(JSON.parse(replyString(info)) as WorkerInfo);
      });
      if (dead.length > 0) await this.#c.send.call('SREM', k.workers(), ...dead);
      return alive.sort((a, b) => a.workerId.localeCompare(b.workerId));
    });
  }
}

/** `socket:{callId}` → the worker holding the call's media socket. Lives as long as an active call. */
export class RedisSockets implements SocketStore {
  readonly #c: RedisContext;

  constructor(ctx: RedisContext) {
    this.#c = ctx;
  }

  async claim(callId: string, workerId: string): Promise<string | null> {
    checkId('callId', callId);
    checkId('workerId', workerId);
    return this.#c.op(async () => {
      const reply = await runScript(
        this.#c.send,
        CLAIM_SOCKET,
        [this.#c.keys.socket(callId)],
        [workerId, this.#c.options.activeTtlMs],
      );
      return reply === null || reply === undefined ? null : replyString(reply);
    });
  }

  owner(callId: string): Promise<string | null> {
    return this.#c.op(async () => {
      const reply = await this.#c.send.call('GET', this.#c.keys.socket(callId));
      return reply === null || reply === undefined ? null : replyString(reply);
    });
  }

  release(callId: string, workerId: string): Promise<boolean> {
    return this.#c.op(async () => {
      const reply = await runScript(this.#c.send, RELEASE, [this.#c.keys.socket(callId)], [workerId]);
      return replyNumber(reply) === 1;
    });
  }
}

/**
 * Pub/sub on a second connection (a subscribed Redis connection cannot send other commands).
 * ioredis resubscribes by itself after a reconnect; once it has, each subscription's `onBack`
 * is called (what was published meanwhile reached nobody).
 */
export class RedisPubSub implements PubSub {
  readonly #c: RedisContext;
  #sub: RedisClient | undefined;
  readonly #handlers = new Map<string, Set<(message: string) => void>>();
  readonly #onBack = new Map<string, Set<() => void>>();
  /** The subscriber connection was lost since it was last ready. */
  #lost = false;

  constructor(ctx: RedisContext) {
    this.#c = ctx;
  }

  /**
   * One attempt, never queued: a command replayed after a reconnect could reach a worker long
   * after the caller gave up on it and fell back to the carrier's continuation.
   */
  async publish(channel: string, message: string): Promise<number> {
    this.#c.assertOpen();
    if (this.#c.client.status !== 'ready') {
      throw new DaemonError('store_unavailable', 'redis is not connected', { retryable: true });
    }
    try {
      const reply = await withRetry(
        () => this.#c.send.call('PUBLISH', this.#c.keys.channel(channel), message),
        { ...this.#c.policy, maxRetries: 0 },
        () => false,
      );
      return replyNumber(reply);
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async subscribe(
    channel: string,
    handler: (message: string) => void,
    onBack?: () => void,
  ): Promise<() => Promise<void>> {
    this.#c.assertOpen();
    const name = this.#c.keys.channel(channel);
    const sub = this.#subscriber();
    if (onBack !== undefined) {
      const backs = this.#onBack.get(name) ?? new Set<() => void>();
      backs.add(onBack);
      this.#onBack.set(name, backs);
    }
    let set = this.#handlers.get(name);
    if (set === undefined) {
      set = new Set();
      this.#handlers.set(name, set);
      try {
        await this.#c.op(() => sub.subscribe(name));
      } catch (err) {
        this.#handlers.delete(name);
        if (onBack !== undefined) this.#onBack.get(name)?.delete(onBack);
        throw err;
      }
    }
    set.add(handler);
    return async () => {
      if (onBack !== undefined) this.#onBack.get(name)?.delete(onBack);
      const current = this.#handlers.get(name);
      if (current === undefined || !current.delete(handler) || current.size > 0) return;
      this.#handlers.delete(name);
      if (sub.status === 'ready') await this.#c.op(() => sub.unsubscribe(name)).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    const sub = this.#sub;
    this.#sub = undefined;
    this.#handlers.clear();
    this.#onBack.clear();
    if (sub === undefined) return;
    try {
      await withRetry(
        () => sub.quit(),
        { maxRetries: 0, retryIntervalMs: 0, timeoutMs: this.#c.policy.timeoutMs },
        () => false,
      );
    } catch {
      // Redis is away: drop the socket below.
    }
    sub.disconnect();
  }

  #subscriber(): RedisClient {
    if (this.#sub !== undefined) return this.#sub;
    const client = this.#c.client;
    const sub: RedisClient = client instanceof Cluster ? client.duplicate() : client.duplicate();
    // Both client kinds are EventEmitters; the union's overloads confuse the checker.
    const events = sub as unknown as NodeJS.EventEmitter;
    events.on('message', (channel: string, message: string) => {
      for (const handler of this.#handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch {
          // A handler's own failure must not stop delivery to the others; handlers log their errors.
        }
      }
    });
    // Errors surface through reconnects and failed subscribe calls; an unhandled 'error' event would crash.
    events.on('error', () => undefined);
    events.on('close', () => {
      this.#lost = true;
    });
    events.on('ready', () => {
      if (!this.#lost) return;
      this.#lost = false;
      this.#resubscribed(sub).catch(() => undefined);
    });
    this.#sub = sub;
    return sub;
  }

  /**
   * After a reconnect: ioredis sent its own SUBSCRIBE when the connection became ready; this one,
   * sent after it on the same connection, answers once every channel listens again. Then each
   * subscription hears that it is back. A connection lost again meanwhile calls them on its next
   * ready.
   */
  async #resubscribed(sub: RedisClient): Promise<void> {
    const names = [...this.#handlers.keys()];
    if (names.length === 0 || this.#sub !== sub) return;
    // A failure here with the connection still up leaves ioredis' own SUBSCRIBE, sent first.
    await this.#c.op(() => sub.subscribe(...names)).catch(() => undefined);
    if (this.#lost || this.#sub !== sub) return;
    for (const name of names)
      for (const onBack of this.#onBack.get(name) ?? []) {
        try {
          onBack();
        } catch {
          // As for handlers: one listener's failure must not keep the others from hearing it.
        }
      }
  }
}
