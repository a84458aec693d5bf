import { afterAll, beforeAll, describe } from 'vitest';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { storeContract } from './contract.js';
import { redisHarness } from './redis-harness.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

storeContract(
  'redis store',
  redisHarness(() => ({ redisUrl: server.url })),
);

describe('split-slot mode (the Redis Cluster code path, on one server)', () => {
  storeContract(
    'redis store, split slots',
    redisHarness(() => ({ redisUrl: server.url, splitSlots: true, timerShards: 4 })),
  );
});
