import { describe, expect, it } from 'vitest';
import type { CommandOptions } from '../../providers/types.js';
import { CarrierError } from '../../src/domain/errors.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { CallEffect } from '../../src/runtime/call-reducer.js';
import { harness, tx } from './executor-harness.js';
import { LEG0, RECORDS, T1, through, transferEvent } from './shell-fakes.js';

/**
 * A human's leg being hung up whose end the carrier reports meanwhile (its answer late, the
 * client's quick retries pending): the retries stop, and the hang-up counts as done — the leg is
 * over, which is all it was for; a hang-up decided just after the report is not sent. Found by
 * the lossy sweep (seeds 0xa63, 0xb63, 0xbd6, under a full sweep's load): a cancel answered 1.6 s
 * late was retried after the carrier had reported the leg `canceled`, a command to a call that
 * was over.
 */

/** The caller hung up on hold: the leg (carrier id `CHILD9`) is being canceled. */
const canceling = (): CallRecord => through(RECORDS.warmHeld(), transferEvent({ type: 'caller.hangup' }));
const LEG_CARRIER_ID = 'CHILD9';
const cancelLeg = tx({ type: 'carrier.cancel', legId: LEG0 });

/** A hang-up that waits until told to fail, as the client does once its retries are given up. */
function pendingHangup(h: ReturnType<typeof harness>) {
  let fail = (): void => {};
  let until: AbortSignal | undefined;
  const sent: string[] = [];
  const control = h.carrier.adapter.control as {
    hangupCall: (callId: string, options?: CommandOptions) => Promise<void>;
  };
  control.hangupCall = (callId, options) => {
    sent.push(callId);
    until = options?.until;
    return new Promise<void>((_resolve, reject) => {
      fail = () => reject(new CarrierError('twilio', 0, undefined, 'twilio request timed out'));
    });
  };
  return { fail: () => fail(), until: () => until, sent };
}

describe("a leg's hang-up and the carrier's report of its end", () => {
  it('the end reported while the hang-up is tried: its retries stop, and its failure is no failure', async () => {
    const h = harness({ record: canceling });
    const hangup = pendingHangup(h);
    const cancel = h.executor.run(h.record, [cancelLeg], h.context);
    await Promise.resolve();
    expect(hangup.sent).toEqual([LEG_CARRIER_ID]);
    expect(hangup.until()?.aborted).toBe(false);
    h.executor.legEnded('CA-another-leg');
    expect(hangup.until()?.aborted).toBe(false);
    h.executor.legEnded(LEG_CARRIER_ID);
    expect(hangup.until()?.aborted).toBe(true);
    hangup.fail();
    await cancel;
    expect(h.fed.filter((i) => i.type === 'effect.failed')).toEqual([]);
  });

  it('no report of its end: a hang-up that fails is a failure, as before', async () => {
    const h = harness({ record: canceling });
    const hangup = pendingHangup(h);
    const cancel = h.executor.run(h.record, [cancelLeg], h.context);
    await Promise.resolve();
    hangup.fail();
    await cancel;
    expect(h.fed.map((i) => i.type)).toContain('effect.failed');
  });

  it("another call's guard with the same id still running: this call's retry of that id is sent all the same", async () => {
    const h = harness({ record: canceling });
    const sent: string[] = [];
    const failures: (() => void)[] = [];
    const control = h.carrier.adapter.control as { hangupCall: (callId: string) => Promise<void> };
    control.hangupCall = (callId) => {
      sent.push(callId);
      return new Promise<void>((_resolve, reject) => {
        failures.push(() => reject(new CarrierError('twilio', 0, undefined, 'twilio request timed out')));
      });
    };
    const guarded: CallEffect = {
      type: 'transfer',
      transferId: T1,
      effect: { type: 'carrier.cancel', legId: LEG0 },
      guardId: '2',
    };
    const retry: CallEffect = { type: 'retry', retryId: '2', attempt: 1, effect: cancelLeg };
    // Call A's guarded cancel (guard 2) hangs, as a slow carrier does.
    const first = h.executor.run(h.record, [guarded], h.context);
    await Promise.resolve();
    expect(sent).toEqual([LEG_CARRIER_ID]);
    // Call B's retry 2 fires meanwhile (a guard id is a count within its call: lossy seeds 0x4867, 0x48a1).
    const other: CallRecord = {
      ...h.record,
      callId: 'CA-other-call',
      legCarrierIds: { [LEG0]: 'CHILD-OTHER' },
    };
    const retried = h.executor.run(other, [retry], h.context);
    await Promise.resolve();
    expect(sent).toEqual([LEG_CARRIER_ID, 'CHILD-OTHER']);
    // The same call's retry of its own running guard still waits for that run.
    await h.executor.run(h.record, [retry], h.context);
    expect(sent).toEqual([LEG_CARRIER_ID, 'CHILD-OTHER']);
    for (const fail of failures) fail();
    await Promise.all([first, retried]);
  });

  it('the end reported just before the hang-up was decided: nothing is sent', async () => {
    const h = harness({ record: canceling });
    const hangup = pendingHangup(h);
    h.executor.legEnded(LEG_CARRIER_ID);
    await h.executor.run(h.record, [cancelLeg], h.context);
    expect(hangup.sent).toEqual([]);
    expect(h.fed).toEqual([]);
  });
});
