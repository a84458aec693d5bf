import { describe, expect, it } from 'vitest';
import { STREAM_LOST_GRACE_MS } from '../../src/runtime/sessions.js';
import { ANSWERS, type E2e, type E2eCarrier, useE2e, warm } from './fixture.js';
import { type Harness, waitForRecord } from './harness.js';

/**
 * A final status callback the carrier never delivers (docs/simulator.md: Twilio retries only
 * with connection overrides, Plivo for a bounded time, Exotel's StatusCallback "may fail"). The
 * liveness check (src/runtime/liveness.ts, every 60 s by default) asks the carrier, and the
 * record ends as the call did instead of staying live forever; with the AI, the caller's stream
 * closing by itself has the carrier asked sooner (`stream.lost`). On virtual time: the minutes of
 * waiting cost no wall time.
 */
const INTERVAL_MS = 60_000;

const TRANSFER = [{ say: 300 }, { text: ['Putting you through [TRANSFER:+14155550111]'] }, { say: 200 }];

/** The caller talks with the AI, then hangs up; the carrier's status callbacks are lost on the way. */
async function hangUpStatusLost(hh: Harness, placeCall: E2e['placeCall']) {
  const drop = hh.sim.faults.add({ type: 'callback.drop', match: { kind: 'status' } });
  const call = await placeCall(hh);
  await hh.sim.waitFor(() => call.heard.from('stream:').length > 0, 10_000);
  call.hangup();
  const end = await call.ended;
  await hh.sim.waitFor(() => drop.hits > 0, 10_000); // sent, and lost on the way
  return { call, end };
}

// Exotel's stream says itself when the call ended (`stop` with `callended`), and Exotel runs warm
// as cold (the record ends at the human's answer): its own test is below.
for (const carrier of ['twilio', 'plivo'] as const satisfies readonly E2eCarrier[]) {
  describe(`${carrier}: the caller's final status callback is lost`, () => {
    const { run, placeCall } = useE2e(carrier, { virtualTime: true });

    it('with the AI: the stream closing by itself has the carrier asked within seconds (caller_hangup, noted)', async () => {
      const hh = await run({ script: [{ say: 300 }] });
      const { call, end } = await hangUpStatusLost(hh, placeCall);
      const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended', 3 * INTERVAL_MS);
      expect(record.endedReason).toBe('caller_hangup');
      const lost = record.timeline.find((t) => t.event === 'stream.lost');
      expect(lost?.atMs).toBeGreaterThanOrEqual(end.atMs + STREAM_LOST_GRACE_MS);
      expect(record.timeline.find((t) => t.event === 'call.ended')?.detail).toMatch(
        /no final status callback came/,
      );
      // Not at the next liveness sweep: the grace, then one question to the carrier.
      expect(record.endedAtMs! - end.atMs).toBeLessThanOrEqual(STREAM_LOST_GRACE_MS + 1_000);
    });

    // A cold transfer's record ends when the human answers (the AI's part is over); a warm one
    // follows the caller in the room to the end.
    it('with the human after a warm transfer: the record ends `transferred`, noted', async () => {
      const hh = await run({ script: TRANSFER, agent: warm('Billing question.') });
      hh.sim.network.addHuman('+14155550111', ANSWERS);
      const call = await placeCall(hh);
      await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 20_000);
      const drop = hh.sim.faults.add({ type: 'callback.drop', match: { callSid: call.sid } });
      call.hangup();
      const end = await call.ended;
      await hh.sim.waitFor(() => drop.hits > 0, 10_000);
      const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended', 3 * INTERVAL_MS);
      expect(record.endedReason).toBe('transferred');
      expect(record.transfers[0]?.outcome).toBe('connected');
      expect(record.timeline.find((t) => t.event === 'call.ended')?.detail).toMatch(
        /no final status callback came/,
      );
      expect(record.endedAtMs! - end.atMs).toBeLessThanOrEqual(2 * INTERVAL_MS + 1_000);
    });
  });
}

describe("exotel: the caller's final status callback is lost", () => {
  const { run, placeCall } = useE2e('exotel', { virtualTime: true });

  it("with the AI: the stream's own `callended` stop ends the record at once (no check needed)", async () => {
    const hh = await run({ script: [{ say: 300 }] });
    const { call, end } = await hangUpStatusLost(hh, placeCall);
    const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended', 10_000);
    expect(record.endedReason).toBe('caller_hangup');
    expect(record.timeline.find((t) => t.event === 'call.ended')?.detail).toBeUndefined();
    expect(record.endedAtMs! - end.atMs).toBeLessThan(1_000);
  });
});

describe('twilio: a live call the carrier still has is left alone', () => {
  const { run, placeCall } = useE2e('twilio', { virtualTime: true });

  it('a warm transfer connected for 3 quiet minutes stays `human` until the caller hangs up', async () => {
    const hh = await run({ script: TRANSFER, agent: warm('Billing question.') });
    hh.sim.network.addHuman('+14155550111', ANSWERS);
    const call = await placeCall(hh);
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 20_000);
    const since = connected.transfers[0]?.endedAtMs ?? 0;
    const asked = () =>
      hh.sim.log.entries.filter(
        (e) =>
          e.type === 'rest.request' &&
          e.method === 'GET' &&
          e.path.endsWith(`/Calls/${call.sid}.json`) &&
          e.receivedAtMs > since,
      ).length;
    // Three intervals of a call nobody reports anything about: the carrier is asked, says live.
    await hh.sim.waitFor(() => asked() >= 2, 4 * INTERVAL_MS);
    const during = await waitForRecord(hh, call.sid, () => true);
    expect(during.phase).toBe('human');
    call.hangup();
    const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended', 10_000);
    expect(record.endedReason).toBe('transferred');
    expect(record.timeline.find((t) => t.event === 'call.ended')?.detail).toBeUndefined();
  });
});
