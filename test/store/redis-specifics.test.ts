import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import { createStore } from '../../src/store/create-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Step } from '../../src/store/types.js';
import { freePort, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import type { TestRecord } from './contract.js';

let server: RedisServer;
let admin: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

const append =
  (id: string): Step<TestRecord, undefined> =>
  (r) => ({ record: { events: [...r.events, id], count: r.count + 1 } });

/**
 * A client that counts the commands it sends (each one a request on the wire). Server-side
 * counters would not do: INFO counts the commands a script runs inside Redis as well.
 */
/** A store whose attempts time out after 100 ms and are tried again, ten times: for answers held back. */
function quickRetryStore(prefix: string): RedisStore<TestRecord> {
  return new RedisStore<TestRecord>({
    redisUrl: server.url,
    keyPrefix: `${prefix}-${randomUUID().slice(0, 8)}:`,
    retry: { maxRetries: 10, retryIntervalMs: 20, timeoutMs: 100 },
  });
}

function countingClient(url: string): { client: Redis; sent: () => number; reset: () => void } {
  const client = new Redis(url);
  let sent = 0;
  const original = client.sendCommand.bind(client);
  client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    sent++;
    return original(...args);
  };
  return { client, sent: () => sent, reset: () => (sent = 0) };
}

async function keysWithPrefix(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = (await admin.call('SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)) as [
      string,
      string[],
    ];
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

describe('redis store: keys and TTLs', () => {
  it('uses exactly transfer:{callId} for the flag, and one {callId} hash tag for every key of a call', async () => {
    const store = createStore<TestRecord>({ redisUrl: server.url });
    const callId = `CA${randomUUID().replaceAll('-', '')}`;
    try {
      expect(store.kind).toBe('redis');
      expect(store.durable).toBe(true);
      await store.calls.create(callId, { events: [], count: 0 });
      await store.applyEvent(callId, 'cb-1', (r) => ({
        record: r,
        flag: { set: '+15550100' },
        timers: { start: [{ timerId: 'ring', atMs: Date.now() + 60_000 }] },
      }));
      await store.sockets.claim(callId, 'w1');
      expect(await admin.get(`transfer:{${callId}}`)).toBe('+15550100');
      const flagTtl = await admin.pttl(`transfer:{${callId}}`);
      expect(flagTtl).toBeGreaterThan(290_000);
      expect(flagTtl).toBeLessThanOrEqual(300_000);
      for (const key of [`call:{${callId}}`, `dedupe:{${callId}}:cb-1`, `socket:{${callId}}`]) {
        expect(await admin.exists(key)).toBe(1);
        expect(await admin.pttl(key)).toBeGreaterThan(0);
      }
      const dedupeTtl = await admin.pttl(`dedupe:{${callId}}:cb-1`);
      expect(dedupeTtl).toBeGreaterThan(3_500_000);
      expect(dedupeTtl).toBeLessThanOrEqual(3_600_000);
      expect(await admin.zcard('timers:{t0}:due')).toBeGreaterThanOrEqual(1);
    } finally {
      await store.close();
    }
  });

  it('after a call ends and its timers fire, every key it left behind expires by itself', async () => {
    const prefix = `gc-${randomUUID().slice(0, 8)}:`;
    const store = new RedisStore<TestRecord>({ redisUrl: server.url, keyPrefix: prefix });
    try {
      const now = Date.now();
      for (let i = 0; i < 20; i++) {
        const id = `c${i}`;
        await store.calls.create(id, { events: [], count: 0 });
        await store.applyEvent(id, `e-${i}`, (r) => ({
          record: r,
          flag: { set: 'sip:x@y' },
          timers: {
            start: [
              { timerId: 'a', atMs: now - 1 },
              { timerId: 'b', atMs: now + 60_000 },
            ],
          },
        }));
        await store.sockets.claim(id, 'w1');
        await store.dedupe.claim(`hook-${i}`);
      }
      for (const claim of await store.timers.claimDue(now, 100, 'w1', 30_000)) {
        expect((await store.applyEvent(claim.callId, { timer: claim }, append('fired'))).status).toBe(
          'applied',
        );
        await store.timers.ack(claim);
      }
      for (let i = 0; i < 20; i++) {
        await store.applyEvent(`c${i}`, 'end', (r) => ({
          record: r,
          ended: { agentId: 'agent-1', endedAtMs: now },
        }));
        await store.sockets.release(`c${i}`, 'w1');
      }
      expect(await store.timers.count()).toBe(0);
      const keys = await keysWithPrefix(prefix);
      const forever: string[] = [];
      for (const key of keys) if ((await admin.pttl(key)) < 0) forever.push(key);
      expect(forever).toEqual([]);
      expect(await admin.pttl(`${prefix}call:{c0}`)).toBeGreaterThan(6 * 24 * 3_600_000);
      expect(await admin.pttl(`${prefix}agent:{agent-1}:ended`)).toBeGreaterThan(6 * 24 * 3_600_000);
      expect((await store.calls.listByAgent('agent-1', { limit: 100 })).length).toBe(20);
    } finally {
      await store.close();
    }
  });
});

describe('redis store: round trips', () => {
  it('applyEvent on a call this store saw sends one command (the commit); a duplicate too', async () => {
    const counting = countingClient(server.url);
    const store = new RedisStore<TestRecord>({
      client: counting.client,
      keyPrefix: `rt-${randomUUID().slice(0, 8)}:`,
    });
    try {
      const id = randomUUID();
      await store.calls.create(id, { events: [], count: 0 });
      await store.applyEvent(id, 'warm-up', append('warm-up')); // connection setup, script loading
      counting.reset();
      for (let i = 0; i < 10; i++) {
        const r = await store.applyEvent(id, `e${i}`, (rec) => ({
          record: { events: [...rec.events, `e${i}`], count: rec.count + 1 },
          flag: { set: 'sip:a@b' },
          timers: { start: [{ timerId: `t${i}`, atMs: Date.now() + 60_000 }], cancel: [`t${i - 1}`] },
        }));
        expect(r.status).toBe('applied');
      }
      expect(counting.sent()).toBe(10);
      counting.reset();
      expect((await store.applyEvent(id, 'e3', append('e3'))).status).toBe('duplicate');
      expect(counting.sent()).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('redis store: the last known state of a call (one round trip per event)', () => {
  const twoWorkers = (): {
    a: RedisStore<TestRecord>;
    b: RedisStore<TestRecord>;
    counting: ReturnType<typeof countingClient>;
    keyPrefix: string;
  } => {
    const keyPrefix = `cache-${randomUUID().slice(0, 8)}:`;
    const counting = countingClient(server.url);
    return {
      a: new RedisStore<TestRecord>({ client: counting.client, keyPrefix }),
      b: new RedisStore<TestRecord>({ redisUrl: server.url, keyPrefix }),
      counting,
      keyPrefix,
    };
  };

  it('a state saved by another worker meanwhile costs no extra round trip: the refused commit carries it', async () => {
    const { a, b, counting } = twoWorkers();
    try {
      const id = randomUUID();
      await a.calls.create(id, { events: [], count: 0 });
      await a.applyEvent(id, 'a1', append('a1'));
      await b.applyEvent(id, 'b1', append('b1'));
      counting.reset();
      const r = await a.applyEvent(id, 'a2', append('a2'));
      expect(r).toMatchObject({
        status: 'applied',
        version: 4,
        record: { events: ['a1', 'b1', 'a2'], count: 3 },
      });
      expect(counting.sent()).toBe(2);
      counting.reset();
      expect((await a.applyEvent(id, 'a3', append('a3'))).version).toBe(5);
      expect(counting.sent()).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('`calls.known` gives the last state this worker saved, without a command; it may be behind', async () => {
    const { a, b, counting } = twoWorkers();
    try {
      const id = randomUUID();
      expect(a.calls.known?.(id)).toBeUndefined();
      await a.calls.create(id, { events: [], count: 0 });
      await a.applyEvent(id, 'a1', append('a1'));
      counting.reset();
      expect(a.calls.known?.(id)).toMatchObject({ version: 2, record: { events: ['a1'] } });
      // Another worker's commit is not seen: only what never changes may be taken from it.
      await b.applyEvent(id, 'b1', append('b1'));
      expect(a.calls.known?.(id)).toMatchObject({ version: 2, record: { events: ['a1'] } });
      expect(counting.sent()).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an event the cached state would ignore is stepped again on the stored state', async () => {
    const { a, b } = twoWorkers();
    try {
      const id = randomUUID();
      await a.calls.create(id, { events: [], count: 0 });
      await a.applyEvent(id, 'a1', append('a1'));
      await b.applyEvent(id, 'b1', append('b1'));
      // Only meaningful once b1 is in: on a's cached copy the step returns null.
      const afterB = (rec: TestRecord) => (rec.events.includes('b1') ? append('a2')(rec, 0) : null);
      expect(await a.applyEvent(id, 'a2', afterB)).toMatchObject({
        status: 'applied',
        record: { events: ['a1', 'b1', 'a2'] },
      });
      expect(await a.applyEvent(id, 'a3', () => null)).toMatchObject({ status: 'unchanged', version: 4 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the next step sees the state as stored (JSON), never the object the last step returned', async () => {
    const { a, b, counting } = twoWorkers();
    try {
      const id = randomUUID();
      await a.calls.create(id, { events: [], count: 0 });
      const saved = await a.applyEvent(id, 'a1', () => ({
        record: { events: ['a1'], count: 1, extra: undefined } as TestRecord,
      }));
      (saved.record?.events as string[] | undefined)?.push('changed after the save');
      counting.reset();
      const seen: TestRecord[] = [];
      await a.applyEvent(id, 'a2', (rec) => {
        seen.push(rec);
        return append('a2')(rec, 0);
      });
      expect(counting.sent()).toBe(1);
      expect(seen[0]).toEqual({ events: ['a1'], count: 1 });
      expect(Object.keys(seen[0] ?? {})).toEqual(['events', 'count']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a report the cached state ignores is confirmed by its version: the record is not sent again', async () => {
    const { a, b, counting } = twoWorkers();
    const replies: unknown[] = [];
    const send = counting.client.sendCommand.bind(counting.client);
    counting.client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
      const sent = send(...args);
      void args[0].promise.then((reply: unknown) => replies.push(reply)).catch(() => undefined);
      return sent;
    };
    try {
      const id = randomUUID();
      await a.calls.create(id, { events: [], count: 0 });
      await a.applyEvent(id, 'a1', append('a1'));
      replies.length = 0;
      counting.reset();
      const seen: TestRecord[] = [];
      const ignore: Step<TestRecord, undefined> = (rec) => {
        seen.push(rec);
        return null;
      };
      expect(await a.applyEvent(id, 'n1', ignore)).toEqual({
        status: 'unchanged',
        record: { events: ['a1'], count: 1 },
        version: 2,
      });
      // One round trip (the check), whose reply holds the version and no record.
      expect(counting.sent()).toBe(1);
      expect(replies).toEqual([['2', '', '', '', 0, 1]]);
      // One step: the store confirmed the very state it changed nothing in, so a second step
      // would decide the same.
      expect(seen).toHaveLength(1);
      // Another worker changed it: the same check reads the new state, and the step sees it.
      await b.applyEvent(id, 'b1', append('b1'));
      const afterB = (rec: TestRecord) => (rec.events.includes('b1') ? append('a2')(rec, 0) : null);
      expect(await a.applyEvent(id, 'a2', afterB)).toMatchObject({
        status: 'applied',
        record: { events: ['a1', 'b1', 'a2'] },
      });
      // A duplicate met this way is still a duplicate.
      expect(await a.applyEvent(id, 'a1', ignore)).toMatchObject({ status: 'duplicate', version: 4 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a call gone from the store is missing, whatever the cache held', async () => {
    const { a, b, keyPrefix } = twoWorkers();
    try {
      const id = randomUUID();
      await a.calls.create(id, { events: [], count: 0 });
      await a.applyEvent(id, 'a1', append('a1'));
      await admin.del(`${keyPrefix}call:{${id}}`);
      expect(await a.applyEvent(id, 'a2', append('a2'))).toEqual({ status: 'missing' });
      expect(await a.applyEvent(id, 'a3', () => null)).toEqual({ status: 'missing' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a duplicate or a stale timer met through the cache reports the stored state, as a load would', async () => {
    const { a, b } = twoWorkers();
    try {
      const id = randomUUID();
      await a.calls.create(id, { events: [], count: 0 });
      const started = await a.applyEvent(id, 'start', (rec) => ({
        record: { events: [...rec.events, 'start'], count: rec.count + 1 },
        timers: { start: [{ timerId: 'ring', atMs: Date.now() + 60_000 }] },
      }));
      const timer = started.timers?.started[0];
      if (timer === undefined) throw new Error('no timer started');
      // b applies the same event id and cancels the timer; a's copy knows neither.
      await b.applyEvent(id, 'dup', (rec) => ({
        record: { events: [...rec.events, 'dup'], count: rec.count + 1 },
        timers: { cancel: ['ring'] },
      }));
      const now = { events: ['start', 'dup'], count: 2 };
      expect(await a.applyEvent(id, 'dup', append('again'))).toEqual({
        status: 'duplicate',
        record: now,
        version: 3,
      });
      expect(await b.applyEvent(id, { timer }, append('late'))).toEqual({
        status: 'stale',
        record: now,
        version: 3,
      });
      expect(await a.applyEvent(id, { timer }, append('late'))).toEqual({
        status: 'stale',
        record: now,
        version: 3,
      });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('redis store: failures', () => {
  it('fails with store_unavailable (retryable) when Redis does not answer, and health says so', async () => {
    const port = await freePort();
    const store = new RedisStore<TestRecord>({
      redisUrl: `redis://127.0.0.1:${port}`,
      retry: { maxRetries: 1, retryIntervalMs: 10, timeoutMs: 200 },
    });
    try {
      const err = await store.calls.get('x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DaemonError);
      expect(err).toMatchObject({ code: 'store_unavailable', retryable: true });
      const health = await store.health();
      expect(health.ok).toBe(false);
      expect(health.detail).toMatchObject({ kind: 'redis', error: 'store_unavailable' });
    } finally {
      await store.close();
    }
  });

  it('a commit whose reply was late is retried without applying twice or reporting a conflict', async () => {
    const store = quickRetryStore('idem');
    try {
      const id = randomUUID();
      await store.calls.create(id, { events: [], count: 0 });
      // Redis holds every command for 400 ms: the first attempts time out while queued, then
      // all of them run in order. Only the first applies; the others are replays of it.
      await admin.call('CLIENT', 'PAUSE', 400, 'ALL');
      const result = await store.commit(id, {
        expectedVersion: 1,
        record: { events: ['e1'], count: 1 },
        dedupeKey: 'e1',
      });
      expect(result).toEqual({ ok: true, version: 2 });
      expect(await store.calls.get(id)).toMatchObject({ version: 2, record: { events: ['e1'], count: 1 } });
      const plain = await (async () => {
        await admin.call('CLIENT', 'PAUSE', 400, 'ALL');
        return store.commit(id, { expectedVersion: 2, record: { events: ['e1', 'e2'], count: 2 } });
      })();
      expect(plain).toEqual({ ok: true, version: 3 });
    } finally {
      await store.close();
    }
  });

  it('a claim whose answer was late is still this claim: its retry finds its own mark, and a second claim is refused', async () => {
    const store = quickRetryStore('claim');
    try {
      // The first try times out while Redis holds it, then runs: the key is set, its answer lost.
      await admin.call('CLIENT', 'PAUSE', 400, 'ALL');
      expect(await store.dedupe.claim('media-token:n1', { callId: 'c1', ttlMs: 60_000 })).toBe(true);
      // Another claim of the same key, later: a replay, refused.
      expect(await store.dedupe.claim('media-token:n1', { callId: 'c1', ttlMs: 60_000 })).toBe(false);
      await admin.call('CLIENT', 'PAUSE', 400, 'ALL');
      expect(await store.dedupe.claim('media-token:n1', { callId: 'c1', ttlMs: 60_000 })).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('rejects foreign data in its namespace with a permanent store_error', async () => {
    const prefix = `bad-${randomUUID().slice(0, 8)}:`;
    const store = new RedisStore<TestRecord>({ redisUrl: server.url, keyPrefix: prefix });
    try {
      await admin.set(`${prefix}call:{x}`, 'not a hash');
      const err = await store.calls.get('x').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'store_error', retryable: false });
    } finally {
      await store.close();
    }
  });
});
