import { afterEach, describe, expect, it } from 'vitest';
import { CALLER, type Harness, INBOUND, startHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('twilio cold transfer', () => {
  it('answered: the caller reaches the human and the call ends as transferred', async () => {
    h = await startHarness({
      script: [{ say: 400 }, { text: ['Putting you through ', 'now [TRANS', 'FER:+14155550111]'] }, { say: 300 }],
    });
    const human = h.sim.network.addHuman('+14155550111', { type: 'answer', afterMs: 300, speak: { type: 'tone', hz: 660, durationMs: 400 } });
    const call = await h.sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: INBOUND, audio: { type: 'tone', hz: 440 } });
    await h.sim.waitFor(() => human.legs.length > 0, 8000);
    await h.sim.waitFor(() => human.activeLeg?.state === 'answered', 8000);
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(ended.transfers[0]?.outcome).toBe('connected');
    expect(ended.transfers[0]?.mode).toBe('cold');
  });
});

async function waitForRecord(
  h: Harness,
  callId: string,
  predicate: (r: import('../../src/runtime/call-record.js').CallRecord) => boolean,
  timeoutMs = 8000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await h.app.engine.get(callId);
    if (r !== undefined && predicate(r)) return r;
    if (Date.now() > deadline) throw new Error(`record condition not met: ${JSON.stringify(r?.timeline)}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
