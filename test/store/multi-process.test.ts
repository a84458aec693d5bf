import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { spawnWorker } from './fixtures/worker-process.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const CALLS = 1_000;
const EVENTS = 6;

it('two worker processes apply one duplicated, interleaved event stream: every call ends as one ordered application', async () => {
  const prefix = 'mp:';
  const store = new RedisStore<{ events: string[]; count: number }>({
    redisUrl: server.url,
    keyPrefix: prefix,
  });
  try {
    for (let i = 0; i < CALLS; i++) await store.calls.create(`call-${i}`, { events: [], count: 0 });
    const common = {
      url: server.url,
      prefix,
      calls: CALLS,
      eventsPerCall: EVENTS,
      duplicateRate: 0.25,
      window: 64,
    };
    const workers = [
      spawnWorker('./event-worker.ts', { ...common, seed: 1 }),
      spawnWorker('./event-worker.ts', { ...common, seed: 2 }),
    ];
    try {
      const ready = await Promise.all(workers.map((w) => w.next((l) => l.ready === true)));
      for (const r of ready) expect(r.events as number).toBeGreaterThan(CALLS * EVENTS);
      for (const w of workers) w.send('go');
      const done = await Promise.all(workers.map((w) => w.next((l) => l.done === true)));
      expect(await Promise.all(workers.map((w) => w.exited()))).toEqual([0, 0]);

      // Every event applied exactly once across both workers; nothing else happened.
      const applied = done.reduce((n, d) => n + (d.applied as number), 0);
      expect(applied).toBe(CALLS * EVENTS);
      expect(done.every((d) => d.other === 0)).toBe(true);
      // Both workers did real work (otherwise the test proves little).
      expect(done.every((d) => (d.applied as number) > 0 && (d.duplicate as number) > 0)).toBe(true);

      const expected = Array.from({ length: EVENTS }, (_, i) => `e${i + 1}`);
      for (let i = 0; i < CALLS; i++) {
        const call = await store.calls.get(`call-${i}`);
        expect(call).toMatchObject({ version: EVENTS + 1, record: { events: expected, count: EVENTS } });
      }
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
    }
  } finally {
    await store.close();
  }
});
