import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { StatusSnapshot } from '../../src/cli/status.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { ACCOUNT_SID, ALL_KEY, type ApiApp, bearer, CALLER, startApiApp } from '../api/support.js';
import { type EchoBot, startEchoBot } from '../support/echo-bot.js';
import { openTwilioStream, parseStreamDocument } from './daemon-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the installed command (`bin/patchthrough.js`) as a user would. */
function cli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['bin/patchthrough.js', ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    proc.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    proc.once('exit', (code) => resolve({ code, out, err }));
  });
}

describe('patchthrough status', () => {
  let redis: RedisServer;
  let bot: EchoBot;
  let h: ApiApp;
  let ws: WebSocket | undefined;
  let streaming: string;
  let transferring: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    bot = await startEchoBot();
    h = await startApiApp({
      env: { PORT: '0', REDIS_URL: redis.url, WORKER_ID: 'worker-status' },
      agentUrl: bot.url,
    });
    const port = await h.app.listen();
    streaming = await h.incomingCall();
    const twiml = await h.webhook('/twilio/voice', {
      CallSid: streaming,
      AccountSid: ACCOUNT_SID,
      From: CALLER,
      To: '+14155550100',
      Direction: 'inbound',
    });
    ws = await openTwilioStream(
      { ...parseStreamDocument(twiml.body), streamUrl: `ws://127.0.0.1:${port}/twilio/media` },
      streaming,
    );
    await bot.until(() => bot.sessions[0]?.received.some((f) => f['event'] === 'start') ?? false);
    transferring = await h.incomingCall();
    const res = await h.app.http.inject({
      method: 'POST',
      url: `/v1/calls/${transferring}/transfer`,
      headers: bearer(ALL_KEY),
      payload: { rule: 'Billing' },
    });
    expect(res.statusCode).toBe(202);
  });
  afterAll(async () => {
    ws?.close();
    await h?.close();
    await bot?.close();
    await redis?.stop();
  });

  it('lists workers, live calls (with the worker holding their media) and running transfers', async () => {
    const { code, out, err } = await cli(['status', '--json'], { REDIS_URL: redis.url });
    expect(err).toBe('');
    expect(code).toBe(0);
    const s = JSON.parse(out) as StatusSnapshot;
    expect(s.workers.map((w) => [w.workerId, w.calls])).toEqual([['worker-status', 1]]);
    const calls = new Map(s.calls.map((c) => [c.callId, c]));
    expect(calls.get(streaming)).toMatchObject({
      agentId: 'front-desk',
      phase: 'ai',
      worker: 'worker-status',
    });
    expect(calls.get(transferring)).toMatchObject({ phase: 'transferring', worker: null });
    expect(s.transfers).toHaveLength(1);
    expect(s.transfers[0]).toMatchObject({
      callId: transferring,
      transferId: `${transferring}.t1`,
      mode: 'cold',
      trigger: 'api',
    });
    expect(s.transfers[0]?.flagTtlMs).toBeGreaterThan(0);
    expect(out).not.toContain(CALLER);
  });

  it('prints tables for a terminal', async () => {
    const { code, out } = await cli(['status'], { REDIS_URL: redis.url });
    expect(code).toBe(0);
    expect(out).toContain('workers (1)');
    expect(out).toContain('live calls (2)');
    expect(out).toContain('running transfers (1)');
    // The transfer's phase is whatever it reached (its handoff wait may pass on a slow machine).
    expect(out).toMatch(new RegExp(`${transferring}\\.t1\\s+cold\\s+(handoff|dialing)\\s+api`));
    expect(out).not.toContain(CALLER);
  });

  it('says what is missing without REDIS_URL, and refuses unknown commands', async () => {
    const noRedis = await cli(['status'], {});
    expect(noRedis.code).toBe(2);
    expect(noRedis.err).toContain('REDIS_URL');
    const unknown = await cli(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command');
  });
});
