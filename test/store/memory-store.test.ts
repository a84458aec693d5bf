import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { StoreOptions } from '../../src/store/types.js';
import { FakeClock, type Harness, storeContract, type TestRecord } from './contract.js';

async function memoryHarness(options: StoreOptions = {}): Promise<Harness> {
  const clock = new FakeClock();
  const store = new MemoryStore<TestRecord>({ ...options, now: clock.now, sweepIntervalMs: 0 });
  return {
    store,
    peer: store,
    clock,
    elapse: async (ms) => clock.advance(ms),
    close: () => store.close(),
  };
}

storeContract('memory store', memoryHarness);

describe('memory store specifics', () => {
  it('says it is not durable', () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    expect(store.kind).toBe('memory');
    expect(store.durable).toBe(false);
  });

  it('sweeps expired entries so nothing grows without bound', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore<TestRecord>({
      now: clock.now,
      sweepIntervalMs: 0,
      retentionMs: 1_000,
      activeTtlMs: 5_000,
    });
    for (let i = 0; i < 50; i++) {
      const id = `c${i}`;
      await store.calls.create(id, { events: [], count: 0 });
      await store.commit(id, {
        expectedVersion: 1,
        record: { events: ['x'], count: 1 },
        dedupeKey: 'e1',
        dedupeTtlMs: 2_000,
        flag: { set: 'sip:x@y', ttlMs: 3_000 },
        timers: { start: [{ timerId: 'ring', atMs: clock.now() + 100_000 }] },
      });
      if (i % 2 === 0) {
        await store.commit(id, {
          expectedVersion: 2,
          record: { events: ['x', 'end'], count: 2 },
          ended: { agentId: 'a1', endedAtMs: clock.now() },
        });
      }
      await store.sockets.claim(id, 'w1');
      await store.dedupe.claim(`hook-${i}`, { ttlMs: 2_000 });
    }
    await store.workers.heartbeat({ workerId: 'w1', startedAtMs: 0, lastBeatMs: 0 }, 1_000);
    expect(store.sizes.calls).toBe(50);
    expect(store.sizes.timers).toBe(25);
    expect(store.sizes.agentIndex).toBe(25);
    clock.advance(10_000);
    store.sweep();
    // Socket ownership lives as long as an active call may (activeTtlMs).
    expect(store.sizes).toEqual({
      calls: 0,
      flags: 0,
      dedupe: 0,
      sockets: 0,
      workers: 0,
      timers: 0,
      agentIndex: 0,
    });
    await store.close();
  });
});
