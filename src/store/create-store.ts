import { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import type { Store } from './types.js';

/** Options of `createStore`: Redis when `redisUrl` (or `clusterNodes`) is set, memory otherwise. */
export type CreateStoreOptions = RedisStoreOptions & MemoryStoreOptions;

/**
 * The store the daemon runs on. Without `redisUrl` it is the in-memory store: one process, and
 * `durable === false` — the daemon should say at start that nothing survives a restart.
 */
export function createStore<R extends object>(options: CreateStoreOptions = {}): Store<R> {
  const clustered = options.clusterNodes !== undefined && options.clusterNodes.length > 0;
  if (options.redisUrl !== undefined || clustered || options.client !== undefined) {
    return new RedisStore<R>(options);
  }
  return new MemoryStore<R>(options);
}
