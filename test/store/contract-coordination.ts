import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Workers } from '../../src/runtime/workers.js';
import type { TimerClaim } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import {
  append,
  expectCode,
  fresh,
  type Harness,
  type HarnessFactory,
  harnessTest,
} from './contract-support.js';

/** Coordination between workers: timers, the registry, socket ownership, commands, lifecycle. */
export function coordinationContract(name: string, make: HarnessFactory): void {
  const test = harnessTest(make);

  describe(`${name}: timers`, () => {
    async function withTimer(h: Harness, timerId: string, atMs: number): Promise<string> {
      const id = randomUUID();
      await h.store.calls.create(id, fresh());
      const r = await h.store.commit(id, {
        expectedVersion: 1,
        record: fresh(),
        timers: { start: [{ timerId, atMs }] },
      });
      expect(r.ok).toBe(true);
      return id;
    }

    test('a timer is claimed when due, once, fires through applyEvent once, and is gone after ack', async (h) => {
      const now = h.clock.now();
      const id = await withTimer(h, 'ring:t1:0', now + 1_000);
      expect(await h.store.timers.forCall(id)).toEqual([{ timerId: 'ring:t1:0', atMs: now + 1_000 }]);
      expect(await h.store.timers.claimDue(now + 999, 10, 'w1', 5_000)).toEqual([]);
      const [claim, ...rest] = await h.store.timers.claimDue(now + 1_000, 10, 'w1', 5_000);
      expect(rest).toEqual([]);
      expect(claim).toMatchObject({ callId: id, timerId: 'ring:t1:0', atMs: now + 1_000, attempt: 1 });
      expect(await h.peer.timers.claimDue(now + 2_000, 10, 'w2', 5_000)).toEqual([]);
      const c = claim as TimerClaim;
      expect((await h.store.applyEvent(id, { timer: c }, append('fired'))).status).toBe('applied');
      expect((await h.peer.applyEvent(id, { timer: c }, append('fired-again'))).status).toBe('stale');
      await h.store.timers.ack(c);
      expect(await h.store.timers.count()).toBe(0);
      expect((await h.store.calls.get(id))?.record.events).toEqual(['fired']);
    });

    test('many concurrent claimers: every due timer is handed out exactly once', async (h) => {
      const now = h.clock.now();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const id = randomUUID();
        ids.push(id);
        await h.store.calls.create(id, fresh());
        const start = Array.from({ length: 5 }, (_, j) => ({ timerId: `t${j}`, atMs: now - j }));
        await h.store.commit(id, { expectedVersion: 1, record: fresh(), timers: { start } });
      }
      const claimers = Array.from({ length: 8 }, (_, w) => async () => {
        const got: TimerClaim[] = [];
        for (;;) {
          const batch = await (w % 2 === 0 ? h.store : h.peer).timers.claimDue(now, 7, `w${w}`, 60_000);
          if (batch.length === 0) return got;
          got.push(...batch);
        }
      });
      const all = (await Promise.all(claimers.map((c) => c()))).flat();
      const keys = all.map((c) => `${c.callId}/${c.timerId}`);
      expect(keys.length).toBe(150);
      expect(new Set(keys).size).toBe(150);
    });

    test('a cancelled timer never fires, pending or already claimed', async (h) => {
      const now = h.clock.now();
      const id = await withTimer(h, 'a', now);
      await h.store.commit(id, {
        expectedVersion: 2,
        record: fresh(),
        timers: { start: [{ timerId: 'b', atMs: now }] },
      });
      const claims = await h.store.timers.claimDue(now, 1, 'w1', 5_000);
      expect(claims.length).toBe(1);
      const claimed = claims[0] as TimerClaim;
      await h.store.commit(id, { expectedVersion: 3, record: fresh(), timers: { cancel: ['a', 'b'] } });
      expect(await h.store.timers.claimDue(now + 10_000, 10, 'w2', 5_000)).toEqual([]);
      expect((await h.store.applyEvent(id, { timer: claimed }, append('x'))).status).toBe('stale');
      expect(await h.store.timers.count()).toBe(0);
    });

    test('a claim whose lease expired without ack is handed out again', async (h) => {
      const now = h.clock.now();
      const id = await withTimer(h, 'summary', now);
      const [first] = await h.store.timers.claimDue(now, 10, 'dead-worker', 1_000);
      expect(first?.attempt).toBe(1);
      expect(await h.peer.timers.claimDue(now + 999, 10, 'w2', 1_000)).toEqual([]);
      const [again] = await h.peer.timers.claimDue(now + 1_000, 10, 'w2', 1_000);
      expect(again).toMatchObject({
        callId: id,
        timerId: 'summary',
        generation: first?.generation,
        attempt: 2,
      });
    });

    test('restarting a timer replaces its deadline; a claim of the old start cannot fire or remove it', async (h) => {
      const now = h.clock.now();
      const id = await withTimer(h, 'handoff', now);
      const [old] = await h.store.timers.claimDue(now, 10, 'w1', 60_000);
      await h.store.commit(id, {
        expectedVersion: 2,
        record: fresh(),
        timers: { start: [{ timerId: 'handoff', atMs: now + 5_000 }] },
      });
      expect(await h.store.timers.forCall(id)).toEqual([{ timerId: 'handoff', atMs: now + 5_000 }]);
      expect((await h.store.applyEvent(id, { timer: old as TimerClaim }, append('old'))).status).toBe(
        'stale',
      );
      await h.store.timers.ack(old as TimerClaim);
      expect(await h.store.timers.claimDue(now + 4_999, 10, 'w1', 60_000)).toEqual([]);
      const [fresh5] = await h.store.timers.claimDue(now + 5_000, 10, 'w1', 60_000);
      expect(fresh5).toMatchObject({ timerId: 'handoff', atMs: now + 5_000 });
      expect((await h.store.applyEvent(id, { timer: fresh5 as TimerClaim }, append('new'))).status).toBe(
        'applied',
      );
    });

    test('ending a call cancels its timers', async (h) => {
      const now = h.clock.now();
      const id = await withTimer(h, 'ring:x:0', now + 1_000);
      await h.store.commit(id, {
        expectedVersion: 2,
        record: fresh(),
        ended: { agentId: 'agent-t', endedAtMs: now },
      });
      expect(await h.store.timers.count()).toBe(0);
      expect(await h.store.timers.claimDue(now + 10_000, 10, 'w1', 1_000)).toEqual([]);
    });

    test('the commit that ends a call keeps the timers it starts itself (a retry that outlives the end)', async (h) => {
      const now = h.clock.now();
      const id = await withTimer(h, 'ring:x:0', now + 1_000);
      const result = await h.store.commit(id, {
        expectedVersion: 2,
        record: fresh(),
        timers: { start: [{ timerId: 'retry:1', atMs: now + 2_000 }] },
        ended: { agentId: 'agent-t', endedAtMs: now },
      });
      expect(result.ok).toBe(true);
      expect(await h.store.timers.count()).toBe(1);
      const [claim] = await h.store.timers.claimDue(now + 10_000, 10, 'w1', 1_000);
      expect(claim).toMatchObject({ callId: id, timerId: 'retry:1', atMs: now + 2_000 });
      // It fires on the ended call like any timer of it.
      expect((await h.store.applyEvent(id, { timer: claim as TimerClaim }, append('retried'))).status).toBe(
        'applied',
      );
      // A later commit of the ended call leaves its timers alone.
      expect(await h.store.timers.count()).toBe(0);
    });
  });

  describe(`${name}: workers, sockets, commands`, () => {
    test('heartbeats keep a worker listed; it is dead once they stop', async (h) => {
      const info = { workerId: `w-${randomUUID()}`, startedAtMs: 1, lastBeatMs: 2, meta: { pid: 42 } };
      // Redis expires the beat on its own clock: long enough that a loaded machine reads it
      // before it lapses (40 ms did not, in a full run beside other work).
      await h.store.workers.heartbeat(info, 400);
      expect(await h.peer.workers.isAlive(info.workerId)).toBe(true);
      expect(await h.peer.workers.list()).toEqual([info]);
      await h.elapse(450);
      expect(await h.peer.workers.isAlive(info.workerId)).toBe(false);
      expect(await h.peer.workers.list()).toEqual([]);
      await h.store.workers.heartbeat(info, 10_000);
      await h.store.workers.remove(info.workerId);
      expect(await h.store.workers.list()).toEqual([]);
    });

    test('socket ownership: the newest holder wins, only the holder releases', async ({ store, peer }) => {
      const id = randomUUID();
      expect(await store.sockets.claim(id, 'w1')).toBeNull();
      expect(await peer.sockets.owner(id)).toBe('w1');
      expect(await peer.sockets.claim(id, 'w2')).toBe('w1');
      expect(await store.sockets.release(id, 'w1')).toBe(false);
      expect(await store.sockets.owner(id)).toBe('w2');
      expect(await peer.sockets.release(id, 'w2')).toBe(true);
      expect(await store.sockets.owner(id)).toBeNull();
    });

    test('pub/sub delivers to subscribers of the channel only, until they unsubscribe', async ({
      store,
      peer,
    }) => {
      const channel = `ch-${randomUUID()}`;
      const got: string[] = [];
      const arrived = new Promise<void>((resolve) => {
        void peer.pubsub
          .subscribe(channel, (m) => {
            got.push(m);
            if (got.length === 2) resolve();
          })
          .then((stop) => {
            unsubscribe = stop;
          });
      });
      let unsubscribe: (() => Promise<void>) | undefined;
      await eventually(() => unsubscribe !== undefined, 'the subscription to be made');
      expect(await store.pubsub.publish(`${channel}-other`, 'nobody')).toBe(0);
      expect(await store.pubsub.publish(channel, 'one')).toBe(1);
      expect(await store.pubsub.publish(channel, 'two')).toBe(1);
      await arrived;
      expect(got).toEqual(['one', 'two']);
      await unsubscribe?.();
      expect(await store.pubsub.publish(channel, 'three')).toBe(0);
    });

    test('Workers: owner() says whether the holder is alive; commands reach it; gone workers get none', async (h) => {
      const a = new Workers<{ type: string; callId: string }>({
        store: h.store,
        workerId: `a-${randomUUID()}`,
      });
      const b = new Workers<{ type: string; callId: string }>({
        store: h.peer,
        workerId: `b-${randomUUID()}`,
      });
      await a.start();
      await b.start();
      try {
        const callId = randomUUID();
        await h.store.calls.create(callId, fresh());
        await a.sockets.claim(callId);
        expect(await b.sockets.owner(callId)).toEqual({ workerId: a.workerId, alive: true });
        const received = new Promise<{ type: string; callId: string }>((resolve) => {
          void a.commands.subscribe(a.workerId, resolve).then((stop) => {
            stopA = stop;
          });
        });
        let stopA: (() => Promise<void>) | undefined;
        await eventually(() => stopA !== undefined, "worker A's command subscription");
        expect(await b.commands.publish(a.workerId, { type: 'caller.to_agent', callId })).toBe(true);
        expect(await received).toEqual({ type: 'caller.to_agent', callId });
        expect((await b.list()).map((w) => w.workerId).sort()).toEqual([a.workerId, b.workerId].sort());
        expect((await b.listActiveCalls()).map((c) => c.callId)).toContain(callId);
        await stopA?.();
        await a.stop();
        expect(await b.sockets.owner(callId)).toEqual({ workerId: a.workerId, alive: false });
        expect(await b.commands.publish(a.workerId, { type: 'caller.to_agent', callId })).toBe(false);
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  });

  describe(`${name}: lifecycle`, () => {
    it('reports health, and refuses work once closed', async () => {
      const h = await make();
      expect((await h.store.health()).ok).toBe(true);
      await h.close();
      expect((await h.store.health()).ok).toBe(false);
      await expectCode(h.store.calls.get('x'), 'store_closed');
      await expectCode(h.store.applyEvent('x', 'k', append('k')), 'store_closed');
    });
  });
}
