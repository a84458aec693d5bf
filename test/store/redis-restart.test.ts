import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Step } from '../../src/store/types.js';
import { startRedisServer } from '../../support/redis-server.js';
import { eventually } from '../support/eventually.js';
import type { TestRecord } from './contract.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const append =
  (id: string): Step<TestRecord, undefined> =>
  (r) => ({ record: { events: [...r.events, id], count: r.count + 1 } });
const retry = { maxRetries: 2, retryIntervalMs: 50, timeoutMs: 300 };

describe('Redis restarting mid-run', () => {
  it('with an append-only file (as in production): writes fail cleanly while it is away, nothing acknowledged is lost, work resumes', async () => {
    const server = await startRedisServer({ persist: true });
    const prefix = 'rs:';
    const store = new RedisStore<TestRecord>({ redisUrl: server.url, keyPrefix: prefix, retry });
    const admin = new Redis(server.url, { retryStrategy: () => 50 });
    admin.on('error', () => undefined);
    const CALLS = 100;
    const EVENTS = 20;
    const acked: number[][] = Array.from({ length: CALLS }, () => []);
    const errors: unknown[] = [];
    let paused = false;
    let busy = 0;
    let replays = 0;
    try {
      for (let i = 0; i < CALLS; i++) await store.calls.create(`c${i}`, { events: [], count: 0 });
      const runCall = async (i: number) => {
        for (let k = 1; k <= EVENTS; k++) {
          for (;;) {
            while (paused) await sleep(10);
            busy++;
            try {
              const r = await store.applyEvent(`c${i}`, `e${k}`, append(`e${k}`));
              if (r.status === 'applied') acked[i]?.push(k);
              else {
                // Our own earlier attempt had been applied; only its reply was lost.
                expect(r.status).toBe('duplicate');
                replays++;
              }
              break;
            } catch (err) {
              errors.push(err);
              await sleep(20);
            } finally {
              busy--;
            }
          }
        }
      };
      const loops = Array.from({ length: CALLS }, (_, i) => runCall(i));
      const ackedCount = () => acked.reduce((n, a) => n + a.length, 0);

      await eventually(() => ackedCount() >= 300, '300 acknowledged events');
      await server.kill(); // SIGKILL: no shutdown, no final flush
      await eventually(() => errors.length >= 20, '20 failures with Redis down');
      paused = true;
      await eventually(() => busy === 0, 'every call loop to pause');
      await server.start();
      await eventually(async () => (await store.health()).ok, 'the store to be healthy again');

      // Every failure was the one retryable code.
      for (const err of errors) {
        expect(err).toBeInstanceOf(DaemonError);
        expect(err).toMatchObject({ code: 'store_unavailable', retryable: true });
      }
      // Right after the restart: each call holds whole transitions only, and everything acknowledged.
      for (let i = 0; i < CALLS; i++) {
        const call = await store.calls.get(`c${i}`);
        const events = call?.record.events ?? [];
        const k = events.length;
        expect(events).toEqual(Array.from({ length: k }, (_, j) => `e${j + 1}`));
        expect(call?.version).toBe(k + 1);
        expect(call?.record.count).toBe(k);
        for (const a of acked[i] ?? []) expect(a).toBeLessThanOrEqual(k);
        // The dedupe claim went with the save: present exactly for the applied events.
        if (k > 0) expect(await admin.exists(`${prefix}dedupe:{c${i}}:e${k}`)).toBe(1);
        expect(await admin.exists(`${prefix}dedupe:{c${i}}:e${k + 1}`)).toBe(0);
      }
      paused = false;
      await Promise.all(loops);
      const expected = Array.from({ length: EVENTS }, (_, j) => `e${j + 1}`);
      for (let i = 0; i < CALLS; i++) {
        expect(await store.calls.get(`c${i}`)).toMatchObject({
          version: EVENTS + 1,
          record: { events: expected },
        });
      }
      // Each event was applied once: acknowledged, or found applied when retried after a lost reply.
      expect(ackedCount() + replays).toBe(CALLS * EVENTS);
      expect(replays).toBeLessThanOrEqual(errors.length);
    } finally {
      paused = false;
      admin.disconnect();
      await store.close();
      await server.stop();
    }
  });

  it('after a long outage the commands and the subscription are each back within half a second of Redis, and the subscription says so', async () => {
    const server = await startRedisServer();
    const store = new RedisStore<TestRecord>({ redisUrl: server.url, retry });
    const heard: string[] = [];
    let backAtMs: number | undefined;
    try {
      await store.pubsub.subscribe(
        'cmd:w1',
        (message) => heard.push(message),
        () => {
          backAtMs = performance.now();
        },
      );
      await server.kill();
      // Long enough for the reconnect backoff to reach its cap.
      await sleep(5_500);
      await server.start();
      const upAtMs = performance.now();
      await eventually(async () => (await store.health()).ok, 'the store to be healthy again');
      expect(performance.now() - upAtMs).toBeLessThan(900);
      const back = await eventually(() => backAtMs, 'the subscription to say it is back');
      expect(back - upAtMs).toBeLessThan(900);
      // Said once it listens again: a command published now is heard.
      expect(await store.pubsub.publish('cmd:w1', 'after')).toBe(1);
      await eventually(() => heard.includes('after'), 'the command heard');
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('without persistence (the private test server): the restart loses the data, the store says so and serves new work', async () => {
    const server = await startRedisServer();
    const store = new RedisStore<TestRecord>({ redisUrl: server.url, retry });
    try {
      await store.calls.create('c1', { events: [], count: 0 });
      expect((await store.applyEvent('c1', 'e1', append('e1'))).status).toBe('applied');
      await server.kill();
      const failure = await store.applyEvent('c1', 'e2', append('e2')).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'store_unavailable', retryable: true });
      expect((await store.health()).ok).toBe(false);
      await server.start();
      await eventually(async () => (await store.health()).ok, 'the store to be healthy again');
      // Nothing was on disk: the call is gone, and applying to it says so rather than inventing state.
      expect(await store.calls.get('c1')).toBeNull();
      expect((await store.applyEvent('c1', 'e2', append('e2'))).status).toBe('missing');
      // The scripts are reloaded transparently (NOSCRIPT → EVAL) and new calls work.
      await store.calls.create('c2', { events: [], count: 0 });
      expect((await store.applyEvent('c2', 'e1', append('e1'))).status).toBe('applied');
      expect(await store.calls.get('c2')).toMatchObject({ version: 2, record: { events: ['e1'] } });
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
