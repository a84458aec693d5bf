import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import { corkedSender } from '../../src/store/corked-sender.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Step } from '../../src/store/types.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { countWrites } from '../support/socket-writes.js';
import type { TestRecord } from './contract.js';

/**
 * The store's commands issued in one tick leave in one socket write (corked-sender.ts), each
 * keeping its own reply, error and retry, across a connection lost and a Redis restarted while
 * a batch is on its way (a real redis-server).
 */

const append =
  (id: string): Step<TestRecord, undefined> =>
  (r) => ({ record: { events: [...r.events, id], count: r.count + 1 } });

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({ persist: true });
});
afterAll(async () => {
  await server?.stop();
});

const CALLS = 40;

async function ready(client: Redis): Promise<void> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
}

/**
 * A store on a client that reconnects every `reconnectMs`, with `CALLS` calls created and the
 * client ready: what the fault tests start from.
 */
async function faultableStore(
  reconnectMs: number,
  retry: { maxRetries: number; retryIntervalMs: number; timeoutMs: number },
  prefix: string,
): Promise<{ client: Redis; store: RedisStore<TestRecord> }> {
  const client = new Redis(server.url, { retryStrategy: () => reconnectMs, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const store = new RedisStore<TestRecord>({ client, keyPrefix: `${prefix}-${Date.now()}:`, retry });
  for (let i = 0; i < CALLS; i++) await store.calls.create(`c${i}`, { events: [], count: 0 });
  await ready(client);
  return { client, store };
}

describe('commands issued in one tick: one socket write', () => {
  it('forty commits of forty calls leave in one write, and each is applied', async () => {
    const client = new Redis(server.url);
    const store = new RedisStore<TestRecord>({ client, keyPrefix: `ck1-${Date.now()}:` });
    try {
      for (let i = 0; i < CALLS; i++) await store.calls.create(`c${i}`, { events: [], count: 0 });
      // The commit's script loaded once (a fresh server answers its first EVALSHA with NOSCRIPT).
      await store.calls.create('w', { events: [], count: 0 });
      await store.applyEvent('w', 'e1', append('e1'));
      const writes = countWrites(client);
      const results = await Promise.all(
        Array.from({ length: CALLS }, (_, i) => store.applyEvent(`c${i}`, 'e1', append('e1'))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(CALLS).fill('applied'));
      // One commit each (the store knows each call's state): all in one write, not forty.
      expect(writes()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('each command keeps its own reply or error', async () => {
    const client = new Redis(server.url);
    await ready(client);
    const send = corkedSender(client);
    const key = `ck2-${Date.now()}`;
    try {
      const writes = countWrites(client);
      const [set, incr, get] = await Promise.allSettled([
        send.call('SET', key, 'not a number'),
        send.call('INCR', key),
        send.call('GET', key),
      ]);
      expect(set).toEqual({ status: 'fulfilled', value: 'OK' });
      expect(incr.status).toBe('rejected');
      expect(incr.status === 'rejected' ? (incr.reason as Error).name : '').toBe('ReplyError');
      expect(get).toEqual({ status: 'fulfilled', value: 'not a number' });
      expect(writes()).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it('the connection lost before the held writes leave: every commit applied once, after the reconnect', async () => {
    const { client, store } = await faultableStore(
      20,
      { maxRetries: 5, retryIntervalMs: 50, timeoutMs: 500 },
      'ck3',
    );
    try {
      const pending = Array.from({ length: CALLS }, (_, i) => store.applyEvent(`c${i}`, 'e1', append('e1')));
      // Same tick: the commits are held in the socket, which dies before they leave.
      client.stream.destroy();
      const results = await Promise.all(pending);
      // Applied, or a duplicate where an attempt's reply was lost after it was applied.
      for (const r of results) expect(['applied', 'duplicate']).toContain(r.status);
      for (let i = 0; i < CALLS; i++) expect((await store.calls.get(`c${i}`))?.record.events).toEqual(['e1']);
    } finally {
      await store.close();
    }
  });

  it('Redis killed while a batch is on its way: each commit applied or failed as store_unavailable, nothing acknowledged lost', async () => {
    const { client, store } = await faultableStore(
      50,
      { maxRetries: 1, retryIntervalMs: 20, timeoutMs: 200 },
      'ck4',
    );
    try {
      const pending = Array.from({ length: CALLS }, (_, i) => store.applyEvent(`c${i}`, 'e1', append('e1')));
      const killed = server.kill();
      const settled = await Promise.allSettled(pending);
      await killed;
      for (const s of settled) {
        if (s.status === 'fulfilled') expect(s.value.status).toBe('applied');
        else expect(s.reason).toMatchObject({ code: 'store_unavailable', retryable: true });
        if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(DaemonError);
      }
      await server.start();
      // What is checked next is what the batch left, not how soon the client reconnects (every
      // 50 ms; on a loaded machine later than the 200 ms attempts allow).
      await ready(client);
      // Each call holds its event at most once, and every acknowledged one (append-only file).
      for (const [i, s] of settled.entries()) {
        const events = (await store.calls.get(`c${i}`))?.record.events;
        if (s.status === 'fulfilled') expect(events).toEqual(['e1']);
        else expect(events?.length ?? 0).toBeLessThanOrEqual(1);
      }
      // And the store works on: a second event for every call.
      const again = await Promise.all(
        Array.from({ length: CALLS }, (_, i) => store.applyEvent(`c${i}`, 'e2', append('e2'))),
      );
      for (const r of again) expect(r.status).toBe('applied');
    } finally {
      await store.close();
    }
  });
});
