import { describe, expect, it } from 'vitest';
import { reduceCall } from '../../src/runtime/call-reducer.js';
import { RECORDS, reduceContext, T1 } from '../runtime/shell-fakes.js';

/**
 * The caller's room reports may come out of order (Twilio does not order its callbacks; soak seed
 * 9112): a hold that reached the carrier twice took the caller out and back in, and the "back in"
 * (sequence 3) arrived before the "out" (sequence 2). Applied as it came, the departure started
 * the hang-up confirmation while the caller sat on hold, and the transfer ended `caller_hangup`.
 */
const held = (roomSequence: number) =>
  ({ type: 'transfer.event', transferId: T1, event: { type: 'caller.held' }, roomSequence }) as const;
const left = (roomSequence: number) =>
  ({ type: 'transfer.event', transferId: T1, event: { type: 'caller.left' }, roomSequence }) as const;

describe("the caller's room reports, in the carrier's order", () => {
  it('a departure numbered before an arrival already applied changes nothing', () => {
    const start = reduceCall(
      RECORDS.warm(),
      { type: 'transfer.event', transferId: T1, event: { type: 'handoff.played' } },
      reduceContext(),
    )!.record;
    const in1 = reduceCall(start, held(1), reduceContext())!.record;
    expect(in1.transfer?.flags.callerHeld).toBe(true);
    // Back in (3) arrives first: nothing to do for the machine, but the order is kept.
    const in3 = reduceCall(in1, held(3), reduceContext())!.record;
    expect(in3.callerRoomSequence).toBe(3);
    // Then the departure that happened before it (2): the past.
    expect(reduceCall(in3, left(2), reduceContext())).toBeNull();
  });

  it('a departure after the last arrival is the caller leaving: the confirmation starts', () => {
    const start = reduceCall(
      RECORDS.warm(),
      { type: 'transfer.event', transferId: T1, event: { type: 'handoff.played' } },
      reduceContext(),
    )!.record;
    const in1 = reduceCall(start, held(1), reduceContext())!.record;
    const out = reduceCall(in1, left(2), reduceContext());
    expect(out?.effects).toContainEqual(
      expect.objectContaining({
        effect: expect.objectContaining({ type: 'timer.start', timerId: 'confirm' }),
      }),
    );
    expect(out?.record.callerRoomSequence).toBe(2);
  });
});
