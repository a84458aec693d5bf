import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { parseEnv } from '../../src/config/env.js';
import { silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { GUARD_MS } from '../../src/runtime/effect-guards.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { ACCOUNT_SID, AUTH_TOKEN } from '../e2e/carrier-fixtures.js';
import { startProxy } from '../e2e/harness.js';
import { eventually } from '../support/eventually.js';
import { CALL_ID, fakeSession, HUMAN, LEG0, OUR_NUMBER, RECORDS, T1 } from './shell-fakes.js';

const agents = parseAgentsConfig(
  {
    agents: [
      {
        id: 'front-desk',
        numbers: [OUR_NUMBER],
        carrier: 'twilio',
        agent: { url: 'ws://127.0.0.1:1/agent' },
        handoffConfig: { transferDestination: HUMAN },
        callControl: { onNoResponseAction: 'none' },
      },
    ],
  },
  { defaultRegion: 'US' },
);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

async function worker(workerId: string, redisUrl: string, keyPrefix: string): Promise<App> {
  const env = parseEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    PUBLIC_URL: 'http://127.0.0.1:1',
    WORKER_ID: workerId,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE: 'http://127.0.0.1:1',
  });
  const store = new RedisStore<CallRecord>({
    redisUrl,
    keyPrefix,
    retry: { maxRetries: 3, retryIntervalMs: 100, timeoutMs: 1_000 },
  });
  const app = buildApp({ env, agents, log: silentLogger(), store, timerIntervalMs: 50 });
  await app.listen();
  cleanups.push(() => app.close());
  return app;
}

/**
 * Two workers on one Redis: A applies the call's events; B holds its agent session (a fake one,
 * its stream attached when `streamAttached`) and reaches Redis through a hop that can be cut.
 */
async function holderBehindHop(
  record: CallRecord,
  options: { persist?: boolean; streamAttached?: boolean } = {},
) {
  const redis: RedisServer = await startRedisServer(options.persist === true ? { persist: true } : {});
  cleanups.push(() => redis.stop());
  // A TCP hop to Redis that can be cut: while cut, every connection is closed on arrival (Redis
  // unreachable for this worker), so its reconnects come back only once it is mended.
  const hop = await startProxy(redis.port);
  cleanups.push(() => hop.close());
  const prefix = `relay-${randomUUID().slice(0, 8)}:`;
  const a = await worker('wa', redis.url, prefix);
  const b = await worker('wb', `redis://127.0.0.1:${hop.port}`, prefix);
  await a.store.calls.create(CALL_ID, record);
  const held = fakeSession();
  if (options.streamAttached === true)
    held.session.bridge.attachCarrier({ port: { send: () => undefined, bufferedBytes: () => 0 } });
  b.sessions.set(held.session);
  await b.store.sockets.claim(CALL_ID, 'wb');
  return { redis, hop, a, b, held };
}

describe('a socket effect relayed while its holder is away from a restarted Redis', () => {
  it("reaches the agent once the holder's subscription is back, well before the call ends, and holds no effect back (soak seed 36304)", async () => {
    const { redis, hop, a, b, held } = await holderBehindHop(RECORDS.coldDialing(), { persist: true });

    // Redis restarts; A is connected again at once, B's connections a second later (its backoff).
    hop.cut();
    await redis.kill();
    await redis.start();
    await eventually(async () => (await a.store.health()).ok, 'A reconnected');
    expect((await b.store.health()).ok).toBe(false);

    const answeredAt = performance.now();
    await a.engine.dispatch(
      CALL_ID,
      { type: 'transfer.event', transferId: T1, event: { type: 'leg.answered', legId: LEG0 } },
      undefined,
    );
    // The relay heard by nobody did not hold the transfer's next effects back.
    expect(performance.now() - answeredAt).toBeLessThan(500);
    expect(held.agent.sent).toEqual([]);
    const connected = () =>
      held.agent.sent.filter((s) => s.kind === 'status' && s.update.status === 'connected');

    setTimeout(() => hop.mend(), 1_000);
    await eventually(() => connected().length === 1, 'the agent told `connected`', { timeoutMs: 5_000 });
    const toldAfterMs = performance.now() - answeredAt;
    // Told by the holder catching up, not by the guard's retry (3 s), which in the soak came
    // after the call had ended (2.5 s after it connected).
    expect(toldAfterMs).toBeLessThan(GUARD_MS - 500);
    expect(connected()[0]).toMatchObject({ update: { transferId: T1, legId: LEG0 } });
    // The guard's retry was the one run: its timer, when it fires, finds nothing left to tell.
    await new Promise((resolve) => setTimeout(resolve, GUARD_MS + 300 - (performance.now() - answeredAt)));
    expect(connected()).toHaveLength(1);
    expect((await a.store.calls.get(CALL_ID))?.record.retries ?? []).toEqual([]);
  });

  it("a failed transfer's `resume` (unguarded) relayed while the holder was away is told once it is back, and once only", async () => {
    // A warm transfer dialing its human while the caller is still with the AI on B's stream.
    const { hop, a, b, held } = await holderBehindHop(RECORDS.warm(), { streamAttached: true });
    const away = async () => {
      hop.cut();
      await eventually(async () => !(await b.store.health()).ok, 'B away from Redis');
    };
    const back = async () => {
      hop.mend();
      await eventually(async () => (await b.store.health()).ok, 'B back on Redis', { timeoutMs: 5_000 });
      return performance.now();
    };
    const told = (kind: 'resume' | 'status') => held.agent.sent.filter((s) => s.kind === kind);

    await away();
    // The human is busy: the caller stays with the AI, whose `resume` is relayed to B and lost.
    await a.engine.dispatch(
      CALL_ID,
      { type: 'transfer.event', transferId: T1, event: { type: 'leg.ended', legId: LEG0, status: 'busy' } },
      undefined,
    );
    expect((await a.engine.get(CALL_ID))?.phase).toBe('ai');
    expect(held.agent.sent).toEqual([]);

    const backAt = await back();
    await eventually(() => told('resume').length === 1, 'the agent told `resume`', { timeoutMs: 5_000 });
    expect(performance.now() - backAt).toBeLessThan(1_000);
    expect(told('resume')[0]).toMatchObject({ transferId: T1, outcome: 'busy' });
    // The transfer's end first (its guard's retry), then the resume, as the relays would have.
    expect(held.agent.sent.map((s) => (s.kind === 'status' ? s.update.status : s.kind))).toEqual([
      'failed',
      'resume',
    ]);
    await eventually(async () => (await a.engine.get(CALL_ID))?.resumeTold === T1, 'the resume recorded');

    // Away and back again: nothing is owed any more, nothing is told twice.
    await away();
    await back();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(told('resume')).toHaveLength(1);
    expect(told('status')).toHaveLength(1);
    expect(b.sessions.get(CALL_ID)).toBe(held.session);
  });
});
