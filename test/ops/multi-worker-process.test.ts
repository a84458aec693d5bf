import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import {
  ScriptedAgentServer as Scripted,
  type ScriptedAgentServer,
} from '../../src/agent/scripted-agent-server.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';
import { freePort, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { sourcesHeard, startProxy } from '../e2e/harness.js';
import { eventually, settles } from '../support/eventually.js';
import { ACCOUNT_SID, AUTH_TOKEN, type DaemonProcess, spawnDaemon } from './daemon-process.js';

const INBOUND = '+14155550100';
const HUMAN = '+14155550133';
/** A second agent, warm: its human's leg is a call of its own, which only our REST hang-up stops. */
const WARM_INBOUND = '+14155550101';
const WARM_HUMAN = '+14155550144';

/**
 * Two worker processes behind one balancer address on a private Redis, the Twilio simulator as
 * the carrier. The caller's call starts on worker A; the balancer then sends everything to
 * worker B, so the failed transfer's webhooks and the caller's new stream land on B while A
 * holds the agent socket.
 */
describe('two workers: socket effects and the agent session follow the caller', () => {
  let redis: RedisServer;
  let sim: Simulator;
  let agent: ScriptedAgentServer;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let store: Store<CallRecord>;
  let dir: string;
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    sim = await startSimulator({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
    agent = await Scripted.start({
      script: (start) =>
        start.resumed
          ? [{ awaitEvent: 'resume' }, { say: 1500 }]
          : [{ say: 200 }, { transfer: { reason: 'billing' } }, { say: 200 }],
    });
    proxy = await startProxy();
    store = createStore<CallRecord>({ redisUrl: redis.url });
    dir = mkdtempSync(join(tmpdir(), 'patchthrough-workers-'));
    writeFileSync(
      join(dir, 'agents.json'),
      JSON.stringify({
        agents: [
          {
            id: 'front-desk',
            numbers: [INBOUND],
            agent: { url: agent.url },
            handoffConfig: { transferDestination: HUMAN },
          },
          {
            id: 'warm-desk',
            numbers: [WARM_INBOUND],
            agent: { url: agent.url },
            handoffConfig: { transferDestination: WARM_HUMAN, warm: true, whisper: 'Billing question.' },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    for (const d of daemons) await d.stop(3000);
    await store?.close();
    await proxy?.close();
    await agent?.close();
    await sim?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** On a failure, what the workers of this test printed (the log says which path the call took). */
  function printWorkersOnFailure(): void {
    const first = daemons.length;
    onTestFailed(() => {
      for (const d of daemons.slice(first)) {
        const lines = d.output.join('').split('\n');
        console.error(
          `--- worker on port ${d.port}, last 80 of ${lines.length} lines ---\n${lines.slice(-80).join('\n')}`,
        );
      }
    });
  }

  /** Workers A and B on the private Redis, both behind the balancer address, which points at A. */
  async function twoWorkers(
    apiOfA: string = sim.url,
  ): Promise<{ a: DaemonProcess; b: DaemonProcess; publicUrl: string }> {
    const publicUrl = `http://127.0.0.1:${proxy.port}`;
    const env = (workerId: string, api: string) => ({
      REDIS_URL: redis.url,
      PATCHTHROUGH_CONFIG: join(dir, 'agents.json'),
      WORKER_ID: workerId,
      PUBLIC_URL: publicUrl,
      TWILIO_API_BASE: api,
      MEDIA_TOKEN_SECRET: 'shared-by-both-workers-0123456789',
    });
    const a = await spawnDaemon(freePort, env('worker-a', apiOfA));
    daemons.push(a);
    const b = await spawnDaemon(freePort, env('worker-b', sim.url));
    daemons.push(b);
    for (const number of [INBOUND, WARM_INBOUND]) {
      sim.twilio.configureNumber(number, {
        voiceUrl: `${publicUrl}/twilio/voice`,
        statusCallback: `${publicUrl}/twilio/status`,
      });
    }
    return { a, b, publicUrl };
  }

  it('a caller back from a failed transfer on worker B keeps the conversation held on worker A', async () => {
    const { a, b } = await twoWorkers();
    proxy.target = a.port;
    const human = sim.network.addHuman(HUMAN, { type: 'busy', afterMs: 1500 });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: '+14155559999',
      to: INBOUND,
      audio: { type: 'tone', hz: 440 },
    });
    // The transfer is under way on A; from now on the balancer sends everything to B.
    await sim.waitFor(() => human.legs.length === 1, 10_000);
    proxy.target = b.port;

    const first = await agent.session(0);
    const second = await agent.session(1);
    await first.waitFor((f) => f.event === 'start');
    await second.waitFor((f) => f.event === 'start');
    expect(first.start?.resumed).toBe(false);
    // The new socket continues the call's conversation: `resumed`, then the `resume` A owed.
    expect(second.start?.resumed).toBe(true);
    expect(second.start?.callId).toBe(call.sid);
    const resume = await second.waitFor((f) => f.event === 'resume');
    expect(resume.frame['outcome']).toBe('busy');
    // A gave its socket up: no agent socket is left behind.
    await first.finished;
    // B applied the busy; the status reached the agent's socket on A all the same.
    expect(first.frames('transfer_status').map((f) => f.frame['status'])).toContain('failed');
    await sim.waitFor(() => {
      const heard = sourcesHeard(call.heard.segments);
      return heard.length >= 3 && heard.at(-1) === 'stream:';
    }, 10_000);
    const record = await eventually(async () => {
      const r = (await store.calls.get(call.sid))?.record;
      return r?.phase === 'ai' && r.transfers[0]?.outcome === 'busy' ? r : undefined;
    }, 'the caller back with the AI');
    expect(record.transfers).toHaveLength(1);
    expect(await store.sockets.owner(call.sid)).toBe('worker-b');
    call.hangup();
  }, 60_000);

  it('a durable retry left by a worker that died is finished by the other one', async () => {
    printWorkersOnFailure();
    const { a, b } = await twoWorkers();
    proxy.target = a.port;
    const human = sim.network.addHuman(WARM_HUMAN, { type: 'no-answer' });
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: '+14155559998',
      to: WARM_INBOUND,
      audio: { type: 'tone', hz: 440 },
    });
    await sim.waitFor(() => human.legs.some((l) => l.state === 'ringing'), 10_000);
    // A's hang-up of the human's leg fails through the carrier client's own retries...
    sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: new RegExp(`/Calls/(?!${call.sid})CA[0-9a-f]{32}\\.json$`),
      status: 503,
      times: 3,
    });
    call.hangup();
    // ...so A leaves a durable retry of the cancel in Redis, and dies before its timer is due.
    // (Not any pending retry: a hold the carrier refused as the caller left leaves a check of the
    // call, which the call's end then drops.)
    await eventually(async () => {
      const r = (await store.calls.get(call.sid))?.record;
      const cancelRetry = r?.timeline.some(
        (t) => t.event === 'effect.retry_scheduled' && t.detail?.startsWith('carrier.cancel') === true,
      );
      return cancelRetry === true && (r?.retries ?? []).length > 0 ? r : undefined;
    }, 'the retry of the cancel in the store');
    a.proc.kill('SIGKILL');
    await a.exited;
    proxy.target = b.port;
    // B's timer poller claims it: the human's phone stops (not the carrier's ring timeout).
    const leg = human.legs[0];
    if (leg === undefined) throw new Error('the human was not dialed');
    const end = await leg.ended;
    expect(end.status).toBe('canceled');
    const record = await eventually(async () => {
      const r = (await store.calls.get(call.sid))?.record;
      return r !== undefined && (r.retries ?? []).length === 0 ? r : undefined;
    }, 'the retry done');
    expect(record.endedReason).toBe('caller_hangup');
    expect(record.timeline.map((t) => t.event)).not.toContain('effect.failed');
  }, 60_000);

  it('a caller on hold whose transfer ended as the worker died is brought back by the other one', async () => {
    // A reaches the carrier through a gate that forwards everything but the caller's return to
    // the AI: that request is held, and A is killed as it makes it (soak seed 30458: the commit
    // that ended the transfer was saved, the command that follows it never reached the carrier).
    let callSid = '';
    let held: (() => void) | undefined;
    const returnSent = new Promise<void>((resolve) => {
      held = resolve;
    });
    const gate = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const path = req.url ?? '/';
        if (callSid !== '' && path.includes(`/Calls/${callSid}.json`) && body.toString().includes('Stream')) {
          held?.();
          return; // never answered: A dies waiting
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
        fetch(`${sim.url}${path}`, {
          method: req.method ?? 'GET',
          headers,
          ...(body.length > 0 ? { body } : {}),
        })
          .then(async (r) => {
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
            res.end(Buffer.from(await r.arrayBuffer()));
          })
          .catch(() => {
            res.writeHead(502);
            res.end();
          });
      });
    });
    // Only this test's two workers: the earlier tests' would take the call's timers too.
    for (const d of daemons.splice(0)) await d.stop(3000);
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
    const gatePort = (gate.address() as AddressInfo).port;
    try {
      printWorkersOnFailure();
      const { a, b } = await twoWorkers(`http://127.0.0.1:${gatePort}`);
      proxy.target = a.port;
      sim.network.addHuman(WARM_HUMAN, { type: 'busy', afterMs: 1500 });
      const call = await sim.network.placeCall({
        carrier: 'twilio',
        from: '+14155559997',
        to: WARM_INBOUND,
        audio: { type: 'tone', hz: 440 },
      });
      callSid = call.sid;
      await settles(returnSent, 'worker A to send the caller back to the AI', { timeoutMs: 30_000 });
      a.proc.kill('SIGKILL');
      await a.exited;
      proxy.target = b.port;
      // The caller hears the hold audio, then the AI again: B ran the return A never sent.
      await sim.waitFor(() => {
        const heard = sourcesHeard(call.heard.segments);
        return heard.includes('hold') && heard.at(-1) === 'stream:';
      }, 15_000);
      const record = await eventually(async () => {
        const r = (await store.calls.get(call.sid))?.record;
        return r?.phase === 'ai' && (r.retries ?? []).length === 0 ? r : undefined;
      }, 'the caller back with the AI, the guard done');
      expect(record.transfers[0]?.outcome).toBe('busy');
      // The new agent socket hears how the transfer ended, then `resume`.
      const resumed = await eventually(
        async () => agent.sessions.find((s) => s.start?.callId === call.sid && s.frames('resume').length > 0),
        'the resume on the new socket',
      );
      expect(resumed.frames('transfer_status').map((f) => f.frame['status'])).toContain('failed');
      call.hangup();
    } finally {
      gate.closeAllConnections();
      await new Promise<void>((r) => gate.close(() => r()));
    }
  }, 90_000);
});
