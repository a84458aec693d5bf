export type { CreateStoreOptions } from './create-store.js';
export { createStore } from './create-store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { DEFAULT_STORE_RETRY } from './redis-client.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export * from './types.js';
