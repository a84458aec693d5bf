import type { Carrier } from '../domain/carrier.js';
import type { EndedReason, TransferMode, TransferOutcome } from '../domain/outcome.js';
import type { TransferState } from '../transfer/machine.js';
import type { TimelineEntry } from '../transfer/machine-types.js';
import type { PlanRefusal, TransferTriggerType } from '../transfer/plan-types.js';
import type { PendingRetry } from './effect-failures.js';

/**
 * Where the caller is right now, as far as the call is concerned.
 * - `ai`: talking to the agent (or about to, between streams).
 * - `transferring`: a transfer machine is running.
 * - `human`: a transfer connected; the AI has left.
 * - `ended`: the call is over; `endedReason` is set.
 */
export type CallPhase = 'ai' | 'transferring' | 'human' | 'ended';

/** One finished or running transfer, as listed by the calls API. No phone numbers. */
export interface TransferAttemptSummary {
  readonly transferId: string;
  readonly mode: TransferMode;
  readonly trigger: TransferTriggerType;
  /** How many destinations the chain had. */
  readonly chainLength: number;
  readonly startedAtMs: number;
  readonly endedAtMs?: number;
  readonly outcome?: TransferOutcome;
  readonly carrierCode?: string;
  /**
   * With `caller_hangup` or `human_hangup` on a carrier that plays the whisper to the human itself
   * and reports nothing at the bridge (Exotel): the one who hung up did so after the whisper could
   * have ended, so the two may have talked. Not known; absent when they certainly had not.
   */
  readonly bridge?: 'unconfirmed';
}

/** Why a transfer request was refused: by the plan, or because of where the call is. */
export type RefusalReason =
  | PlanRefusal
  | 'transfer_in_progress'
  | 'call_not_active'
  /** Seed 003: `connect_to_live_agent` on a lead placed without `lead.outbound_number_id`. */
  | 'missing_outbound_number_id';

/** Seed 003's lead, for a call placed with `POST /v1/calls { lead }`. */
export interface LeadInfo {
  /** The number the lead was called from (`lead.outbound_number_id`); absent when not given. */
  readonly outboundNumberId?: string;
}

/**
 * A refused transfer request: it never started. With `transfer_in_progress` the running
 * transfer goes on; otherwise the caller stayed where they were.
 */
export interface TransferRefusalSummary {
  readonly atMs: number;
  readonly trigger: TransferTriggerType;
  readonly refusal: RefusalReason;
  readonly detail: string;
}

/** A call-level timeline line (transfer machines keep their own, finer timeline). */
export interface CallTimelineEntry {
  readonly atMs: number;
  readonly event: string;
  readonly detail?: string;
}

/**
 * Everything the daemon knows about one call, saved in the store with a version.
 * `callId` is the carrier's own id for the caller's call (Twilio CallSid, Plivo CallUUID,
 * Exotel CallSid): every carrier webhook carries it, so any worker can find the record.
 */
export interface CallRecord {
  readonly callId: string;
  readonly carrier: Carrier;
  readonly agentId: string;
  /** Published agent-configuration version the call started with. */
  readonly agentVersion: number;
  readonly direction: 'inbound' | 'outbound';
  /** Phone numbers live only here and under `pii.*` log keys. */
  readonly pii: { readonly from: string; readonly to: string };
  readonly phase: CallPhase;
  /** The running (or last) transfer machine's state. */
  readonly transfer: TransferState | null;
  /** Carrier ids of the legs dialed toward humans, by leg id (for cancelling them). */
  readonly legCarrierIds: Readonly<Record<string, string>>;
  readonly transfers: readonly TransferAttemptSummary[];
  readonly refusals: readonly TransferRefusalSummary[];
  readonly timeline: readonly CallTimelineEntry[];
  readonly createdAtMs: number;
  readonly endedAtMs?: number;
  readonly endedReason?: EndedReason;
  /**
   * A call the daemon placed whose carrier names it by another id once answered (Plivo: the
   * create's `request_uuid`, then the `CallUUID`): the record the call went on under. This one
   * is closed; the API follows it.
   */
  readonly boundTo?: string;
  /** Present when the call was placed for a seed 003 lead (`POST /v1/calls` with `lead`). */
  readonly lead?: LeadInfo;
  /** Effects waiting for a durable retry (effect-failures.ts); absent when none ever failed. */
  readonly retries?: readonly PendingRetry[];
  /** Retries ever scheduled on this call (ids them). */
  readonly retryCount?: number;
  /**
   * The transfer whose `resume` the agent was last told, by whichever worker: a caller's stream
   * that joins with a failed transfer's `resume` still owed tells it then (media-sessions.ts).
   */
  readonly resumeTold?: string;
  /**
   * The first leg of a transfer that dials from the caller's own call, once a dial for it was
   * sent to that call, and how: as a webhook's answer or as a REST command. The first to claim
   * it sends it; the other way does not, so the caller is not moved into the same dial twice
   * (a second `<Dial>` cancels the first and rings the human again, soak seed 5048).
   */
  readonly callerDial?: {
    readonly legId: string;
    readonly via: 'webhook' | 'rest';
    /** When it was claimed (absent in records saved before it was kept). */
    readonly atMs?: number;
  };
}

/** Caps keep one call's record small however long it runs (timelines are for people to read). */
export const MAX_CALL_TIMELINE = 200;
export const MAX_TRANSFERS_PER_CALL = 20;

export interface NewCallInput {
  readonly callId: string;
  readonly carrier: Carrier;
  readonly agentId: string;
  readonly agentVersion: number;
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
  readonly nowMs: number;
  readonly lead?: LeadInfo;
}

export function newCallRecord(input: NewCallInput): CallRecord {
  return {
    callId: input.callId,
    carrier: input.carrier,
    agentId: input.agentId,
    agentVersion: input.agentVersion,
    direction: input.direction,
    pii: { from: input.from, to: input.to },
    phase: 'ai',
    transfer: null,
    legCarrierIds: {},
    transfers: [],
    refusals: [],
    timeline: [{ atMs: input.nowMs, event: 'call.started' }],
    createdAtMs: input.nowMs,
    ...(input.lead === undefined ? {} : { lead: input.lead }),
  };
}

export function withTimeline(record: CallRecord, entry: CallTimelineEntry): CallRecord {
  const timeline = [...record.timeline, entry];
  if (timeline.length > MAX_CALL_TIMELINE) timeline.splice(1, timeline.length - MAX_CALL_TIMELINE);
  return { ...record, timeline };
}

/** The transfer machine timeline of every transfer is kept inside its state; this merges for display. */
export function transferTimeline(record: CallRecord): readonly TimelineEntry[] {
  return record.transfer?.timeline ?? [];
}

/** The `resume` the agent is owed: the last transfer failed and nobody has told the agent yet. */
export function owedResume(
  record: CallRecord,
  toldHere: ReadonlySet<string> = new Set(),
):
  | { readonly transferId: string; readonly outcome: TransferOutcome; readonly carrierCode?: string }
  | undefined {
  if (record.phase !== 'ai') return undefined;
  const last = record.transfers.at(-1);
  if (last === undefined || last.outcome === undefined || last.outcome === 'connected') return undefined;
  if (record.resumeTold === last.transferId || toldHere.has(last.transferId)) return undefined;
  return {
    transferId: last.transferId,
    outcome: last.outcome,
    ...(last.carrierCode === undefined ? {} : { carrierCode: last.carrierCode }),
  };
}
