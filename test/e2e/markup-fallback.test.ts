import { describe, expect, it } from 'vitest';
import { parsePrometheus, sampleValue } from '../ops/prom-text.js';
import { useE2e } from './fixture.js';
import { freePort, type Harness, INBOUND, waitForRecord } from './harness.js';

/**
 * A worker that dies while the carrier fetches markup must not drop the call. Twilio asks the
 * fallback URL when it cannot get the TwiML (connection refused, 5xx, timeout), with `ErrorCode`
 * and `ErrorUrl`; the simulator does the same. The daemon answers the failed request again from
 * saved state (webhooks are deduped, so a request the dead worker had applied applies once), and
 * the call's timeline says so.
 */

async function markupFallbacks(h: Harness): Promise<number> {
  return sampleValue(parsePrometheus(await h.app.metrics.text()), 'patchthrough_markup_fallbacks_total', {
    carrier: 'twilio',
  });
}

function events(timeline: readonly { event: string }[]): string[] {
  return timeline.map((t) => t.event);
}

describe('markup fallback on twilio', () => {
  const e2e = useE2e('twilio');

  it('the primary voice URL is gone (connection refused): the fallback on another worker answers, the AI talks', async () => {
    const h = await e2e.run({ script: [{ say: 400 }] });
    const gone = `http://127.0.0.1:${await freePort()}`;
    h.sim.twilio.configureNumber(INBOUND, {
      voiceUrl: `${gone}/twilio/voice`,
      voiceFallbackUrl: `${h.publicUrl}/twilio/voice`,
      statusCallback: `${h.publicUrl}/twilio/status`,
    });
    const call = await e2e.placeCall(h);
    await h.sim.waitFor(() => call.heard.from('stream:').length > 0, 8000);
    const fallback = h.sim.log.ofType('webhook.sent').find((w) => w.kind === 'fallback');
    expect(fallback?.params).toMatchObject({ ErrorCode: '11205', ErrorUrl: `${gone}/twilio/voice` });
    expect(call.heard.from('say')).toHaveLength(0); // no "application error" message
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    expect(events(ended.timeline)).toEqual(
      expect.arrayContaining(['call.started', 'markup.recovered', 'call.ended']),
    );
    expect(await markupFallbacks(h)).toBe(1);
  });

  it('the worker answering a dial action dies mid-fetch: the fallback reaches the new worker, the caller is back with the AI', async () => {
    const h = await e2e.run({
      script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 5000 }],
    });
    h.sim.twilio.configureNumber(INBOUND, {
      voiceUrl: `${h.publicUrl}/twilio/voice`,
      voiceFallbackUrl: `${h.publicUrl}/twilio/voice`,
      statusCallback: `${h.publicUrl}/twilio/status`,
    });
    h.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 300 });
    // The dial action reaches the worker, which applies it and dies before answering.
    h.sim.faults.add({ type: 'webhook.timeout', match: { kind: 'action' }, afterMs: 1500, times: 1 });
    const call = await e2e.placeCall(h);
    await h.sim.waitFor(() => h.sim.log.ofType('fault.applied').length > 0, 15_000);
    await h.restartDaemon();
    const back = await waitForRecord(
      h,
      call.sid,
      (r) =>
        r.phase === 'ai' &&
        r.transfers[0]?.outcome === 'busy' &&
        events(r.timeline).includes('markup.recovered'),
      15_000,
    );
    expect(back.timeline.find((t) => t.event === 'markup.failed')?.detail).toBe('11205');
    // The caller hears the AI again: a second stream after the failed transfer.
    await h.sim.waitFor(() => h.sim.twilio.streamsOf(call.sid).length >= 2, 15_000);
    expect(call.heard.from('say')).toHaveLength(0);
    const fallback = h.sim.log.ofType('webhook.sent').find((w) => w.kind === 'fallback');
    expect(fallback?.status).toBe(200);
    expect(String(fallback?.params['ErrorUrl'])).toContain('/twilio/dial-action');
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });
});

describe('markup fallback on plivo', () => {
  const e2e = useE2e('plivo');

  it("the application's answer URL is gone: Plivo asks its fallback answer URL on a live worker, the AI talks", async () => {
    const h = await e2e.run({ script: [{ say: 400 }] });
    const gone = `http://127.0.0.1:${await freePort()}`;
    h.sim.plivo.configureNumber(INBOUND, {
      answerUrl: `${gone}/plivo/voice`,
      fallbackUrl: `${h.publicUrl}/plivo/voice`,
      hangupUrl: `${h.publicUrl}/plivo/status`,
    });
    const call = await e2e.placeCall(h);
    await h.sim.waitFor(() => call.heard.from('stream:').length > 0, 8000);
    expect(h.sim.log.ofType('webhook.sent').some((w) => w.kind === 'fallback' && w.status === 200)).toBe(
      true,
    );
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });
});
