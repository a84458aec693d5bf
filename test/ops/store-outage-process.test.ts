import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { WebSocket } from 'ws';
import { freePort, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { type EchoBot, startEchoBot } from '../support/echo-bot.js';
import { eventually } from '../support/eventually.js';
import {
  ACCOUNT_SID,
  type DaemonProcess,
  openTwilioStream,
  parseStreamDocument,
  sendMedia,
  signedWebhook,
  spawnDaemon,
} from './daemon-process.js';

const CALL_SID = `CA${'e'.repeat(32)}`;
const CALL = {
  CallSid: CALL_SID,
  AccountSid: ACCOUNT_SID,
  From: '+14155559999',
  To: '+14155550100',
  Direction: 'inbound',
};

/** Resolves with the first log line holding `msg`, or with the exit if the process ends first. */
function logOrExit(daemon: DaemonProcess, msg: string): Promise<string | { exited: number | null }> {
  return Promise.race([
    eventually(
      async () =>
        daemon.output
          .join('')
          .split('\n')
          .find((line) => line.includes(`"msg":"${msg}"`)),
      `log line ${msg}`,
      { timeoutMs: 20_000 },
    ),
    daemon.exited.then((e) => ({ exited: e.code })),
  ]);
}

describe('Redis failing under a live call (real daemon process, real Redis)', () => {
  let redis: RedisServer;
  let bot: EchoBot;
  let dir: string;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    // Append-only, as in production: the call's record survives the outage.
    redis = await startRedisServer({ persist: true });
    bot = await startEchoBot();
    dir = mkdtempSync(join(tmpdir(), 'patchthrough-outage-'));
    writeFileSync(
      join(dir, 'agents.json'),
      JSON.stringify({
        agents: [
          {
            id: 'front-desk',
            numbers: ['+14155550100'],
            agent: { url: bot.url },
            handoffConfig: { transferDestination: '+14155550133' },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await daemon?.stop(3000);
    await bot?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the worker serving through the outage and gives the caller the AI back after it', async () => {
    const d = await spawnDaemon(freePort, {
      REDIS_URL: redis.url,
      PATCHTHROUGH_CONFIG: join(dir, 'agents.json'),
      WORKER_ID: 'worker-outage',
    });
    daemon = d;
    onTestFailed(() => {
      const lines = d.output.join('').split('\n');
      console.error(`--- the worker, last 80 of ${lines.length} lines ---\n${lines.slice(-80).join('\n')}`);
    });
    const answer = await signedWebhook(d, '/twilio/voice', CALL);
    expect(answer.status).toBe(200);
    const doc = parseStreamDocument(answer.body);
    const ws = await openTwilioStream(doc, CALL_SID);
    await bot.until(() => bot.sessions[0]?.received.some((m) => m['event'] === 'start') ?? false);
    const agentSocket = bot.sessions[0]?.socket;
    if (agentSocket === undefined) throw new Error('no agent session');

    await redis.kill();

    // The agent sends a summary while the store cannot answer: its look-up fails.
    agentSocket.send(JSON.stringify({ event: 'summary', text: 'Caller wants billing.' }));
    const dropped = await logOrExit(d, 'agent.summary_dropped');
    expect(dropped).toEqual(expect.stringContaining('store_unavailable'));

    // The carrier's stream drops and the caller's next stream starts while the store is still down:
    // it cannot be checked, so the daemon closes the socket for the carrier to follow the
    // document's continuation and ask again.
    ws.close();
    const again = await openTwilioStream(doc, CALL_SID);
    const closedWith = await new Promise<number>((resolve) => again.once('close', (code) => resolve(code)));
    expect([1008, 1011]).toContain(closedWith);

    // Still the same process, still answering, still in the balancer (Redis is everyone's).
    expect(d.proc.exitCode).toBeNull();
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${d.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, storeOk: false });
    // The carrier follows the closed stream's continuation while Redis is still away: a pause
    // and a new ask, never an error (the carrier would play its application error and hang up).
    const waiting = await signedWebhook(d, doc.continuation, CALL);
    expect(waiting.status).toBe(200);
    expect(waiting.body).toMatch(/<Pause length="2"\/><Redirect method="POST">[^<]*\/twilio\/voice\?callId=/);

    // A new call while Redis is away: its record cannot be made; it is told to pause and ask at
    // the entry again, as a new call (the bound on that: test/runtime/webhook-handler.test.ts).
    const LATE_CALL = { ...CALL, CallSid: `CA${'d'.repeat(32)}`, From: '+14155559997' };
    expect((await signedWebhook(d, '/twilio/voice', LATE_CALL)).body).toMatch(
      /<Pause length="2"\/><Redirect method="POST">[^<?]*\/twilio\/voice<\/Redirect>/,
    );

    await redis.start();
    await eventually(
      async () =>
        ((await (await fetch(`${d.url}/readyz`)).json()) as { storeOk?: boolean }).storeOk === true
          ? true
          : undefined,
      'the store answering again',
    );
    // The carrier follows the closed stream's continuation: the caller is given the AI again,
    // on the agent socket the call already had (the conversation goes on).
    const continuation = await signedWebhook(d, doc.continuation, CALL);
    expect(continuation.status).toBe(200);
    const resumed = parseStreamDocument(continuation.body);
    const back = await openTwilioStream(resumed, CALL_SID, 0);
    const echoed = new Promise<void>((resolve) =>
      back.on('message', (raw) => {
        if ((JSON.parse(raw.toString()) as { event?: string }).event === 'media') resolve();
      }),
    );
    sendMedia(back, CALL_SID, 10);
    await echoed;
    // The call that was waiting asks again: now it is a call like any other, with the AI.
    const late = await signedWebhook(d, '/twilio/voice', LATE_CALL);
    expect(late.status).toBe(200);
    expect(parseStreamDocument(late.body).continuation).toMatch(/callId=CAd{32}/);
    expect(bot.sessions).toHaveLength(1);
    expect(back.readyState).toBe(WebSocket.OPEN);
    back.close();
    expect(d.proc.exitCode).toBeNull();
  }, 60_000);
});
