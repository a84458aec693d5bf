import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { CallEffect, CallInput } from '../../src/runtime/call-reducer.js';
import { reduceCall } from '../../src/runtime/call-reducer.js';
import { LEG0, RECORDS, reduceContext, T1, through, transferEvent } from './shell-fakes.js';

/**
 * The caller's move to hold, refused by the carrier past its client's quick retries, is tried
 * again from a durable timer — but only while its transfer still waits for it (effect-failures.ts
 * `stillWanted`): a late retry must never take a caller off the AI into a room nobody is coming
 * to, nor out of the room they are already in.
 */

const hold: CallEffect = { type: 'transfer', transferId: T1, effect: { type: 'caller.hold' } };

const failed = (attempt: number, effect: CallEffect = hold): CallInput => ({
  type: 'effect.failed',
  effect,
  attempt,
  retryable: true,
  code: 'carrier_error',
  carrierCode: '503',
});

/** The record after a first refusal of the hold: its retry pending. */
function refusedOnce(): { record: CallRecord; retryId: string } {
  const result = reduceCall(RECORDS.warmHeld(), failed(0), reduceContext());
  const pending = result?.record.retries?.find((r) => r.effect.type === 'transfer');
  if (result === null || pending === undefined) throw new Error('no retry scheduled');
  return { record: result.record, retryId: pending.retryId };
}

const retryFired = (record: CallRecord, retryId: string) =>
  reduceCall(record, { type: 'effect.retry', retryId }, reduceContext());

const kinds = (effects: readonly CallEffect[] | undefined): string[] =>
  (effects ?? []).map((e) => (e.type === 'transfer' ? e.effect.type : e.type));

describe('caller.hold refused: retried while its transfer waits for it', () => {
  it('a refusal schedules a retry; the transfer goes on, the caller stays with the paused AI', () => {
    const { record, retryId } = refusedOnce();
    expect(record.transfer?.outcome).toBeNull();
    expect(record.transfer?.flags.callerMoved).toBe(true);
    expect(record.timeline.map((e) => e.event)).toContain('effect.retry_scheduled');
    const fired = retryFired(record, retryId);
    expect(fired?.effects).toEqual([{ type: 'retry', retryId, attempt: 1, effect: hold }]);
    expect(fired?.record.retries).toEqual([]);
  });

  it('the retries spent: the transfer ends carrier_error, the human is canceled, the agent resumes', () => {
    // The executor feeds a retried effect's failure as the effect itself, with its attempt.
    const result = reduceCall(RECORDS.warmHeld(), failed(3), reduceContext());
    expect(result?.record.transfers.at(-1)?.outcome).toBe('carrier_error');
    expect(kinds(result?.effects)).toEqual(
      expect.arrayContaining(['effect.abandoned', 'carrier.cancel', 'agent.resume', 'transfer.ended']),
    );
    // The caller never left the AI: no move back.
    expect(kinds(result?.effects)).not.toContain('caller.to_agent');
  });

  it('the caller reported on hold meanwhile (an earlier attempt took): the pending retry is dropped', () => {
    const { record, retryId } = refusedOnce();
    const held = through(record, transferEvent({ type: 'caller.held' }));
    expect(held.transfer?.flags.callerHeld).toBe(true);
    const fired = retryFired(held, retryId);
    expect(fired?.effects).toEqual([]);
    expect(fired?.record.retries).toEqual([]);
  });

  it('every human failed meanwhile (its only human busy, the carrier asked about the caller): the retry is dropped', () => {
    const { record, retryId } = refusedOnce();
    const failing = through(record, transferEvent({ type: 'leg.ended', legId: LEG0, status: 'busy' }));
    expect(failing.transfer?.flags.returning).toEqual({ outcome: 'busy', carrierCode: null });
    expect(retryFired(failing, retryId)?.effects).toEqual([]);
    // …and once the transfer is over, too.
    const over = through(failing, transferEvent({ type: 'caller.present' }));
    expect(over.transfers.at(-1)?.outcome).toBe('busy');
    expect(retryFired(over, retryId)?.effects).toEqual([]);
  });

  it('a refusal after the caller was reported on hold: moot, no alert, no transfer change', () => {
    const held = through(RECORDS.warmHeld(), transferEvent({ type: 'caller.held' }));
    const result = reduceCall(held, failed(0), reduceContext());
    expect(result?.effects).toEqual([]);
    expect(result?.record.transfer).toEqual(held.transfer);
    expect(result?.record.timeline.at(-1)?.event).toBe('effect.moot');
  });

  it('a refusal for an earlier transfer of the call: moot', () => {
    const stale: CallEffect = { type: 'transfer', transferId: `${T1}-old`, effect: { type: 'caller.hold' } };
    const result = reduceCall(RECORDS.warmHeld(), failed(0, stale), reduceContext());
    expect(result?.effects).toEqual([]);
    expect(result?.record.retries ?? []).toEqual([]);
    expect(result?.record.timeline.at(-1)?.event).toBe('effect.moot');
  });

  it('the call over meanwhile: the retry is dropped', () => {
    const { record, retryId } = refusedOnce();
    const ended = through(record, { type: 'call.ended' });
    expect(retryFired(ended, retryId)?.effects ?? []).toEqual([]);
  });
});
