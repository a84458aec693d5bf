import { MemoryAgentBackend } from './memory-backend.js';
import { RedisAgentBackend } from './redis-backend.js';
import { StoredAgentRepository } from './repository.js';
import type { AgentRepository } from './types.js';

export { AgentError, type FieldIssue, ValidationError } from './errors.js';
export { StoredAgentRepository } from './repository.js';
export type * from './types.js';

export interface CreateAgentRepositoryOptions {
  /** Redis with its own connection; undefined → in memory (one process, like the memory store). */
  readonly redisUrl?: string;
  /** ISO region national numbers are read in. */
  readonly defaultRegion: string;
  /** The carriers an agent may name; default the registered ones (providers/index.ts). */
  readonly carriers?: readonly string[];
  /** Prepended to every key (tests). */
  readonly keyPrefix?: string;
}

/** The agent repository the daemon runs on: Redis when `redisUrl` is set, memory otherwise. */
export function createAgentRepository(options: CreateAgentRepositoryOptions): AgentRepository {
  const backend =
    options.redisUrl === undefined
      ? new MemoryAgentBackend()
      : new RedisAgentBackend({
          redisUrl: options.redisUrl,
          ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
        });
  return new StoredAgentRepository(backend, {
    defaultRegion: options.defaultRegion,
    ...(options.carriers === undefined ? {} : { carriers: options.carriers }),
  });
}

export { SeedingAgentRepository } from './seeding.js';
