import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { eventually } from '../support/eventually.js';
import { storeContract } from './contract.js';
import { redisHarness } from './redis-harness.js';

/**
 * A one-node Redis Cluster owning all 16 384 slots. Cluster mode makes Redis refuse any script
 * whose keys span two slots (CROSSSLOT), so the whole contract passing here shows that every
 * script keeps to one slot.
 */
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({
    extraArgs: [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-announce-ip',
      '127.0.0.1',
    ],
  });
  const admin = new Redis(server.url);
  try {
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await eventually(
      async () => String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok'),
      'cluster_state:ok',
    );
  } finally {
    admin.disconnect();
  }
});
afterAll(async () => {
  await server?.stop();
});

const nodes = () => [`127.0.0.1:${server.port}`];

describe('redis cluster', () => {
  it('refuses a script spanning two slots (so the contract below proves something)', async () => {
    const store = new RedisStore({ clusterNodes: nodes() });
    try {
      const err = await store.client
        .call('EVAL', "return redis.call('GET', KEYS[2])", 2, 'call:{a}', 'call:{b}')
        .catch((e: unknown) => e);
      expect(String(err)).toContain('CROSSSLOT');
    } finally {
      await store.close();
    }
  });

  storeContract(
    'redis cluster store',
    redisHarness(() => ({ clusterNodes: nodes() })),
  );
});
