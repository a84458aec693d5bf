import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptedSession } from '../../src/agent/scripted-agent-server.js';
import type { App } from '../../src/app.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { eventually } from '../support/eventually.js';
import { ANSWERS } from './fixture.js';
import {
  CALLER,
  flushRedis,
  type Harness,
  INBOUND,
  startHarness,
  startProxy,
  type TcpProxy,
} from './harness.js';

/**
 * Two workers on one Redis, the Twilio simulator as the carrier, a real agent WebSocket. The
 * caller's stream, and so the agent's session, is on the holder, which reaches Redis through a
 * TCP hop that can be cut; the balancer then sends every webhook to the other worker. While the
 * hop is cut, the holder's subscription is down and the socket effects the other worker relays
 * to it (`call.finished`, `agent.detach`) reach nobody and have no retry. Once the hop is mended
 * and the subscription back, the holder reads what the call's record says and does what those
 * relays would have done (src/runtime/catch-up.ts).
 */
describe('the worker holding the agent session, away from Redis while its call moved on', () => {
  let redis: RedisServer;
  let hop: TcpProxy;
  let h: Harness | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await hop?.close();
    await flushRedis(redis.url);
  });

  /** The holder (the harness's worker, behind the hop) and the other worker the balancer now picks. */
  async function twoWorkers(script: Parameters<typeof startHarness>[0]['script']) {
    hop = await startProxy(redis.port);
    h = await startHarness({
      carrier: 'twilio',
      redisUrl: `redis://127.0.0.1:${hop.port}`,
      env: { WORKER_ID: 'holder' },
      script,
    });
    return h;
  }

  /** The call starts on the holder; then webhooks go to the other worker. */
  async function callHeldThere(hh: Harness) {
    const call = await hh.sim.network.placeCall({
      carrier: 'twilio',
      from: CALLER,
      to: INBOUND,
      audio: { type: 'tone', hz: 440 },
    });
    const agent = await eventually(
      () => hh.agent?.sessions[0]?.start !== undefined && hh.agent.sessions[0],
      'the agent session',
    );
    await eventually(
      async () => (await hh.app.store.sockets.owner(call.sid)) === 'holder',
      'the holder claims the socket',
    );
    const other = await hh.addWorker('other', redis.url);
    return { call, agent, other };
  }

  /** Cuts the holder from Redis; resolves once it knows. */
  async function cut(hh: Harness): Promise<void> {
    hop.cut();
    await eventually(async () => !(await hh.app.store.health()).ok, 'the holder away from Redis');
  }

  /** Mends the hop; resolves with when the holder reaches Redis again (ms, performance clock). */
  async function mend(hh: Harness): Promise<number> {
    hop.mend();
    await eventually(async () => (await hh.app.store.health()).ok, 'the holder back on Redis', {
      timeoutMs: 5_000,
    });
    return performance.now();
  }

  async function recordOn(app: App, callId: string, ok: (r: CallRecord) => boolean): Promise<CallRecord> {
    let last: CallRecord | undefined;
    return eventually(
      async () => {
        last = await app.engine.get(callId);
        return last !== undefined && ok(last) && last;
      },
      () =>
        `call ${callId}'s record; phase=${last?.phase} timeline=${JSON.stringify(last?.transfer?.timeline ?? last?.timeline)}`,
    );
  }

  /**
   * Mends the hop, then: the holder's agent socket is closed normally within a second of the
   * holder being back, after one `stop` with `reason`, and its session is gone.
   */
  async function mendAndExpectClosed(hh: Harness, agent: ScriptedSession, callId: string, reason: string) {
    const backAt = await mend(hh);
    await eventually(() => agent.closeCode !== undefined, 'the agent socket closed', { timeoutMs: 5_000 });
    expect(performance.now() - backAt).toBeLessThan(1_000);
    expect(agent.closeCode).toBe(1000);
    expect(stopReason(agent)).toBe(reason);
    expect(agent.frames('stop')).toHaveLength(1);
    expect(hh.app.sessions.get(callId)).toBeUndefined();
  }

  /** The agent's socket closed by the daemon: its `stop` frame's reason. */
  function stopReason(agent: ScriptedSession): unknown {
    const stop = agent.frames('stop')[0]?.frame['stop'] as { reason?: unknown } | undefined;
    return stop?.reason;
  }

  it('the call ended meanwhile: the agent gets the end (`stop`, `call ended`) within a second, the session is closed', async () => {
    const hh = await twoWorkers([{ say: 300 }]);
    const { call, agent, other } = await callHeldThere(hh);
    await cut(hh);
    call.hangup();
    const ended = await recordOn(other, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    // The end relayed to the holder reached nobody: the agent still has its socket.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.closeCode).toBeUndefined();
    expect(hh.app.sessions.get(call.sid)).toBeDefined();

    await mendAndExpectClosed(hh, agent, call.sid, 'call ended');
  });

  it('a cold transfer connected meanwhile: the agent is told `connected`, then detached (`stop`, `transferred`) within a second', async () => {
    const hh = await twoWorkers([
      { say: 300 },
      { text: ['Putting you through [TRANSFER:+14155550111]'] },
      { say: 200 },
    ]);
    const human = hh.sim.network.addHuman('+14155550111', { ...ANSWERS, afterMs: 1_500 });
    const { call, agent, other } = await callHeldThere(hh);
    // The caller's dial reached the carrier, the human's phone rings; the holder then loses Redis.
    await hh.sim.waitFor(() => human.legs.length === 1, 10_000);
    await cut(hh);
    const connected = await recordOn(other, call.sid, (r) => r.phase === 'human');
    expect(connected.transfers[0]?.outcome).toBe('connected');
    // The detach relayed to the holder reached nobody: the agent still has its socket.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.closeCode).toBeUndefined();
    expect(hh.app.sessions.get(call.sid)).toBeDefined();

    await mendAndExpectClosed(hh, agent, call.sid, 'transferred');
    // Told once, and before the socket's end (the guard's retry, then the detach).
    const statuses = agent.frames('transfer_status').map((f) => f.frame['status']);
    expect(statuses.filter((s) => s === 'connected')).toHaveLength(1);
    const connectedAt = agent.received.findIndex(
      (r) => r.frame.event === 'transfer_status' && r.frame['status'] === 'connected',
    );
    expect(connectedAt).toBeLessThan(agent.received.findIndex((r) => r.frame.event === 'stop'));
    // Still with the human: the detach ended nothing of the call.
    expect((await other.engine.get(call.sid))?.phase).toBe('human');
  });

  it("a failed transfer brought the caller back to the other worker meanwhile: the holder's old socket is released (`stop`, `handed over`) within a second", async () => {
    const hh = await twoWorkers((start) =>
      start.resumed
        ? [{ awaitEvent: 'resume' }, { say: 300 }]
        : [{ say: 300 }, { text: ['Putting you through [TRANSFER:+14155550111]'] }, { say: 200 }],
    );
    const human = hh.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 1_500 });
    const { call, agent, other } = await callHeldThere(hh);
    await hh.sim.waitFor(() => human.legs.length === 1, 10_000);
    await cut(hh);
    // The caller's new stream lands on the other worker, whose hand-over the holder does not hear:
    // a new socket, `resumed`, told the `resume` the record owes.
    const second = await eventually(() => hh.agent?.sessions[1], 'the second agent socket');
    await second.waitFor((f) => f.event === 'resume');
    expect(second.start?.resumed).toBe(true);
    expect(other.sessions.get(call.sid)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.closeCode).toBeUndefined();
    expect(hh.app.sessions.get(call.sid)).toBeDefined();

    await mendAndExpectClosed(hh, agent, call.sid, 'handed over');
    // The old socket was told nothing more (no `resume`), the new one goes on.
    expect(agent.frames('resume')).toEqual([]);
    expect(second.closeCode).toBeUndefined();
    expect((await other.engine.get(call.sid))?.phase).toBe('ai');
  });
});
