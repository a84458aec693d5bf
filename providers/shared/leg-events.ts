import type { LegEndStatus } from '../../src/domain/outcome.js';
import type { AnsweredBy, CarrierEvent } from '../types.js';

/**
 * Leg events built from a carrier's callback ids. A leg reaches each phase (ringing, answered,
 * ended) once, so its dedupe key is `{carrier}:leg:{carrierCallId}:{phase}` — the same whichever
 * webhook brought the news, so two sources of one fact apply once.
 */

/** The leg a callback is about: `transferId`/`legId` are absent when a fixed flow dialed it. */
export interface LegRef {
  readonly callId: string;
  readonly transferId?: string;
  readonly legId?: string;
}

type LegEvent<T extends string> = Extract<CarrierEvent, { type: T }>;

export function legKey(carrier: string, carrierCallId: string, phase: string): string {
  return `${carrier}:leg:${carrierCallId}:${phase}`;
}

export function legRinging(carrier: string, carrierCallId: string, ids: LegRef): LegEvent<'leg.ringing'> {
  return { type: 'leg.ringing', dedupeKey: legKey(carrier, carrierCallId, 'ringing'), ...ids, carrierCallId };
}

export function legAnswered(
  carrier: string,
  carrierCallId: string,
  ids: LegRef,
  answeredBy?: AnsweredBy,
): LegEvent<'leg.answered'> {
  return {
    type: 'leg.answered',
    dedupeKey: legKey(carrier, carrierCallId, 'answered'),
    ...ids,
    carrierCallId,
    ...(answeredBy === undefined ? {} : { answeredBy }),
  };
}

/** A placed leg's `initiated` news: nothing to act on, but deduped like the others. */
export function legInitiated(carrier: string, carrierCallId: string): LegEvent<'event.ignored'> {
  return {
    type: 'event.ignored',
    dedupeKey: legKey(carrier, carrierCallId, 'initiated'),
    detail: 'leg.initiated',
  };
}

/** The carrier's detail code is kept only for a leg that did not complete. */
export function legEnded(
  dedupeKey: string,
  ids: LegRef,
  carrierCallId: string | undefined,
  status: LegEndStatus,
  carrierCode?: string,
): LegEvent<'leg.ended'> {
  return {
    type: 'leg.ended',
    dedupeKey,
    ...ids,
    ...(carrierCallId === undefined ? {} : { carrierCallId }),
    status,
    ...(status !== 'completed' && carrierCode !== undefined ? { carrierCode } : {}),
  };
}
