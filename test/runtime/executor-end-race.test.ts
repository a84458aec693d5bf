import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { CallEffect } from '../../src/runtime/call-reducer.js';
import { reduceCall } from '../../src/runtime/call-reducer.js';
import { owedStatuses } from '../../src/runtime/effect-guards.js';
import { harness, tx } from './executor-harness.js';
import { LEG0, RECORDS, reduceContext, T1 } from './shell-fakes.js';

/**
 * A transfer that ends while the call lives (the caller gone from the room, then the carrier's
 * check) tells the agent `failed` after it cancels the human's leg: a carrier request. The call's
 * own end, applied meanwhile, closes the agent's socket. Effects of two events of one call run
 * concurrently, and the agent must still hear the outcome, once, before its `stop`. (The property
 * test's seed 0x4, twelve seeds at once under a full suite's load: "the agent was told 0
 * outcomes".)
 */
const failed = tx({ type: 'agent.status', status: 'failed', legId: LEG0 });
const guarded = (effect: CallEffect, guardId: string): CallEffect => ({ ...effect, guardId }) as CallEffect;

/** The call's end as the store has it then: the transfer's guarded status not done yet. */
const endedOwing = (): CallRecord => ({
  ...RECORDS.ended(),
  retries: [{ retryId: '1', effect: failed, attempt: 1 }],
});

function slowHangups(h: ReturnType<typeof harness>): () => void {
  let release = (): void => {};
  const slow = new Promise<void>((resolve) => {
    release = resolve;
  });
  const control = h.carrier.adapter.control as { hangupCall: (callId: string) => Promise<void> };
  const hangup = control.hangupCall.bind(control);
  control.hangupCall = async (callId) => {
    await slow;
    return hangup(callId);
  };
  return release;
}

const told = (h: ReturnType<typeof harness>): string[] =>
  h.local.agent.sent.map((s) =>
    s.kind === 'status' ? `status ${s.update.transferId} ${s.update.status}` : s.kind,
  );

describe("a transfer's end and the call's end, their effects overlapping", () => {
  const transferEnded = [
    guarded(tx({ type: 'carrier.cancel', legId: LEG0 }), '2'),
    guarded(failed, '1'),
    tx({ type: 'transfer.ended', outcome: 'caller_hangup' }),
  ];

  it('the call ends while the leg is being canceled: the agent hears `failed`, then `stop`', async () => {
    const h = harness({ record: 'warmHeld' });
    const release = slowHangups(h);
    const first = h.executor.run(h.record, transferEnded, h.context);
    await h.executor.run(endedOwing(), [{ type: 'call.finished', endedReason: 'caller_hangup' }], h.context);
    release();
    await first;
    expect(told(h)).toEqual([`status ${T1} failed`, 'close']);
  });

  it('the status told before the end (its guard not yet done): not told twice', async () => {
    const h = harness({ record: 'warmHeld' });
    await h.executor.run(h.record, transferEnded, h.context);
    await h.executor.run(endedOwing(), [{ type: 'call.finished', endedReason: 'caller_hangup' }], h.context);
    expect(told(h)).toEqual([`status ${T1} failed`, 'close']);
  });

  it("a catch-up's detach of a connected call's agent: `connected` is told first (soak seed 47834)", async () => {
    // The holder's subscription was down when the transfer connected: the relays reached nobody,
    // and the catch-up (catch-up.ts) runs the detach alone, the status's guard still pending.
    const h = harness({ record: 'warmHeld' });
    const connected = tx({ type: 'agent.status', status: 'connected', legId: LEG0 });
    const owing: CallRecord = {
      ...RECORDS.warmHeld(),
      retries: [{ retryId: '1', effect: connected, attempt: 1 }],
    };
    await h.executor.run(owing, [tx({ type: 'agent.detach' })], { relayed: true });
    expect(told(h)).toEqual([`status ${T1} connected`, 'close']);
    // The guard's retry, relayed here later, finds no session.
    await h.executor.run(owing, [{ type: 'retry', retryId: '1', attempt: 1, effect: connected }], {
      relayed: true,
    });
    expect(told(h)).toEqual([`status ${T1} connected`, 'close']);
  });

  it('an outcome whose guard is done is not told again at the end', async () => {
    const h = harness({ record: 'warmHeld' });
    await h.executor.run(
      RECORDS.ended(),
      [{ type: 'call.finished', endedReason: 'caller_hangup' }],
      h.context,
    );
    expect(told(h)).toEqual(['close']);
  });
});

describe('owedStatuses (effect-guards.ts)', () => {
  it("reads the record's pending guards of terminal statuses only, without their guard", () => {
    const record: CallRecord = {
      ...RECORDS.ended(),
      retries: [
        { retryId: '1', effect: tx({ type: 'carrier.cancel', legId: LEG0 }), attempt: 1 },
        { retryId: '2', effect: failed, attempt: 1 },
        { retryId: '3', effect: tx({ type: 'agent.status', status: 'connected', legId: LEG0 }), attempt: 2 },
      ],
    };
    expect(owedStatuses(record)).toEqual([
      failed,
      tx({ type: 'agent.status', status: 'connected', legId: LEG0 }),
    ]);
    expect(owedStatuses(RECORDS.ended())).toEqual([]);
  });

  it("the call's end keeps a status still owed in its record, where call.finished reads it", () => {
    const owing: CallRecord = { ...RECORDS.ai(), retries: [{ retryId: '1', effect: failed, attempt: 1 }] };
    const ended = reduceCall(owing, { type: 'call.ended' }, reduceContext());
    expect(ended?.record.phase).toBe('ended');
    expect(ended?.effects.at(-1)?.type).toBe('call.finished');
    expect(owedStatuses(ended?.record as CallRecord)).toEqual([failed]);
  });
});
