import { describe, expect, it } from 'vitest';
import { LiveFeed } from '../../src/http/api/console-feed.js';
import { agentWindowStats, consoleCall, outcomeWords, quantile } from '../../src/http/api/console-view.js';
import type { TryIt } from '../../src/http/api/routes-console.js';
import type { Timers } from '../../src/lib/time.js';
import { type CallRecord, newCallRecord } from '../../src/runtime/call-record.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { startRedisServer } from '../../support/redis-server.js';
import { eventually } from '../support/eventually.js';
import { ALL_KEY, bearer, CALLER, ONE_SCOPE_KEY, startApiApp } from './support.js';

/** Timers run by hand: what is scheduled is visible, nothing fires by itself. */
class ManualTimers implements Timers {
  readonly pending = new Map<number, () => void>();
  #next = 0;
  setTimeout(fn: () => void, _delayMs: number): unknown {
    this.#next += 1;
    this.pending.set(this.#next, fn);
    return this.#next;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Runs what is due now (everything scheduled so far). */
  runAll(): void {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, fn] of due) fn();
  }
}

const record = (callId: string, nowMs = 1000): CallRecord =>
  newCallRecord({
    callId,
    carrier: 'twilio',
    agentId: 'front-desk',
    agentVersion: 1,
    direction: 'inbound',
    from: '+14155559999',
    to: '+14155550100',
    nowMs,
  });

describe('the console feed costs nothing while nobody listens', () => {
  it('reads the store only between the first subscribe and the last unsubscribe, once per tick for all', async () => {
    const store = new MemoryStore<CallRecord>({ now: () => 1000 });
    let reads = 0;
    const source = {
      listActive: async (o: { limit: number }) => {
        reads += 1;
        return store.calls.listActive(o);
      },
      get: async (id: string) => store.calls.get(id),
    };
    const timers = new ManualTimers();
    const feed = new LiveFeed({ source, timers });
    await store.calls.create('CA1', record('CA1'));
    expect(timers.pending.size).toBe(0);
    expect(reads).toBe(0);

    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = feed.subscribe((e) => a.push(e));
    const offB = feed.subscribe((e) => b.push(e));
    expect(timers.pending.size).toBe(1);
    timers.runAll();
    await eventually(() => a.length === 1, 'the first snapshot');
    expect(reads).toBe(1);
    expect(a[0]).toMatchObject({ type: 'snapshot', calls: [{ callId: 'CA1', version: 1 }] });
    expect(b).toEqual(a);

    // A change is a new version: sent once to each listener, by one read.
    const stored = await store.calls.get('CA1');
    await store.commit('CA1', {
      expectedVersion: stored!.version,
      record: { ...record('CA1'), phase: 'transferring' },
    });
    await eventually(() => timers.pending.size === 1, 'the next tick scheduled');
    timers.runAll();
    await eventually(() => a.length === 2, 'the change');
    expect(reads).toBe(2);
    expect(a[1]).toMatchObject({ type: 'call', call: { callId: 'CA1', phase: 'transferring', version: 2 } });
    expect(b.length).toBe(2);

    offA();
    offB();
    await eventually(() => timers.pending.size === 0, 'no timer left once nobody listens');
    const before = reads;
    timers.runAll();
    expect(reads).toBe(before);
    expect(feed.listeners).toBe(0);
    await store.close();
  });
});

describe('console views', () => {
  it('masks numbers and says why a transfer failed, with the carrier code', () => {
    const r: CallRecord = {
      ...record('CA2'),
      transfers: [
        {
          transferId: 'CA2.t1',
          mode: 'warm',
          trigger: 'tag',
          chainLength: 1,
          startedAtMs: 1100,
          endedAtMs: 1600,
          outcome: 'busy',
          carrierCode: '486',
        },
      ],
    };
    const view = consoleCall(r, 3);
    expect(JSON.stringify(view)).not.toContain(CALLER);
    expect(view).toMatchObject({ from: '+*******9999', to: '+*******0100', version: 3 });
    expect((view.transfers as { reason: string }[])[0]?.reason).toBe('the line was busy (carrier code 486)');
    expect(outcomeWords('carrier_error', '21215')).toBe('the carrier refused a command (carrier code 21215)');
    expect(outcomeWords('no_answer')).toBe('nobody answered before the ring timeout');
  });

  it('a hang-up whose bridge the carrier did not report says it is not known', () => {
    const transfer = {
      transferId: 'CA3.t1',
      mode: 'cold',
      trigger: 'tag',
      chainLength: 1,
      startedAtMs: 1100,
      endedAtMs: 9600,
      outcome: 'caller_hangup',
    } as const;
    const reasonOf = (r: CallRecord) => (consoleCall(r, 1).transfers as { reason: string }[])[0]?.reason;
    expect(reasonOf({ ...record('CA3'), transfers: [transfer] })).toBe(
      'the caller hung up during the transfer',
    );
    expect(reasonOf({ ...record('CA3'), transfers: [{ ...transfer, bridge: 'unconfirmed' }] })).toBe(
      'the caller hung up after the person answered; the carrier does not say whether the two had been bridged',
    );
    expect(
      reasonOf({
        ...record('CA3'),
        transfers: [{ ...transfer, outcome: 'human_hangup', bridge: 'unconfirmed' }],
      }),
    ).toBe('the person hung up after answering; the carrier does not say whether the two had been bridged');
  });

  it('figures per agent: rates, outcomes by kind, time to human p50/p95, per slice', () => {
    const ended = (
      id: string,
      atMs: number,
      outcome: 'connected' | 'busy' | null,
      waitMs = 0,
    ): CallRecord => ({
      ...record(id, atMs - 10_000),
      phase: 'ended',
      endedAtMs: atMs,
      transfers:
        outcome === null
          ? []
          : [
              {
                transferId: `${id}.t1`,
                mode: 'warm',
                trigger: 'tag',
                chainLength: 1,
                startedAtMs: atMs - 9000,
                endedAtMs: atMs - 9000 + waitMs,
                outcome,
              },
            ],
    });
    const calls = [
      ended('a', 1_000, 'connected', 4000),
      ended('b', 2_000, 'connected', 6000),
      ended('c', 5_500, 'busy'),
      ended('d', 9_000, null),
      ended('old', -1, 'connected', 100),
    ];
    const s = agentWindowStats('front-desk', calls, { sinceMs: 0, untilMs: 10_000, bucketCount: 2 });
    expect(s).toMatchObject({
      calls: 4,
      transferred: 3,
      connected: 2,
      transferRate: 0.75,
      successRate: 2 / 3,
    });
    expect(s.outcomes).toEqual({ connected: 2, busy: 1 });
    expect(s.timeToHuman).toEqual({ n: 2, p50Ms: 4000, p95Ms: 6000 });
    expect(s.buckets.map((b) => [b.calls, b.transferred, b.connected])).toEqual([
      [2, 2, 2],
      [2, 1, 0],
    ]);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('console API through the daemon', () => {
  it('streams the live calls as server-sent events, with the key in a header only', async () => {
    const h = await startApiApp();
    try {
      await h.app.http.listen({ port: 0, host: '127.0.0.1' });
      const address = h.app.http.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
      expect((await fetch(`${base}/v1/console/stream`)).status).toBe(401);
      expect(
        (await fetch(`${base}/v1/console/stream`, { headers: bearer(ONE_SCOPE_KEY['calls:write']) })).status,
      ).toBe(403);
      const first = await h.incomingCall();
      const controller = new AbortController();
      const res = await fetch(`${base}/v1/console/stream`, {
        headers: bearer(ONE_SCOPE_KEY['calls:read']),
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const readUntil = async (needle: string) => {
        while (!text.includes(needle)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${needle}`);
          text += value;
        }
      };
      await readUntil('event: snapshot');
      await readUntil(first);
      const second = await h.incomingCall();
      await readUntil(`event: call\ndata: {"callId":"${second}"`);
      expect(text).not.toContain(CALLER);
      controller.abort();
    } finally {
      await h.close();
    }
  });

  it("shows every worker's calls: a call taken by one worker streams from another sharing its Redis", async () => {
    const redis = await startRedisServer();
    const a = await startApiApp({ env: { REDIS_URL: redis.url } });
    const b = await startApiApp({ env: { REDIS_URL: redis.url } });
    try {
      await a.app.http.listen({ port: 0, host: '127.0.0.1' });
      const address = a.app.http.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
      const controller = new AbortController();
      const res = await fetch(`${base}/v1/console/stream`, {
        headers: bearer(ALL_KEY),
        signal: controller.signal,
      });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('event: snapshot')) text += (await reader.read()).value ?? '';
      const onB = await b.incomingCall();
      while (!text.includes(onB)) text += (await reader.read()).value ?? '';
      controller.abort();
      const list = await a.app.http.inject({
        method: 'GET',
        url: '/v1/console/calls',
        headers: bearer(ALL_KEY),
      });
      expect((list.json() as { live: { callId: string }[] }).live.map((c) => c.callId)).toContain(onB);
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
    }
  });

  it('validates a test call request and places it only where the simulator runs', async () => {
    const placed: string[] = [];
    const tryIt: TryIt = {
      scenarios: [{ id: 'warm-busy', title: 'Busy' }],
      place: async (id) => {
        placed.push(id);
        return { callId: 'CAtest' };
      },
    };
    const h = await startApiApp({ app: { tryIt } });
    try {
      const post = (payload: unknown) =>
        h.app.http.inject({
          method: 'POST',
          url: '/v1/console/try',
          headers: bearer(ALL_KEY),
          payload: payload as object,
        });
      const bad = await post({ scenario: 'Warm Busy!' });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().error.field).toBe('scenario');
      expect((await post({ scenario: 'warm-busy', extra: 1 })).statusCode).toBe(422);
      const unknown = await post({ scenario: 'nope' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error).toMatchObject({ code: 'scenario_not_found', field: 'scenario' });
      const ok = await post({ scenario: 'warm-busy' });
      expect(ok.statusCode).toBe(202);
      expect(ok.json()).toEqual({ callId: 'CAtest', scenario: 'warm-busy' });
      expect(placed).toEqual(['warm-busy']);
      const info = await h.app.http.inject({
        method: 'GET',
        url: '/v1/console/info',
        headers: bearer(ALL_KEY),
      });
      expect(info.json()).toMatchObject({ simulator: true, scenarios: [{ id: 'warm-busy' }] });
      const window = await h.app.http.inject({
        method: 'GET',
        url: '/v1/console/agents?window=week',
        headers: bearer(ALL_KEY),
      });
      expect(window.statusCode).toBe(422);
      expect(window.json().error.field).toBe('window');
    } finally {
      await h.close();
    }
  });

  it('serves the page with a strict content policy, and only its own files', async () => {
    const h = await startApiApp();
    try {
      const page = await h.app.http.inject({ method: 'GET', url: '/console/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.body).not.toMatch(/https?:\/\//);
      expect((await h.app.http.inject({ method: 'GET', url: '/console' })).statusCode).toBe(302);
      expect((await h.app.http.inject({ method: 'GET', url: '/console/serve.ts' })).statusCode).toBe(404);
      expect((await h.app.http.inject({ method: 'GET', url: '/console/..%2Fserve.ts' })).statusCode).toBe(
        404,
      );
    } finally {
      await h.close();
    }
  });
});
