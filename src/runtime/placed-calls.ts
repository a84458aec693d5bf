import type { CallStatus, CarrierEvent } from '../../providers/types.js';
import type { Store } from '../store/types.js';
import type { CallRecord } from './call-record.js';
import type { CallEndStatus, CallInput } from './call-reducer.js';
import type { CallDispatcher } from './engine.js';

/**
 * Calls the daemon places (`POST /v1/calls`) and how their carrier's reports find them:
 *
 * - A carrier may name the answered call by a new id (Plivo: the create answers `request_uuid`,
 *   the answer webhook brings `CallUUID` plus `RequestUUID`): the call goes on under the new id,
 *   and the placement record closes pointing to it (`boundTo`).
 * - A create's callbacks may overtake its REST answer (Twilio documents it: protocols.md,
 *   corrections): a lead whose line fails at once is over before the record exists. Both sides
 *   claim one key; whichever comes second ends the record. So a placed call never stays live for
 *   want of the one callback that would have ended it.
 */

/** How long an early end is remembered: longer than any create takes to answer. */
const EARLY_END_TTL_MS = 10 * 60_000;

function earlyEndKey(callId: string): string {
  return `early-end:${callId}`;
}

/** The daemon just recorded `callId`. Returns true when the carrier had already said it ended. */
export async function endedBeforeRecorded(store: Store<CallRecord>, callId: string): Promise<boolean> {
  return !(await store.dedupe.claim(earlyEndKey(callId), { callId, ttlMs: EARLY_END_TTL_MS }));
}

/**
 * The carrier says a call ended (`call.status`): the call's record ends, and so does the record
 * of a placement never bound to it. An end for a call not recorded yet is remembered, and applied
 * at once if the record appeared meanwhile.
 */
export async function applyCallEnd(
  engine: CallDispatcher,
  event: Extract<CarrierEvent, { type: 'call.status' }>,
  status: CallEndStatus,
): Promise<void> {
  // Only a callback that names no call of ours in its URL can be a placed call's (their status
  // URL carries no id); one that does and finds nothing is about no call, and changes nothing.
  const placed = event.callId === undefined;
  await end(engine, event.callId ?? event.carrierCallId, status, event.dedupeKey, placed);
  if (event.placementId !== undefined && placed) {
    await end(engine, event.placementId, status, `${event.dedupeKey}:placement`, true);
  }
}

async function end(
  engine: CallDispatcher,
  callId: string,
  status: CallEndStatus,
  key: string,
  mayBePlaced: boolean,
): Promise<void> {
  const input: CallInput = { type: 'call.ended', status };
  const outcome = await engine.dispatch(callId, input, key);
  if (outcome.status !== 'missing' || !mayBePlaced) return;
  const recordedMeanwhile = !(await engine.store.dedupe.claim(earlyEndKey(callId), {
    callId,
    ttlMs: EARLY_END_TTL_MS,
  }));
  if (recordedMeanwhile) await engine.dispatch(callId, input, key);
}

/**
 * A placed call answered under a new carrier id: its record under that id (made from the
 * placement's), or `gone` when the placement already ended (the lead is hung up on), or
 * undefined when `placementId` names no placement (an ordinary new call then).
 */
export async function bindPlaced(
  engine: CallDispatcher,
  carrierCallId: string,
  placementId: string,
): Promise<{ readonly record: CallRecord; readonly created: boolean } | 'gone' | undefined> {
  const placement = await engine.get(placementId);
  if (placement === undefined || placement.direction !== 'outbound') return undefined;
  if (placement.phase !== 'ai' && placement.boundTo !== carrierCallId) return 'gone';
  const { created, record } = await engine.createCall({
    callId: carrierCallId,
    carrier: placement.carrier,
    agentId: placement.agentId,
    agentVersion: placement.agentVersion,
    direction: 'outbound',
    from: placement.pii.from,
    to: placement.pii.to,
    ...(placement.lead === undefined ? {} : { lead: placement.lead }),
  });
  await engine.dispatch(placementId, { type: 'call.bound', carrierCallId }, `bound:${placementId}`);
  return { record, created };
}

/** The final status of a call that ended, or undefined while it goes on. */
export function endStatus(status: CallStatus): CallEndStatus | undefined {
  switch (status) {
    case 'completed':
    case 'busy':
    case 'failed':
    case 'no_answer':
    case 'canceled':
      return status;
    default:
      return undefined;
  }
}
