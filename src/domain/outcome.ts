/**
 * Typed results (DESIGN.md invariant 7). Every transfer ends with exactly one
 * {@link TransferOutcome}; every call ends with exactly one {@link EndedReason}.
 */

/** How one transfer attempt (the whole destination chain) ended. */
export const TRANSFER_OUTCOMES = [
  'connected',
  'busy',
  'no_answer',
  'failed',
  'canceled',
  'declined',
  'caller_hangup',
  'human_hangup',
  'destination_not_allowed',
  'after_hours',
  'missing_transfer_number',
  'missing_outbound_number',
  'carrier_error',
  /** An answering machine took the human's leg (carrier answering-machine detection). */
  'voicemail',
] as const;
export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/** Outcomes that leave the caller talking to the AI again (invariant 4). */
export const FAILED_OUTCOMES: ReadonlySet<TransferOutcome> = new Set<TransferOutcome>([
  'voicemail',
  'busy',
  'no_answer',
  'failed',
  'canceled',
  'declined',
  'human_hangup',
  'destination_not_allowed',
  'after_hours',
  'missing_transfer_number',
  'missing_outbound_number',
  'carrier_error',
]);

/** Why a call ended, recorded once on the call record as `endedReason`. */
export const ENDED_REASONS = [
  'transferred',
  'caller_hangup',
  'agent_hangup',
  'human_hangup',
  'no_response',
  /** A call the daemon placed (`POST /v1/calls`) was not answered: busy, no answer, failed. */
  'no_answer',
  /** The daemon (or the carrier fetching its markup) failed, not the caller. */
  'error',
] as const;
export type EndedReason = (typeof ENDED_REASONS)[number];

/** Outcome of a single dialed leg, as reported by the carrier and normalized by its adapter. */
export type LegEndStatus = 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled' | 'declined';

/**
 * Transfer mode: the name of a mode in the registry (src/transfer/modes.ts), e.g. `cold` (the
 * carrier dials, the AI steps out) or `warm` (conference, whisper, join). Inputs are checked
 * against the registry where they enter (agent protocol, API, agents file).
 */
export type TransferMode = string;
