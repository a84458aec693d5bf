import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import type { Store } from '../../src/store/types.js';
import {
  append,
  expectCode,
  fresh,
  type HarnessFactory,
  harnessTest,
  type TestRecord,
} from './contract-support.js';

/** Records: create/get, compare-and-set, dedupe, applyEvent, the flag, retention, event keys. */
export function recordContract(name: string, make: HarnessFactory): void {
  const test = harnessTest(make);

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
    test('applies, then reports a duplicate with the record as it is, saving nothing', async ({ store }) => {
      const id = randomUUID();
      await store.calls.create(id, fresh());
      const applied = await store.applyEvent(id, 'evt-1', append('evt-1'));
      expect(applied).toEqual({
        status: 'applied',
        record: { events: ['evt-1'], count: 1 },
        version: 2,
        value: 'evt-1',
      });
      // The step may run (it is pure; Redis steps a cached record and the commit refuses it);
      // what it returns is never saved.
      const dup = await store.applyEvent(id, 'evt-1', append('again'));
      expect(dup).toEqual({ status: 'duplicate', record: { events: ['evt-1'], count: 1 }, version: 2 });
      expect(await store.calls.get(id)).toMatchObject({
        version: 2,
        record: { events: ['evt-1'], count: 1 },
      });
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
        ended: { agentId: agent, endedAtMs: h.clock.now(), retentionMs: 300 },
      });
      expect((await h.store.calls.listByAgent(agent)).length).toBe(1);
      await h.elapse(400);
      expect(await h.store.calls.get(id)).toBeNull();
      expect(await h.store.calls.listByAgent(agent)).toEqual([]);
    });

    test(
      'a call never ended expires after activeTtlMs and leaves the active list',
      async (h) => {
        const id = randomUUID();
        await h.store.calls.create(id, fresh());
        expect((await h.store.calls.listActive()).map((c) => c.callId)).toEqual([id]);
        await h.elapse(400);
        expect(await h.store.calls.get(id)).toBeNull();
        expect(await h.store.calls.listActive()).toEqual([]);
      },
      // Redis expires on its own clock, in real time: long enough that a loaded machine reads the
      // list before it (a 50 ms TTL expired before the first read in a full run on a Redis cluster).
      { activeTtlMs: 300 },
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
}
