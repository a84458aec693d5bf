import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sleep } from '../../src/lib/time.js';
import { STREAM_LOST_GRACE_MS } from '../../src/runtime/sessions.js';
import { expectEchoedExactly, noise, useE2e } from './fixture.js';
import { AUTH_TOKEN, CALLER, INBOUND, sourcesHeard, waitForRecord } from './harness.js';

/**
 * What must never drop a caller: a plain Twilio bot as the agent, forged requests, a dropped
 * carrier stream, a restarted worker, a failing agent socket, a silent caller. The dropped
 * stream, the failing agent socket and the silent caller wait on timers: they run on virtual time.
 */

describe('twilio resilience end to end (Redis)', () => {
  const e2e = useE2e('twilio');
  const { run, placeCall, echoBot } = e2e;
  const hh_sessions = (): number => e2e.harness?.agent?.sessions.length ?? 0;

  it('a bot that speaks only Twilio Media Streams works as the agent; μ-law passes bit-exact', async () => {
    const echo = await echoBot();
    const hh = await run({ agentUrl: echo.url });
    const sent = noise(8000 * 3);
    const call = await placeCall(hh, { audio: { type: 'mulaw', data: sent } });
    await hh.sim.waitFor(() => call.heard.bytes('stream:') >= 8000, 8000);
    expectEchoedExactly(call, sent);
    expect(echo.sessions[0]?.received.some((f) => f['event'] === 'start')).toBe(true);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });

  it('forged webhooks get 403 and change nothing; forged media sockets are refused', async () => {
    const hh = await run({ script: [{ say: 200 }] });
    const params = {
      CallSid: `CA${'9'.repeat(32)}`,
      AccountSid: `AC${'1'.repeat(32)}`,
      From: CALLER,
      To: INBOUND,
      CallStatus: 'ringing',
      Direction: 'inbound',
    };
    const url = `${hh.publicUrl}/twilio/voice`;
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature('wrong-token', url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(forged.status).toBe(403);
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    expect(unsigned.status).toBe(403);
    expect(await hh.app.engine.get(params.CallSid)).toBeUndefined();
    // The real signature is accepted (the same request, signed with the account's token).
    const real = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(real.status).toBe(200);
    expect((await hh.app.engine.get(params.CallSid))?.phase).toBe('ai');
    // A media socket whose start carries a wrong token is closed (1008) and opens no agent session.
    const ws = new WebSocket(`${hh.publicUrl.replace('http', 'ws')}/twilio/media`);
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: `MZ${'1'.repeat(32)}`,
        start: {
          streamSid: `MZ${'1'.repeat(32)}`,
          accountSid: params.AccountSid,
          callSid: params.CallSid,
          tracks: ['inbound'],
          customParameters: { callId: params.CallSid, mediaToken: 'forged' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    expect(await closed).toBe(1008);
    expect(hh.app.sessions.get(params.CallSid)).toBeUndefined();
    expect(hh.agent?.sessions).toHaveLength(0);
  });

  it('a restarted worker: the continuation reaches the new one, which resumes the AI and can still transfer', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed || hh_sessions() > 1
          ? [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 100 }]
          : [{ say: 5000 }],
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 200,
      speak: { type: 'tone', hz: 660, durationMs: 3000 },
    });
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => call.heard.bytes('stream:') > 1600, 8000);
    await hh.restartDaemon();
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers[0]?.outcome).toBe('connected');
    expect(human.legs).toHaveLength(1);
    expect(hh.agent?.sessions.length).toBe(2);
    expect(sourcesHeard(call.heard.segments)[0]).toBe('stream:');
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('transferred');
  });

  it('the worker holding the agent dies during a cold transfer that then fails: the new socket is told the end, then resume (soak seed 15003)', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed ? [{ say: 100 }] : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }],
    });
    const human = hh.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 2000 });
    const call = await placeCall(hh);
    // The caller is in the <Dial>; the worker with the agent's socket dies before the busy comes.
    await hh.sim.waitFor(() => human.legs.length === 1, 8000);
    await hh.restartDaemon();
    expect(human.legs[0]?.end).toBeUndefined();
    const back = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome === 'busy', 15_000);
    const transferId = back.transfers[0]?.transferId;
    const second = await hh.agent!.session(1);
    await second.waitFor((f) => f.event === 'resume');
    // The first socket never heard the end (its worker died first); the new one hears it, in order.
    const first = await hh.agent!.session(0);
    expect(first.frames('transfer_status').map((f) => f.frame['status'])).not.toContain('failed');
    expect(
      second.received
        .map((r) => r.frame)
        .filter((f) => f.event === 'transfer_status' || f.event === 'resume')
        .map((f) => [f.event, f['status'] ?? f['outcome'], f['transferId']]),
    ).toEqual([
      ['transfer_status', 'failed', transferId],
      ['resume', 'busy', transferId],
    ]);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });

  it('DTMF reaches the agent and the agent barge-in (clear) reaches the carrier', async () => {
    const hh = await run({
      script: [{ say: 2000, mark: 'long' }, { waitMs: 300 }, { clear: true }, { say: 100, mark: 'after' }],
    });
    const call = await placeCall(hh, { audio: { type: 'silence' } });
    await hh.sim.waitFor(() => call.heard.bytes('stream:') > 800, 8000);
    await call.pressDigits('42');
    const session = await hh.agent!.session(0);
    await session.waitFor(
      (f) => f.event === 'dtmf' && (f['dtmf'] as { digit?: string } | undefined)?.digit === '2',
    );
    expect(session.frames('dtmf').map((f) => (f.frame['dtmf'] as { digit: string }).digit)).toEqual([
      '4',
      '2',
    ]);
    await hh.sim.waitFor(
      () =>
        hh.sim.log
          .forCall(call.sid)
          .entries.some((e) => e.type === 'media.event' && (e as { event?: string }).event === 'clear'),
      5000,
    );
    // The 2 s utterance was cut short by the clear: once the caller has heard what the agent said
    // after it (the carrier plays in order, then echoes the mark), well under 2 s of it was heard.
    await session.waitFor((f) => f.event === 'mark' && (f['mark'] as { name?: string }).name === 'after');
    expect(call.heard.bytes('stream:')).toBeLessThan(16_000);
    call.hangup();
  });
});

describe('twilio resilience end to end (virtual time)', () => {
  const { run, placeCall } = useE2e('twilio', { virtualTime: true });

  it('a dropped carrier stream comes back through the continuation to the same conversation', async () => {
    // The agent speaks, the stream drops ~500 ms in, the agent speaks again later.
    const hh = await run({ script: [{ say: 300 }, { waitMs: 1500 }, { say: 500 }] });
    hh.sim.faults.add({ type: 'media.drop', afterFrames: 25 });
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => new Set(call.heard.from('stream:').map((s) => s.source)).size >= 2, 8000);
    const record = await hh.app.engine.get(call.sid);
    expect(record?.phase).toBe('ai');
    // Back within the grace: no reason to ask the carrier about the call.
    await sleep(hh.time, STREAM_LOST_GRACE_MS + 500);
    const after = await hh.app.engine.get(call.sid);
    expect(after?.timeline.map((t) => t.event)).not.toContain('stream.lost');
    // One agent socket throughout: the agent never noticed.
    expect(hh.agent?.sessions).toHaveLength(1);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });

  it('an agent socket that fails twice sends the caller to the default destination', async () => {
    const hh = await run({ script: [{ say: 200 }, { close: 'abrupt' }] });
    const human = hh.sim.network.addHuman('+14155550133', { type: 'answer', afterMs: 200 });
    const call = await placeCall(hh);
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers[0]).toMatchObject({ trigger: 'default', outcome: 'connected' });
    expect(connected.timeline.map((t) => t.event)).toContain('agent.failed');
    expect(hh.agent?.sessions).toHaveLength(2);
    expect(human.legs).toHaveLength(1);
    call.hangup();
  });

  it('a silent caller is transferred when onNoResponseAction is transfer', async () => {
    const hh = await run({
      script: [{ say: 200 }],
      agent: (a) => ({ ...a, callControl: { onNoResponseAction: 'transfer', noResponseTimeoutSec: 1 } }),
    });
    const human = hh.sim.network.addHuman('+14155550133', { type: 'answer', afterMs: 200 });
    const call = await placeCall(hh, { audio: { type: 'silence' } });
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers[0]).toMatchObject({ trigger: 'silence', outcome: 'connected' });
    expect(connected.timeline.map((t) => t.event)).toContain('caller.silent');
    expect(human.legs).toHaveLength(1);
    call.hangup();
  });
});
