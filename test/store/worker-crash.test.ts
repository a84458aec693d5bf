import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { eventually } from '../support/eventually.js';
import { spawnWorker, type WorkerProcess } from './fixtures/worker-process.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const CALLS = 200;
const TIMERS = ['handoff', 'summary', 'ring:t:0', 'ring:t:1', 'whisper:t:0'];

const applied = (w: WorkerProcess) =>
  w.lines.filter((l) => l.status === 'applied').map((l) => l.timer as string);

it('a worker killed with SIGKILL while holding timers: the other fires them after the lease, each timer exactly once', async () => {
  const prefix = 'crash:';
  const store = new RedisStore<{ fired: string[] }>({ redisUrl: server.url, keyPrefix: prefix });
  const workers: WorkerProcess[] = [];
  try {
    const now = Date.now();
    for (let i = 0; i < CALLS; i++) {
      const id = `call-${i}`;
      await store.calls.create(id, { fired: [] });
      await store.commit(id, {
        expectedVersion: 1,
        record: { fired: [] },
        timers: { start: TIMERS.map((timerId, j) => ({ timerId, atMs: now - 1_000 + j })) },
      });
    }
    expect(await store.timers.count()).toBe(CALLS * TIMERS.length);

    const common = { url: server.url, prefix, leaseMs: 1_500, batchSize: 20 };
    // The victim fires one timer every 15 ms, so it always holds claims it has not fired yet.
    const victim = spawnWorker('./timer-worker.ts', { ...common, workerId: 'victim', pauseMs: 15 });
    workers.push(victim);
    await victim.next((l) => l.ready === true);
    await eventually(() => applied(victim).length >= 30, 'the victim to apply 30 timers', {
      timeoutMs: 20_000,
    });
    victim.child.kill('SIGKILL');
    await victim.exited();
    const victimFired = applied(victim);

    const survivor = spawnWorker('./timer-worker.ts', { ...common, workerId: 'survivor', pauseMs: 0 });
    workers.push(survivor);
    await survivor.next((l) => l.ready === true);
    await eventually(async () => (await store.timers.count()) === 0, 'every timer to be fired', {
      timeoutMs: 25_000,
    });

    // The survivor took over claims the victim held when it died (its lease had to run out).
    expect(survivor.lines.some((l) => (l.attempt as number) >= 2)).toBe(true);
    // No timer was applied by both; everything is accounted for by the two workers.
    const survivorFired = applied(survivor);
    expect(survivorFired.filter((t) => victimFired.includes(t))).toEqual([]);
    expect(new Set(survivorFired).size).toBe(survivorFired.length);
    // Each call's record shows every timer exactly once.
    let total = 0;
    for (let i = 0; i < CALLS; i++) {
      const call = await store.calls.get(`call-${i}`);
      expect([...(call?.record.fired ?? [])].sort()).toEqual([...TIMERS].sort());
      total += call?.record.fired.length ?? 0;
    }
    expect(total).toBe(CALLS * TIMERS.length);
    // A firing the victim committed but had not reported when killed is the only gap allowed.
    expect(victimFired.length + survivorFired.length).toBeLessThanOrEqual(total);
    expect(victimFired.length + survivorFired.length).toBeGreaterThanOrEqual(total - common.batchSize);
    expect(survivor.lines.filter((l) => l.error !== undefined)).toEqual([]);
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await store.close();
  }
});
