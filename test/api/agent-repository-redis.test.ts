import { afterAll, beforeAll } from 'vitest';
import { createAgentRepository } from '../../src/agent-repository/index.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { agentRepositoryContract } from './agent-repository.contract.js';

let server: RedisServer;
let prefix = '';
let n = 0;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

agentRepositoryContract('redis agent repository', {
  make: async () => {
    n += 1;
    prefix = `t${n}:`;
    return createAgentRepository({ redisUrl: server.url, defaultRegion: 'US', keyPrefix: prefix });
  },
  another: async () =>
    createAgentRepository({ redisUrl: server.url, defaultRegion: 'US', keyPrefix: prefix }),
  cleanup: async () => undefined,
});
