import { randomUUID } from 'node:crypto';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis-store.js';
import type { StoreOptions } from '../../src/store/types.js';
import { FakeClock, type Harness, type TestRecord } from './contract.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A harness on a real Redis: a fresh key prefix per test (isolation on one server), and two
 * stores with their own connections (two workers). The store clock starts at real time and moves
 * with `elapse`, which also really waits, because Redis expires keys on its own clock.
 */
export function redisHarness(base: () => RedisStoreOptions) {
  return async (options: StoreOptions = {}): Promise<Harness> => {
    const clock = new FakeClock(Date.now());
    const opts: RedisStoreOptions = {
      ...base(),
      keyPrefix: `t-${randomUUID().slice(0, 8)}:`,
      ...options,
      now: clock.now,
    };
    const store = new RedisStore<TestRecord>(opts);
    const peer = new RedisStore<TestRecord>(opts);
    return {
      store,
      peer,
      clock,
      elapse: async (ms) => {
        clock.advance(ms);
        await sleep(ms);
      },
      close: async () => {
        await store.close();
        await peer.close();
      },
    };
  };
}
