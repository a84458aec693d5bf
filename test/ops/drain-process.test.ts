import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { createStore } from '../../src/store/create-store.js';
import { freePort, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { type EchoBot, startEchoBot } from '../support/echo-bot.js';
import { eventually, settles } from '../support/eventually.js';
import {
  ACCOUNT_SID,
  type DaemonProcess,
  openTwilioStream,
  parseStreamDocument,
  signedWebhook,
  spawnDaemon,
} from './daemon-process.js';

const DRAIN_TIMEOUT_MS = 4000;
const CALL_SID = `CA${'c'.repeat(32)}`;

describe('SIGTERM drain of a real daemon with a live call', () => {
  let redis: RedisServer;
  let bot: EchoBot;
  let dir: string;
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    bot = await startEchoBot();
    dir = mkdtempSync(join(tmpdir(), 'patchthrough-drain-'));
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
    for (const d of daemons) await d.stop(3000);
    await bot?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (workerId: string) => ({
    REDIS_URL: redis.url,
    PATCHTHROUGH_CONFIG: join(dir, 'agents.json'),
    DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
    WORKER_ID: workerId,
  });

  it('goes unready, hands the stream back, exits cleanly, and leaves the call for another worker', async () => {
    const a = await spawnDaemon(freePort, env('worker-a'));
    daemons.push(a);

    // A live call: Twilio asks the voice URL, then opens the media stream it was given.
    const answer = await signedWebhook(a, '/twilio/voice', {
      CallSid: CALL_SID,
      AccountSid: ACCOUNT_SID,
      From: '+14155559999',
      To: '+14155550100',
      Direction: 'inbound',
    });
    expect(answer.status).toBe(200);
    const doc = parseStreamDocument(answer.body);
    const ws: WebSocket = await openTwilioStream(doc, CALL_SID);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await bot.until(
      () =>
        bot.sessions.length === 1 && (bot.sessions[0]?.received.some((m) => m['event'] === 'start') ?? false),
    );

    a.proc.kill('SIGTERM');
    // Readiness goes false while the daemon still answers (the balancer takes it out of rotation).
    const unready = await eventually(async () => {
      const r = await fetch(`${a.url}/readyz`).catch(() => undefined);
      if (r === undefined) return undefined;
      const body = (await r.json()) as { ready: boolean; draining: boolean };
      return r.status === 503 ? body : undefined;
    }, 'readiness to turn false');
    expect(unready).toMatchObject({ ready: false, draining: true });
    // A new call is not accepted while draining.
    const refused = await signedWebhook(a, '/twilio/voice', {
      CallSid: `CA${'d'.repeat(32)}`,
      AccountSid: ACCOUNT_SID,
      From: '+14155559998',
      To: '+14155550100',
      Direction: 'inbound',
    });
    // Refused with 503, not hung up: until the balancer's health check takes this worker out of
    // the rotation, new calls still reach it, and a 503 is what the balancer retries on another
    // worker (deploy/haproxy.cfg `retry-on … 503`); a `<Hangup>` would drop the caller.
    expect(refused.status).toBe(503);
    expect(refused.body).not.toContain('<Stream');
    expect(refused.body).not.toContain('<Hangup');

    // The live call's stream is handed back (the carrier will run the <Redirect>), then the process exits.
    await closed;
    // How long the drain may take is drain.test.ts's business (on a fake clock); here: it released
    // the call by handing its stream back (none left streaming at the end), then exited cleanly.
    const exit = await settles(a.exited, 'the drained daemon to exit', {
      timeoutMs: DRAIN_TIMEOUT_MS + 10_000,
    });
    expect(exit).toEqual({ code: 0, signal: null });
    const log = logEntries(a.output);
    expect(log.map((e) => e['msg']).filter((m) => String(m).startsWith('drain.'))).toEqual([
      'drain.started',
      'drain.calls_released',
      'drain.done',
    ]);
    expect(log.find((e) => e['msg'] === 'drain.calls_released')).toMatchObject({
      handedBack: 1,
      stillStreaming: 0,
    });

    // The call is still in Redis, not ended: another worker picks it up.
    const store = createStore<CallRecord>({ redisUrl: redis.url });
    try {
      const stored = await store.calls.get(CALL_SID);
      expect(stored?.record).toMatchObject({ callId: CALL_SID, phase: 'ai', agentId: 'front-desk' });
      expect(stored?.record.endedReason).toBeUndefined();
    } finally {
      await store.close();
    }

    const b = await spawnDaemon(freePort, env('worker-b'));
    daemons.push(b);
    const continuation = await signedWebhook(b, doc.continuation, {
      CallSid: CALL_SID,
      AccountSid: ACCOUNT_SID,
      From: '+14155559999',
      To: '+14155550100',
      Direction: 'inbound',
    });
    expect(continuation.status).toBe(200);
    expect(continuation.body).toContain('<Connect><Stream');
    const resumed = parseStreamDocument(continuation.body);
    expect(resumed.streamUrl).toContain(`127.0.0.1:${b.port}`);
    expect(resumed.parameters['callId']).toBe(CALL_SID);
    // The caller's new stream reaches the agent again, through worker B.
    const ws2 = await openTwilioStream(resumed, CALL_SID);
    await bot.until(() => bot.sessions.length === 2);
    ws2.close();
  });
});

/** The daemon's JSON log lines (pino), parsed; other output is skipped. */
function logEntries(output: readonly string[]): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
