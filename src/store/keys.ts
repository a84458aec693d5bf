import { DaemonError } from '../domain/errors.js';

/**
 * Key names (docs/store.md has the table). Every key of one call carries the `{callId}` hash
 * tag, so on Redis Cluster they live in one slot and the commit script may touch them together.
 * Timer schedules and the active-call index are sharded by `{tN}` / `{aN}` tags instead: they
 * are read across calls.
 */
export class Keys {
  readonly #p: string;
  readonly timerShards: number;

  constructor(prefix: string, timerShards: number) {
    this.#p = prefix;
    this.timerShards = timerShards;
  }

  /** Hash: `v` version, `r` record JSON, `c` last commit token, `e`/`a` ended, `t:<id>` timer generations. */
  call(callId: string): string {
    return `${this.#p}call:{${callId}}`;
  }
  /** The transfer flag: exactly `transfer:{callId}` with the default empty prefix. */
  flag(callId: string): string {
    return `${this.#p}transfer:{${callId}}`;
  }
  callDedupe(callId: string, key: string): string {
    return `${this.#p}dedupe:{${callId}}:${key}`;
  }
  dedupe(key: string): string {
    return `${this.#p}dedupe:${key}`;
  }
  socket(callId: string): string {
    return `${this.#p}socket:{${callId}}`;
  }
  /** Sorted set: pending timers by deadline. */
  timersPending(shard: number): string {
    return `${this.#p}timers:{t${shard}}:due`;
  }
  /** Sorted set: claimed timers by lease expiry. */
  timersLeased(shard: number): string {
    return `${this.#p}timers:{t${shard}}:leased`;
  }
  /** Hash: timer member → `atMs|attempts`. */
  timersMeta(shard: number): string {
    return `${this.#p}timers:{t${shard}}:meta`;
  }
  /** Sorted set: calls not ended, by creation time. */
  active(shard: number): string {
    return `${this.#p}active:{a${shard}}`;
  }
  /** Sorted set: an agent's ended calls by end time, trimmed to retention. */
  agentEnded(agentId: string): string {
    return `${this.#p}agent:{${agentId}}:ended`;
  }
  worker(workerId: string): string {
    return `${this.#p}worker:{${workerId}}`;
  }
  workers(): string {
    return `${this.#p}workers`;
  }
  channel(name: string): string {
    return `${this.#p}${name}`;
  }

  shardOf(callId: string): number {
    return this.timerShards === 1 ? 0 : fnv1a(callId) % this.timerShards;
  }
}

/** 32-bit FNV-1a: a stable spread of call ids over shards. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A scheduled timer's member in the shard's sorted sets: `callId \n timerId \n generation`.
 * The generation makes every start a distinct member, so a stale start can never overwrite or
 * remove a newer one. Lua builds the same string; ids therefore must not contain a newline.
 */
export function timerMember(callId: string, timerId: string, generation: string): string {
  return `${callId}\n${timerId}\n${generation}`;
}

export function parseTimerMember(member: string): { callId: string; timerId: string; generation: string } {
  const a = member.indexOf('\n');
  const b = member.indexOf('\n', a + 1);
  if (a < 0 || b < 0) throw new DaemonError('store_corrupt', 'malformed timer member');
  return { callId: member.slice(0, a), timerId: member.slice(a + 1, b), generation: member.slice(b + 1) };
}

/** Ids end up inside keys and timer members: they must be non-empty and single-line. */
export function checkId(kind: string, id: string): void {
  if (id.length === 0 || id.length > 256 || id.includes('\n')) {
    throw new DaemonError('invalid_id', `${kind} must be 1–256 characters without newlines`);
  }
}
