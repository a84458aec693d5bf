import { describe, expect, it } from 'vitest';
import type { ScriptStep } from '../../src/agent/scripted-agent-server.js';
import { ANSWERS, type E2eCarrier, useE2e } from './fixture.js';
import { exotelNumber, type Harness, INBOUND, waitForRecord } from './harness.js';

/**
 * `[TRANSFER:…]` tags streamed the way LLMs stream them — one per `text` delta, with speech in
 * between — form one fallback chain per agent turn (docs/agent-protocol.md, `text`): the first
 * number busy, the second is dialed. A request refused because a transfer is already running is
 * on the call record. On virtual time: the chain's quiet window and the rings cost no wall time.
 */

const FIRST = '+14155550111';
const SECOND = '+14155550112';

/** One turn: speech, a tag, more speech, the second tag, the end of the turn; deltas apart in time. */
function streamedChain(final: boolean): ScriptStep[] {
  return [
    { say: 200 },
    { text: ['Let me get you to billing. [TRANS'], final: false },
    { waitMs: 60 },
    { text: [`FER:${FIRST}]`], final: false },
    { waitMs: 120 },
    { text: [' If they are busy I will try '], final: false },
    { waitMs: 80 },
    { text: [`[TRANSFER:${SECOND}]`], final: false },
    { waitMs: 60 },
    { text: [' the next line.'], final },
    { say: 100 },
  ];
}

async function dialedInOrder(h: Harness, sid: string) {
  const ended = await waitForRecord(h, sid, (r) => r.phase === 'human', 15_000);
  expect(ended.transfers).toHaveLength(1);
  expect(ended.transfers[0]?.chainLength).toBe(2);
  expect(ended.transfer?.legs.map((l) => l.outcome)).toEqual(['busy', 'connected']);
  expect(ended.refusals).toEqual([]);
  return ended;
}

describe.each(['twilio', 'plivo', 'exotel'] as const)(
  '%s: a chain streamed in pieces',
  (carrier: E2eCarrier) => {
    const e2e = useE2e(carrier, { virtualTime: true });

    const start = async (script: ScriptStep[]): Promise<Harness> => {
      const h = await e2e.run({ script });
      if (carrier === 'exotel')
        h.sim.exotel.configureNumber(INBOUND, exotelNumber(h.publicUrl, { programmable: true }));
      return h;
    };

    it('two tags in separate deltas of one turn (closed by final) dial both numbers, in order', async () => {
      const h = await start(streamedChain(true));
      const busy = h.sim.network.addHuman(FIRST, { type: 'busy', afterMs: 200 });
      const answers = h.sim.network.addHuman(SECOND, ANSWERS);
      const call = await e2e.placeCall(h);
      await dialedInOrder(h, call.sid);
      expect(busy.legs).toHaveLength(1);
      expect(answers.legs).toHaveLength(1);
      call.hangup();
    });
  },
);

describe('twilio: chain window and refusals on the record', () => {
  const e2e = useE2e('twilio', { virtualTime: true });

  it('an agent that never sends final: the chain closes after the quiet window, both numbers dialed', async () => {
    const h = await e2e.run({ script: streamedChain(false) });
    h.sim.network.addHuman(FIRST, { type: 'busy', afterMs: 200 });
    const answers = h.sim.network.addHuman(SECOND, ANSWERS);
    const call = await e2e.placeCall(h);
    await dialedInOrder(h, call.sid);
    expect(answers.legs).toHaveLength(1);
    call.hangup();
  });

  it('a request while a transfer runs is refused transfer_in_progress, and the record says so', async () => {
    const h = await e2e.run({
      script: [
        { say: 200 },
        { text: [`[TRANSFER:${FIRST}]`] },
        { awaitEvent: 'transfer_status' },
        { transfer: { destination: SECOND, reason: 'again' } },
        { say: 100 },
      ],
    });
    h.sim.network.addHuman(FIRST, { type: 'no-answer' });
    const second = h.sim.network.addHuman(SECOND, ANSWERS);
    const call = await e2e.placeCall(h);
    const record = await waitForRecord(h, call.sid, (r) => r.refusals.length > 0, 10_000);
    expect(record.refusals.map((r) => [r.trigger, r.refusal])).toEqual([['tag', 'transfer_in_progress']]);
    expect(record.timeline.filter((t) => t.event === 'transfer.refused').map((t) => t.detail)).toEqual([
      'transfer_in_progress',
    ]);
    expect(record.transfers).toHaveLength(1);
    expect(second.legs).toHaveLength(0);
    call.hangup();
  });
});
