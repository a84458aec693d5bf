import type { Store } from '../store/types.js';
import type { CallRecord } from './call-record.js';

/**
 * A call's end that arrived before the daemon had recorded the call. A call the daemon places is
 * recorded once the carrier's create has answered, and the carrier's status callbacks may
 * overtake that answer (Twilio documents it: protocols.md, corrections) — a lead whose line
 * fails at once is over before the record exists. Both sides claim the same key: whichever
 * comes second learns the other was first and ends the record, so a placed call never stays
 * live for want of the one callback that would have ended it.
 */

/** How long an early end is remembered: longer than any create takes to answer. */
const EARLY_END_TTL_MS = 10 * 60_000;

function key(callId: string): string {
  return `early-end:${callId}`;
}

/**
 * The carrier says `callId` ended and no record exists. Returns true when the record was created
 * meanwhile (its creator claimed first): the end must be applied to it now.
 */
export async function noteEarlyEnd(store: Store<CallRecord>, callId: string): Promise<boolean> {
  return !(await store.dedupe.claim(key(callId), { callId, ttlMs: EARLY_END_TTL_MS }));
}

/** The daemon just recorded `callId`. Returns true when the carrier had already said it ended. */
export async function endedBeforeRecorded(store: Store<CallRecord>, callId: string): Promise<boolean> {
  return !(await store.dedupe.claim(key(callId), { callId, ttlMs: EARLY_END_TTL_MS }));
}
