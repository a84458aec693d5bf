import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ACCOUNT_SID, ALL_KEY, type ApiApp, bearer, startApiApp } from '../api/support.js';
import { type EchoBot, startEchoBot } from '../support/echo-bot.js';
import { eventually } from '../support/eventually.js';
import { openTwilioStream, parseStreamDocument, sendMedia } from './daemon-process.js';
import { parsePrometheus, type Sample, sampleValue } from './prom-text.js';

describe('/metrics after a scripted set of calls and events', () => {
  let h: ApiApp;
  let bot: EchoBot;
  let port: number;
  let clock = Date.now();
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    bot = await startEchoBot();
    h = await startApiApp({ env: { PORT: '0' }, agentUrl: bot.url, app: { now: () => clock } });
    port = await h.app.listen();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await h?.close();
    await bot?.close();
  });

  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return parsePrometheus(await res.text());
  };
  const post = (url: string, payload: Record<string, unknown> = {}) =>
    h.app.http.inject({ method: 'POST', url, headers: bearer(ALL_KEY), payload });
  const hangUp = (callId: string) =>
    h.webhook('/twilio/status', { CallSid: callId, AccountSid: ACCOUNT_SID, CallStatus: 'completed' });

  it('counts webhooks refused, media frames, transfers by mode/outcome/carrier, timings and call ends', async () => {
    // Two refused webhooks: a bad signature, and a signed one missing CallSid.
    const forged = await h.app.http.inject({
      method: 'POST',
      url: '/twilio/voice',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' },
      payload: 'CallSid=x',
    });
    expect(forged.statusCode).toBe(403);
    expect(
      (
        await h.webhook('/twilio/voice', {
          AccountSid: ACCOUNT_SID,
          From: '+1',
          To: '+1',
          Direction: 'inbound',
        })
      ).statusCode,
    ).toBe(400);

    // Call 1: a live media stream (5 frames in, the echo bot's audio back out), then an API transfer, canceled.
    const call1 = await h.incomingCall();
    const twiml = await h.webhook('/twilio/voice', {
      CallSid: call1,
      AccountSid: ACCOUNT_SID,
      From: '+14155559999',
      To: '+14155550100',
      Direction: 'inbound',
    });
    const doc = parseStreamDocument(twiml.body);
    const ws = await openTwilioStream({ ...doc, streamUrl: `ws://127.0.0.1:${port}/twilio/media` }, call1);
    sockets.push(ws);
    // Once the agent has the stream, five more frames; the echo bot sends them back.
    await bot.until(() => bot.sessions[0]?.received.some((f) => f['event'] === 'start') ?? false);
    sendMedia(ws, call1, 5);
    await bot.until(() => (bot.sessions[0]?.received.filter((f) => f['event'] === 'media').length ?? 0) >= 5);
    await eventually(
      async () => sampleValue(await scrape(), 'patchthrough_media_frames_total', { direction: 'out' }) >= 5,
      'five media frames out in /metrics',
      { everyMs: 25 },
    );
    const t1 = (await post(`/v1/calls/${call1}/transfer`, {})).json().transferId as string;
    expect((await post(`/v1/calls/${call1}/transfer/cancel`)).statusCode).toBe(202);

    // Call 2: a cold transfer that connects after 3 s of ringing, 3.5 s after it started.
    const call2 = await h.incomingCall();
    const t2 = (await post(`/v1/calls/${call2}/transfer`, { rule: 'Billing' })).json().transferId as string;
    clock += 500;
    await h.app.engine.dispatch(
      call2,
      { type: 'transfer.event', transferId: t2, event: { type: 'handoff.played' } },
      undefined,
    );
    clock += 3000;
    await h.app.engine.dispatch(
      call2,
      { type: 'transfer.event', transferId: t2, event: { type: 'leg.answered', legId: `${t2}:0` } },
      undefined,
    );

    // Call 3: a refused transfer (a number the configuration does not name).
    const call3 = await h.incomingCall();
    expect((await post(`/v1/calls/${call3}/transfer`, { destination: '+14155550999' })).statusCode).toBe(422);

    const live = await scrape();
    expect(sampleValue(live, 'patchthrough_active_calls')).toBe(1);

    for (const id of [call1, call2, call3]) await hangUp(id);
    const m = await scrape();

    expect(
      sampleValue(m, 'patchthrough_webhook_rejects_total', { carrier: 'twilio', reason: 'signature' }),
    ).toBe(1);
    expect(
      sampleValue(m, 'patchthrough_webhook_rejects_total', { carrier: 'twilio', reason: 'invalid' }),
    ).toBe(1);
    expect(sampleValue(m, 'patchthrough_media_frames_total', { direction: 'in' })).toBe(10);
    expect(sampleValue(m, 'patchthrough_media_frames_total', { direction: 'out' })).toBeGreaterThanOrEqual(5);
    expect(
      sampleValue(m, 'patchthrough_transfers_started_total', {
        mode: 'cold',
        trigger: 'api',
        carrier: 'twilio',
      }),
    ).toBe(2);
    expect(
      sampleValue(m, 'patchthrough_transfers_total', {
        mode: 'cold',
        outcome: 'canceled',
        carrier: 'twilio',
      }),
    ).toBe(1);
    expect(
      sampleValue(m, 'patchthrough_transfers_total', {
        mode: 'cold',
        outcome: 'connected',
        carrier: 'twilio',
      }),
    ).toBe(1);
    expect(
      sampleValue(m, 'patchthrough_transfer_refusals_total', { refusal: 'destination_not_allowed' }),
    ).toBe(1);
    const ring = { mode: 'cold', carrier: 'twilio' };
    expect(sampleValue(m, 'patchthrough_transfer_ring_seconds_count', ring)).toBe(1);
    expect(sampleValue(m, 'patchthrough_transfer_ring_seconds_sum', ring)).toBe(3);
    expect(sampleValue(m, 'patchthrough_transfer_ring_seconds_bucket', { ...ring, le: '2' })).toBe(0);
    expect(sampleValue(m, 'patchthrough_transfer_ring_seconds_bucket', { ...ring, le: '3' })).toBe(1);
    expect(sampleValue(m, 'patchthrough_transfer_time_to_human_seconds_count', ring)).toBe(1);
    expect(sampleValue(m, 'patchthrough_transfer_time_to_human_seconds_sum', ring)).toBe(3.5);
    expect(
      sampleValue(m, 'patchthrough_calls_ended_total', { carrier: 'twilio', ended_reason: 'caller_hangup' }),
    ).toBe(2);
    expect(
      sampleValue(m, 'patchthrough_calls_ended_total', { carrier: 'twilio', ended_reason: 'transferred' }),
    ).toBe(1);
    expect(sampleValue(m, 'patchthrough_active_calls')).toBe(0);
    // Event-loop delay comes with the Node process metrics.
    expect(m.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    // No phone number or call id ever becomes a label.
    const text = JSON.stringify(m);
    for (const secret of ['+1415', call1, t1]) expect(text).not.toContain(secret);
  });
});
