import { describe, expect, it } from 'vitest';
import { TimerPoller } from '../../src/runtime/timer-poller.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { TimerClaim } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { FakeClock, type TestRecord } from './contract.js';

async function setup(timers: { callId: string; timerId: string; inMs: number }[]) {
  const clock = new FakeClock();
  const store = new MemoryStore<TestRecord>({ now: clock.now, sweepIntervalMs: 0 });
  for (const t of timers) {
    await store.calls.create(t.callId, { events: [], count: 0 });
    const current = await store.calls.get(t.callId);
    await store.commit(t.callId, {
      expectedVersion: current?.version ?? 1,
      record: current?.record ?? { events: [], count: 0 },
      timers: { start: [{ timerId: t.timerId, atMs: clock.now() + t.inMs }] },
    });
  }
  return { clock, store };
}

/** The runtime's way to fire a timer: apply it to the call, then the poller acks. */
const fireInto = (store: MemoryStore<TestRecord>) => async (claim: TimerClaim) => {
  await store.applyEvent(claim.callId, { timer: claim }, (r) => ({
    record: { events: [...r.events, claim.timerId], count: r.count + 1 },
  }));
};

describe('TimerPoller', () => {
  it('hands due timers to the callback, acks them, and leaves future ones', async () => {
    const { clock, store } = await setup([
      { callId: 'c1', timerId: 'ring', inMs: 1_000 },
      { callId: 'c1', timerId: 'summary', inMs: 500 },
      { callId: 'c2', timerId: 'handoff', inMs: 5_000 },
    ]);
    const poller = new TimerPoller({
      timers: store.timers,
      workerId: 'w1',
      now: clock.now,
      onTimer: fireInto(store),
    });
    expect(await poller.pollOnce()).toBe(0);
    clock.advance(1_000);
    expect(await poller.pollOnce()).toBe(2);
    expect((await store.calls.get('c1'))?.record.events).toEqual(['summary', 'ring']);
    expect(await store.timers.count()).toBe(1);
    clock.advance(4_000);
    expect(await poller.pollOnce()).toBe(1);
    expect(await store.timers.count()).toBe(0);
    expect(await poller.pollOnce()).toBe(0);
  });

  it('a failed handler leaves the timer to come back after its lease, up to maxAttempts', async () => {
    const { clock, store } = await setup([{ callId: 'c1', timerId: 'ring', inMs: 0 }]);
    const attempts: number[] = [];
    const errors: unknown[] = [];
    const poller = new TimerPoller({
      timers: store.timers,
      workerId: 'w1',
      now: clock.now,
      leaseMs: 1_000,
      maxAttempts: 3,
      onTimer: async (claim) => {
        attempts.push(claim.attempt);
        throw new Error('carrier down');
      },
      onError: (err) => errors.push(err),
    });
    expect(await poller.pollOnce()).toBe(1);
    expect(await poller.pollOnce()).toBe(0); // still leased
    clock.advance(1_000);
    expect(await poller.pollOnce()).toBe(1);
    clock.advance(1_000);
    expect(await poller.pollOnce()).toBe(1);
    expect(attempts).toEqual([1, 2, 3]);
    expect(errors.length).toBe(3);
    // The third failure reached maxAttempts: acknowledged, never handed out again.
    clock.advance(1_000);
    expect(await poller.pollOnce()).toBe(0);
    expect(await store.timers.count()).toBe(0);
  });

  it('runs on its own until stopped; stop waits for the handler in flight', async () => {
    const { clock, store } = await setup([{ callId: 'c1', timerId: 'ring', inMs: 0 }]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    const order: string[] = [];
    const poller = new TimerPoller({
      timers: store.timers,
      workerId: 'w1',
      now: clock.now,
      intervalMs: 5,
      onTimer: async () => {
        started = true;
        await gate;
        order.push('handler finished');
      },
    });
    poller.start();
    await eventually(() => started, 'the handler to start');
    const stopping = poller.stop().then(() => order.push('stopped'));
    release();
    await stopping;
    // stop() resolved after the handler in flight, not before it.
    expect(order).toEqual(['handler finished', 'stopped']);
    expect(await store.timers.count()).toBe(0);
    // Stopped for good: stop() resolved only once the polling loop had returned, and that loop is
    // the only thing that claims, so a timer due from now on is left for others (first attempt).
    await store.commit('c1', {
      expectedVersion: (await store.calls.get('c1'))?.version ?? 0,
      record: { events: [], count: 0 },
      timers: { start: [{ timerId: 'late', atMs: clock.now() }] },
    });
    const [claim] = await store.timers.claimDue(clock.now(), 10, 'probe', 1_000);
    expect(claim?.attempt).toBe(1);
  });

  it('a timer claimed by a worker that died before acking goes to another worker within the default lease', async () => {
    // The multi-worker process test's failure in CI: worker A's poller claimed a durable retry as
    // it came due and A was SIGKILLed in its handler; with a 30 s lease, worker B fired it after the
    // human's 15 s ring had run out. A second delivery of a timer whose first handler committed is
    // stale, so the lease only has to outlast a commit.
    const { clock, store } = await setup([{ callId: 'c1', timerId: 'retry', inMs: 0 }]);
    let claimedByA = false;
    const dying = new TimerPoller({
      timers: store.timers,
      workerId: 'a',
      now: clock.now,
      onTimer: () => {
        claimedByA = true;
        return new Promise<void>(() => undefined); // killed mid-handler: never settles
      },
    });
    const fired: TimerClaim[] = [];
    const survivor = new TimerPoller({
      timers: store.timers,
      workerId: 'b',
      now: clock.now,
      onTimer: async (claim) => {
        fired.push(claim);
        await fireInto(store)(claim);
      },
    });
    const abandoned = dying.pollOnce(); // never settles: A is gone
    await eventually(() => claimedByA, 'A to claim the timer');
    expect(await survivor.pollOnce()).toBe(0); // A's claim holds while it may be alive
    clock.advance(2_000);
    expect(await survivor.pollOnce()).toBe(1);
    expect(fired.map((c) => [c.timerId, c.attempt])).toEqual([['retry', 2]]);
    expect((await store.calls.get('c1'))?.record.events).toEqual(['retry']);
    expect(await Promise.race([abandoned.then(() => 'settled'), Promise.resolve('pending')])).toBe('pending');
  });
});
