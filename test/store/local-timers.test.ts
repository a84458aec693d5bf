import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Timers } from '../../src/lib/time.js';
import { TimerHeap } from '../../src/lib/timer-heap.js';
import { LocalTimers } from '../../src/runtime/local-timers.js';
import { TimerPoller } from '../../src/runtime/timer-poller.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { ApplyStatus, StartedTimer, TimerRef } from '../../src/store/types.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { eventually } from '../support/eventually.js';

/**
 * Timers on time (DESIGN.md "Targets"): the worker that starts a timer fires it from a local
 * timer at its deadline; the store's durable schedule is the backstop for a worker that died;
 * and a timer is applied once, whoever fires it. Two workers are two store connections on one
 * real Redis; time is a manual clock, so "on time" is exact and nothing waits for real.
 */

interface Rec {
  readonly fired: readonly string[];
}

/** Epoch clock and timers moved by hand: `advance` runs what falls due, in deadline order. */
class ManualTime implements Timers {
  #nowMs = 1_800_000_000_000;
  #seq = 0;
  readonly #heap = new TimerHeap();
  readonly now = (): number => this.#nowMs;

  setTimeout(fn: () => void, delayMs: number): unknown {
    const entry = { dueMs: this.#nowMs + Math.max(0, delayMs), seq: this.#seq++, fn, cancelled: false };
    this.#heap.push(entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    (handle as { cancelled: boolean }).cancelled = true;
  }

  advance(ms: number): void {
    const until = this.#nowMs + ms;
    for (let next = this.#heap.peek(); next !== undefined && next.dueMs <= until; next = this.#heap.peek()) {
      this.#heap.pop();
      this.#nowMs = next.dueMs;
      next.fn();
    }
    this.#nowMs = until;
  }
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

interface Worker {
  readonly store: RedisStore<Rec>;
  readonly local: LocalTimers;
  /** Every firing this worker ran, with the store's verdict. */
  readonly firings: { by: 'local' | 'poll'; timerId: string; status: ApplyStatus }[];
  readonly poller: TimerPoller;
  /** Starts (or restarts) timers in one applied event, as the engine does, and tells `local`. */
  start(callId: string, timers: { timerId: string; inMs: number }[]): Promise<readonly StartedTimer[]>;
  cancel(callId: string, timerId: string): Promise<void>;
}

const open: Worker[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) {
    await w.local.close();
    await w.store.close();
  }
});

function worker(name: string, prefix: string, time: ManualTime): Worker {
  const store = new RedisStore<Rec>({ redisUrl: server.url, keyPrefix: prefix, now: time.now });
  const firings: Worker['firings'] = [];
  const fire = (by: 'local' | 'poll') => async (timer: TimerRef) => {
    const at = time.now();
    const result = await store.applyEvent(timer.callId, { timer }, (r) => ({
      record: { fired: [...r.fired, `${name}:${by}:${timer.timerId}@${at}`] },
    }));
    firings.push({ by, timerId: timer.timerId, status: result.status });
  };
  const local = new LocalTimers({ fire: fire('local'), now: time.now, scheduler: time });
  const poller = new TimerPoller({
    timers: store.timers,
    workerId: name,
    now: time.now,
    scheduler: time,
    onTimer: fire('poll'),
  });
  const w: Worker = {
    store,
    local,
    firings,
    poller,
    async start(callId, timers) {
      const result = await store.applyEvent(callId, undefined, (r) => ({
        record: r,
        timers: { start: timers.map((t) => ({ timerId: t.timerId, atMs: time.now() + t.inMs })) },
      }));
      if (result.timers !== undefined) local.applied(callId, result.timers);
      return result.timers?.started ?? [];
    },
    async cancel(callId, timerId) {
      const result = await store.applyEvent(callId, undefined, (r) => ({
        record: r,
        timers: { cancel: [timerId] },
      }));
      if (result.timers !== undefined) local.applied(callId, result.timers);
    },
  };
  open.push(w);
  return w;
}

async function setup(calls: string[]) {
  const time = new ManualTime();
  const prefix = `lt-${randomUUID().slice(0, 8)}:`;
  const a = worker('a', prefix, time);
  const b = worker('b', prefix, time);
  for (const id of calls) await a.store.calls.create(id, { fired: [] });
  const fired = async (id: string) => (await a.store.calls.get(id))?.record.fired ?? [];
  /** Lets the firings the last `advance` started reach Redis and come back. */
  const settle = async (w: Worker, n: number) => {
    await eventually(
      () => w.firings.length >= n,
      `${n} firings of worker ${w.poller === a.poller ? 'a' : 'b'}`,
    );
    expect(w.firings.length).toBe(n);
  };
  return { time, a, b, fired, settle };
}

describe('local timers (real Redis)', () => {
  it('the worker that started a timer fires it at its deadline, not at the next poll', async () => {
    const { time, a, b, fired, settle } = await setup(['c1']);
    const [ring] = await a.start('c1', [{ timerId: 'ring', inMs: 10_000 }]);
    expect(a.local.size).toBe(1);
    time.advance(9_999);
    expect(a.firings).toEqual([]);
    time.advance(1);
    await settle(a, 1);
    expect(a.firings).toEqual([{ by: 'local', timerId: 'ring', status: 'applied' }]);
    // Exactly at the deadline on the clock the deadline was written in.
    expect(await fired('c1')).toEqual([`a:local:ring@${ring?.atMs}`]);
    // The durable timer went with the commit: no poller finds it afterwards.
    expect(await b.poller.pollOnce()).toBe(0);
    expect(await a.store.timers.count()).toBe(0);
    expect(a.local.size).toBe(0);
  });

  it('a worker that died before the deadline: another worker fires it at its next poll', async () => {
    const { time, a, b, fired } = await setup(['c1']);
    const [ring] = await a.start('c1', [{ timerId: 'ring', inMs: 5_000 }]);
    await a.local.close(); // the worker is gone, and its local timers with it
    time.advance(5_000);
    expect(a.firings).toEqual([]);
    // The survivor polls every 250 ms (TimerPoller's default): at worst one interval later.
    time.advance(250);
    expect(await b.poller.pollOnce()).toBe(1);
    expect(b.firings).toEqual([{ by: 'poll', timerId: 'ring', status: 'applied' }]);
    expect(await fired('c1')).toEqual([`b:poll:ring@${(ring?.atMs ?? 0) + 250}`]);
    expect(await a.store.timers.count()).toBe(0);
  });

  it('a local firing and a poll claiming the same timer at once: applied once', async () => {
    const { time, a, b, fired, settle } = await setup(['c1', 'c2', 'c3']);
    for (const id of ['c1', 'c2', 'c3']) await a.start(id, [{ timerId: 'ring', inMs: 1_000 }]);
    // The clock reaches the deadline: the poll and the local timers go at the same moment.
    const polled = b.poller.pollOnce();
    time.advance(1_000);
    await polled;
    await settle(a, 3);
    for (const id of ['c1', 'c2', 'c3']) expect(await fired(id)).toHaveLength(1);
    const applied = [...a.firings, ...b.firings].filter((f) => f.status === 'applied');
    expect(applied).toHaveLength(3);
    // Whatever the poll claimed and the local timer applied first is stale for the poll, and acked.
    expect(b.firings.every((f) => f.status === 'applied' || f.status === 'stale')).toBe(true);
    expect(await a.store.timers.count()).toBe(0);
  });

  it('a timer restarted or cancelled elsewhere: the old local timer never fires it', async () => {
    const { time, a, b, fired, settle } = await setup(['c1', 'c2']);
    await a.start('c1', [{ timerId: 'ring', inMs: 1_000 }]);
    await a.start('c2', [{ timerId: 'ring', inMs: 1_000 }]);
    // Another worker restarts c1's timer later, and cancels c2's; `a` is not told.
    const [restarted] = await b.start('c1', [{ timerId: 'ring', inMs: 3_000 }]);
    await b.local.close();
    await b.store.applyEvent('c2', undefined, (r) => ({ record: r, timers: { cancel: ['ring'] } }));
    time.advance(1_000);
    await settle(a, 2);
    expect(a.firings.map((f) => f.status)).toEqual(['stale', 'stale']);
    expect(await fired('c1')).toEqual([]);
    time.advance(2_000);
    expect(await a.poller.pollOnce()).toBe(1);
    expect(await fired('c1')).toEqual([`a:poll:ring@${restarted?.atMs}`]);
    expect(await fired('c2')).toEqual([]);
  });

  it('follows its own restarts and cancels: no stale firing, no timer left armed', async () => {
    const { time, a, fired, settle } = await setup(['c1']);
    await a.start('c1', [
      { timerId: 'ring', inMs: 1_000 },
      { timerId: 'summary', inMs: 2_000 },
    ]);
    const [ring] = await a.start('c1', [{ timerId: 'ring', inMs: 4_000 }]);
    await a.cancel('c1', 'summary');
    expect(a.local.size).toBe(1);
    time.advance(3_999);
    expect(a.firings).toEqual([]);
    time.advance(1);
    await settle(a, 1);
    expect(await fired('c1')).toEqual([`a:local:ring@${ring?.atMs}`]);
  });

  it('a call that ends drops its local timers', async () => {
    const { time, a } = await setup(['c1']);
    await a.start('c1', [{ timerId: 'ring', inMs: 1_000 }]);
    const ended = await a.store.applyEvent('c1', undefined, (r) => ({
      record: r,
      ended: { agentId: 'agent-1', endedAtMs: time.now() },
    }));
    expect(ended.timers?.ended).toBe(true);
    if (ended.timers !== undefined) a.local.applied('c1', ended.timers);
    expect(a.local.size).toBe(0);
    time.advance(2_000);
    expect(a.firings).toEqual([]);
  });

  it('the commit that ends a call drops its timers but arms the ones it starts (a retry that outlives the end)', async () => {
    const { time, a, fired, settle } = await setup(['c1']);
    await a.start('c1', [{ timerId: 'ring', inMs: 1_000 }]);
    const due = time.now() + 500;
    const ended = await a.store.applyEvent('c1', undefined, (r) => ({
      record: r,
      timers: { start: [{ timerId: 'retry:1', atMs: due }] },
      ended: { agentId: 'agent-1', endedAtMs: time.now() },
    }));
    expect(ended.timers?.ended).toBe(true);
    if (ended.timers !== undefined) a.local.applied('c1', ended.timers);
    expect(a.local.size).toBe(1);
    time.advance(2_000);
    await settle(a, 1);
    // At its deadline, once: the ring timer the call had went with its end.
    expect(await fired('c1')).toEqual([`a:local:retry:1@${due}`]);
    expect(a.firings).toEqual([{ by: 'local', timerId: 'retry:1', status: 'applied' }]);
  });
});
