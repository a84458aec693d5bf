import type { CallStatus, CarrierEvent } from '../types.js';

/**
 * Events about the caller's own call, built from a carrier's callback ids. Dedupe keys are
 * `{carrier}:{kind}:{carrierCallId}:…`, so the same news from two webhooks applies once.
 */

type CallEvent<T extends string> = Extract<CarrierEvent, { type: T }>;

/** A new call, keyed by the carrier's call id alone. */
export function callIncoming(
  carrier: string,
  carrierCallId: string,
  from: string,
  to: string,
  direction: 'inbound' | 'outbound',
): CallEvent<'call.incoming'> {
  return {
    type: 'call.incoming',
    dedupeKey: `${carrier}:incoming:${carrierCallId}`,
    carrierCallId,
    from,
    to,
    direction,
  };
}

/**
 * The carrier ran off the end of a document and asks what next (invariant 1). `step` (the
 * daemon's `seq`, or the carrier's own marker) tells one call's continuations apart.
 */
export function continuation(
  carrier: string,
  carrierCallId: string,
  step: string,
  callId: string,
  transferId: string | undefined,
): CallEvent<'stream.continuation'> {
  return {
    type: 'stream.continuation',
    dedupeKey: `${carrier}:continuation:${carrierCallId}:${step}`,
    carrierCallId,
    callId,
    ...(transferId === undefined ? {} : { transferId }),
  };
}

/**
 * A call reaches each status once, so the status itself dedupes callbacks from any source.
 * `durationSec` is the carrier's decimal string of seconds, when it sent one.
 */
export function callStatus(
  carrier: string,
  carrierCallId: string,
  status: CallStatus,
  callId: string | undefined,
  durationSec?: string,
): CallEvent<'call.status'> {
  return {
    type: 'call.status',
    dedupeKey: `${carrier}:call:${carrierCallId}:${status}`,
    carrierCallId,
    ...(callId === undefined ? {} : { callId }),
    status,
    ...(durationSec === undefined ? {} : { durationSec: Number(durationSec) }),
  };
}
