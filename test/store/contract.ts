import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import { Workers } from '../../src/runtime/workers.js';
import type { Step, Store, StoreOptions, TimerClaim } from '../../src/store/types.js';

/** The record the contract uses: a non-commutative log, so order and duplicates show. */
export interface TestRecord {
  readonly events: readonly string[];
  readonly count: number;
}

export class FakeClock {
  #t: number;
  constructor(startMs = 1_700_000_000_000) {
    this.#t = startMs;
  }
  readonly now = (): number => this.#t;
  advance(ms: number): void {
    this.#t += ms;
  }
}

export interface Harness {
  readonly store: Store<TestRecord>;
  /** Another handle on the same shared state, as a second worker would have (memory: the same store). */
  readonly peer: Store<TestRecord>;
  readonly clock: FakeClock;
  /** Lets `ms` pass for the store's clock and its TTLs (Redis: also really waits). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

export type HarnessFactory = (options?: StoreOptions) => Promise<Harness>;

const append =
  (id: string): Step<TestRecord, string> =>
  (record) => ({ record: { events: [...record.events, id], count: record.count + 1 }, value: id });

const fresh = (): TestRecord => ({ events: [], count: 0 });

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DaemonError);
  expect((err as DaemonError).code).toBe(code);
}

async function withHarness(
  make: HarnessFactory,
  options: StoreOptions | undefined,
  fn: (h: Harness) => Promise<void>,
) {
  const h = await make(options);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

/** The one contract both stores keep. `make` builds an isolated harness per test. */
export function storeContract(name: string, make: HarnessFactory): void {
  const test = (title: string, fn: (h: Harness) => Promise<void>, options?: StoreOptions) =>
    it(title, () => withHarness(make, options, fn));

  describe(`${name}: calls`, () => {
    test('create then get returns the record at version 1; a second create does not overwrite', async ({
      store,
    }) => {
      const id = randomUUID();
      expect(await store.calls.create(id, { events: ['a'], count: 1 })).toEqual({
        created: true,
        version: 1,
      });
      expect(await store.calls.create(id, fresh())).toEqual({ created: false, version: 1 });
      const got = await store.calls.get(id);
      expect(got).toEqual({ callId: id, record: { events: ['a'], count: 1 }, version: 1 });
      expect(await store.calls.get(randomUUID())).toBeNull();
    });

    test('records are copies: changing a returned record changes nothing stored', async ({ store }) => {
      const id = randomUUID();
      const record = { events: ['a'], count: 1 };
      await store.calls.create(id, record);
      record.events.push('mutated');
      const got = await store.calls.get(id);
      expect(got).not.toBeNull();
      (got?.record.events as string[] | undefined)?.push('again');
      expect((await store.calls.get(id))?.record.events).toEqual(['a']);
    });

    test('commit is compare-and-set on the version', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      expect(await store.commit(id, { expectedVersion: 1, record: { events: ['x'], count: 1 } })).toEqual({
        ok: true,
        version: 2,
      });
      const stale = await store.commit(id, { expectedVersion: 1, record: { events: ['y'], count: 1 } });
      expect(stale).toMatchObject({ ok: false, reason: 'version_conflict', version: 2 });
      expect((await store.calls.get(id))?.record.events).toEqual(['x']);
      expect(await store.commit(randomUUID(), { expectedVersion: 1, record: fresh() })).toMatchObject({
        ok: false,
        reason: 'missing',
      });
    });

    test('a duplicate dedupe key changes nothing, not even the version', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      const first = await store.commit(id, {
        expectedVersion: 1,
        record: { events: ['e1'], count: 1 },
        dedupeKey: 'e1',
        flag: { set: 'sip:a@b' },
      });
      expect(first).toEqual({ ok: true, version: 2 });
      await store.flags.clear(id);
      const again = await store.commit(id, {
        expectedVersion: 2,
        record: { events: ['e1', 'e1'], count: 2 },
        dedupeKey: 'e1',
        flag: { set: 'sip:other@b' },
        timers: { start: [{ timerId: 'ring', atMs: 0 }] },
      });
      expect(again).toMatchObject({ ok: false, reason: 'duplicate' });
      expect(await store.calls.get(id)).toMatchObject({ version: 2, record: { events: ['e1'], count: 1 } });
      expect(await store.flags.get(id)).toBeNull();
      expect(await store.timers.forCall(id)).toEqual([]);
    });

    test('malformed input is refused with a code, before anything is written', async ({ store }) => {
      await expectCode(store.calls.create('', fresh()), 'invalid_id');
      await expectCode(store.calls.create('a\nb', fresh()), 'invalid_id');
      const id = randomUUID();
      await store.calls.create(id, fresh());
      await expectCode(store.commit(id, { expectedVersion: 0, record: fresh() }), 'invalid_argument');
      await expectCode(
        store.commit(id, {
          expectedVersion: 1,
          record: fresh(),
          timers: { start: [{ timerId: 'x', atMs: Number.NaN }] },
        }),
        'invalid_argument',
      );
      expect((await store.calls.get(id))?.version).toBe(1);
    });
  });

  describe(`${name}: applyEvent`, () => {
    test('applies, then reports a duplicate without running the step', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      const applied = await store.applyEvent(id, 'evt-1', append('evt-1'));
      expect(applied).toEqual({
        status: 'applied',
        record: { events: ['evt-1'], count: 1 },
        version: 2,
        value: 'evt-1',
      });
      let ran = false;
      const dup = await store.applyEvent(id, 'evt-1', (r) => {
        ran = true;
        return append('again')(r, 0);
      });
      expect(dup.status).toBe('duplicate');
      expect(ran).toBe(false);
      expect((await store.calls.get(id))?.version).toBe(2);
    });

    test('a step returning null writes nothing and does not claim the dedupe key', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      expect((await store.applyEvent(id, 'k', () => null)).status).toBe('unchanged');
      expect((await store.calls.get(id))?.version).toBe(1);
      expect((await store.applyEvent(id, 'k', append('k'))).status).toBe('applied');
      expect((await store.applyEvent(randomUUID(), 'k', append('k'))).status).toBe('missing');
    });

    test('events of one call run one at a time, in the order they were applied', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      const ids = Array.from({ length: 40 }, (_, i) => `e${i}`);
      const results = await Promise.all(ids.map((e) => store.applyEvent(id, e, append(e))));
      expect(results.every((r) => r.status === 'applied')).toBe(true);
      expect((await store.calls.get(id))?.record).toEqual({ events: ids, count: 40 });
    });

    test('two workers applying the same events: each applied exactly once, in order', async ({
      store,
      peer,
    }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      const ids = Array.from({ length: 30 }, (_, i) => `e${i}`);
      const run = (s: Store<TestRecord>) => Promise.all(ids.map((e) => s.applyEvent(id, e, append(e))));
      const [a, b] = await Promise.all([run(store), run(peer)]);
      const applied = [...a, ...b].filter((r) => r.status === 'applied').length;
      expect(applied).toBe(ids.length);
      expect([...a, ...b].every((r) => r.status === 'applied' || r.status === 'duplicate')).toBe(true);
      expect(await store.calls.get(id)).toMatchObject({ record: { events: ids, count: 30 }, version: 31 });
    });
  });

  describe(`${name}: transfer flag`, () => {
    test('set, read, refresh, clear; TTL defaults to 300 s', async ({ store }) => {
      const id = randomUUID();
      expect(await store.flags.get(id)).toBeNull();
      expect(await store.flags.refresh(id)).toBe(false);
      expect(await store.flags.ttlMs(id)).toBeNull();
      await store.flags.set(id, '+15550100');
      expect(await store.flags.get(id)).toBe('+15550100');
      const ttl = (await store.flags.ttlMs(id)) ?? 0;
      expect(ttl).toBeGreaterThan(290_000);
      expect(ttl).toBeLessThanOrEqual(300_000);
      await store.flags.set(id, '+15550100', 10_000);
      expect(await store.flags.ttlMs(id)).toBeLessThanOrEqual(10_000);
      expect(await store.flags.refresh(id, 60_000)).toBe(true);
      expect(await store.flags.ttlMs(id)).toBeGreaterThan(10_000);
      await store.flags.clear(id);
      expect(await store.flags.get(id)).toBeNull();
    });

    test('commit sets, refreshes and clears the flag atomically with the record', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      await store.commit(id, {
        expectedVersion: 1,
        record: fresh(),
        flag: { set: 'sip:desk@example.com', ttlMs: 5_000 },
      });
      expect(await store.flags.get(id)).toBe('sip:desk@example.com');
      expect(await store.flags.ttlMs(id)).toBeLessThanOrEqual(5_000);
      await store.commit(id, { expectedVersion: 2, record: fresh(), flag: { refresh: true } });
      expect(await store.flags.ttlMs(id)).toBeGreaterThan(5_000);
      await store.commit(id, { expectedVersion: 3, record: fresh(), flag: { clear: true } });
      expect(await store.flags.get(id)).toBeNull();
    });

    test('the flag expires after its TTL', async (h) => {
      const id = randomUUID();
      await h.store.flags.set(id, '+15550100', 40);
      await h.elapse(60);
      expect(await h.store.flags.get(id)).toBeNull();
    });
  });

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
  });

  describe(`${name}: retention and listing`, () => {
    test('ended calls are listed per agent, newest first, by time window and limit', async (h) => {
      const agent = `agent-${randomUUID()}`;
      const now = h.clock.now();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = `call-${i}-${randomUUID()}`;
        ids.push(id);
        await h.store.calls.create(id, fresh());
        await h.store.commit(id, {
          expectedVersion: 1,
          record: { events: [`end${i}`], count: 1 },
          ended: { agentId: agent, endedAtMs: now - (4 - i) * 1_000 },
        });
      }
      const active = `active-${randomUUID()}`;
      await h.store.calls.create(active, fresh());
      const all = await h.store.calls.listByAgent(agent);
      expect(all.map((c) => c.callId)).toEqual([...ids].reverse());
      expect(all[0]).toMatchObject({ agentId: agent, endedAtMs: now - 1_000, record: { events: ['end3'] } });
      const recent = await h.store.calls.listByAgent(agent, { sinceMs: now - 2_500 });
      expect(recent.map((c) => c.callId)).toEqual([ids[3], ids[2]]);
      expect((await h.store.calls.listByAgent(agent, { limit: 1 })).map((c) => c.callId)).toEqual([ids[3]]);
      const listedActive = (await h.store.calls.listActive()).map((c) => c.callId);
      expect(listedActive).toContain(active);
      for (const id of ids) expect(listedActive).not.toContain(id);
    });

    test('an ended call expires after its retention and leaves the listing', async (h) => {
      const agent = `agent-${randomUUID()}`;
      const id = randomUUID();
      await h.store.calls.create(id, fresh());
      await h.store.commit(id, {
        expectedVersion: 1,
        record: fresh(),
        ended: { agentId: agent, endedAtMs: h.clock.now(), retentionMs: 40 },
      });
      expect((await h.store.calls.listByAgent(agent)).length).toBe(1);
      await h.elapse(60);
      expect(await h.store.calls.get(id)).toBeNull();
      expect(await h.store.calls.listByAgent(agent)).toEqual([]);
    });

    test(
      'a call never ended expires after activeTtlMs and leaves the active list',
      async (h) => {
        const id = randomUUID();
        await h.store.calls.create(id, fresh());
        expect((await h.store.calls.listActive()).map((c) => c.callId)).toEqual([id]);
        await h.elapse(80);
        expect(await h.store.calls.get(id)).toBeNull();
        expect(await h.store.calls.listActive()).toEqual([]);
      },
      { activeTtlMs: 50 },
    );
  });

  describe(`${name}: event dedupe`, () => {
    test('claim is true once per key while the key lives', async (h) => {
      const key = `status-${randomUUID()}`;
      expect(await h.store.dedupe.claim(key, { ttlMs: 40 })).toBe(true);
      expect(await h.peer.dedupe.claim(key, { ttlMs: 40 })).toBe(false);
      expect(await h.store.dedupe.claim(`${key}-other`)).toBe(true);
      await h.elapse(60);
      expect(await h.store.dedupe.claim(key)).toBe(true);
    });

    test('a key claimed for a call also makes the commit with that key a duplicate', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      expect(await store.dedupe.claim('cb-1', { callId: id })).toBe(true);
      expect((await store.applyEvent(id, 'cb-1', append('cb-1'))).status).toBe('duplicate');
    });
  });

  describe(`${name}: workers, sockets, commands`, () => {
    test('heartbeats keep a worker listed; it is dead once they stop', async (h) => {
      const info = { workerId: `w-${randomUUID()}`, startedAtMs: 1, lastBeatMs: 2, meta: { pid: 42 } };
      await h.store.workers.heartbeat(info, 40);
      expect(await h.peer.workers.isAlive(info.workerId)).toBe(true);
      expect(await h.peer.workers.list()).toEqual([info]);
      await h.elapse(60);
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
      await waitFor(() => unsubscribe !== undefined);
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
        await waitFor(() => stopA !== undefined);
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

/** Polls a condition that an event will make true (never asserts on elapsed time). */
export async function waitFor(cond: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
