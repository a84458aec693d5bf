import type { Carrier } from '../../domain/carrier.js';
import type { TransferOutcome } from '../../domain/outcome.js';
import type { AgentDirectory } from '../../runtime/agent-directory.js';
import type { CallPhase, CallRecord, LeadInfo } from '../../runtime/call-record.js';
import type { CallEffect } from '../../runtime/call-reducer.js';
import type { DestinationLookups } from '../../runtime/destination-lookup.js';
import type { CallEngine } from '../../runtime/engine.js';
import type { TransferTrigger } from '../../transfer/plan-types.js';

/** `POST /v1/calls/{id}/transfer` as a trigger (plan-types.ts). */
export type ApiTransferTrigger = Extract<TransferTrigger, { type: 'api' }>;

/** Why the engine refused a transfer request: a plan refusal, or the call's state. */
export type TransferRefusal = Extract<CallEffect, { type: 'transfer.refused' }>['refusal'];

export type TransferRequestResult =
  | { readonly status: 'accepted'; readonly transferId: string }
  | { readonly status: 'refused'; readonly refusal: TransferRefusal; readonly detail: string }
  /** The same `Idempotency-Key` was applied before; nothing new happened. */
  | { readonly status: 'duplicate'; readonly transferId: string | null }
  | { readonly status: 'not_found' };

export type CancelResult =
  | { readonly status: 'canceled'; readonly transferId: string }
  /** No transfer is running (none yet, or it already ended with `outcome`). */
  | {
      readonly status: 'no_transfer';
      readonly phase: CallPhase;
      readonly transferId: string | null;
      readonly outcome: TransferOutcome | null;
    }
  | { readonly status: 'not_found' };

/** An outbound call from an agent to a lead, checked by the API (agent published, numbers E.164). */
export interface OutboundRequest {
  readonly agentId: string;
  /** The published version the call will run. */
  readonly agentVersion: number;
  readonly carrier: Carrier;
  /** The lead, E.164 or SIP URI. PII. */
  readonly to: string;
  /** Caller ID, E.164 (the agent's `outboundNumber` unless given). */
  readonly from: string;
  /** Seed 003's lead, when the request named one. */
  readonly lead?: LeadInfo;
}

export type OutboundResult =
  | { readonly status: 'started'; readonly callId: string }
  /** Refused before dialing (e.g. `carrier_not_configured`): 422. */
  | { readonly status: 'refused'; readonly code: string; readonly detail: string }
  /** The carrier refused or failed (`carrier_error`): 502. */
  | { readonly status: 'failed'; readonly code: string; readonly detail: string }
  | { readonly status: 'not_implemented'; readonly detail: string };

/**
 * What the /v1 API needs of the runtime: read calls, and feed API triggers through the engine
 * like any other call input (so the planner, the destination policy and the version check
 * apply). Implemented over the engine by {@link engineCallsPort}.
 */
export interface CallsPort {
  get(callId: string): Promise<CallRecord | undefined>;
  /** Ended calls of an agent, newest first, ended at or after `sinceMs`. */
  listEnded(
    agentId: string,
    options: { readonly sinceMs?: number; readonly limit: number },
  ): Promise<readonly CallRecord[]>;
  /** Calls not ended, oldest first. */
  listActive(limit: number): Promise<readonly CallRecord[]>;
  requestTransfer(
    callId: string,
    trigger: ApiTransferTrigger,
    options?: { readonly reason?: string; readonly idempotencyKey?: string },
  ): Promise<TransferRequestResult>;
  /** Cancels the running transfer (`transfer.cancel` by `api`): the caller goes back to the AI. */
  cancelTransfer(callId: string, options?: { readonly idempotencyKey?: string }): Promise<CancelResult>;
  startOutbound(request: OutboundRequest): Promise<OutboundResult>;
}

export interface EngineCallsPortOptions {
  readonly engine: CallEngine;
  /** Places outbound calls; absent → `not_implemented`. */
  readonly startOutbound?: (request: OutboundRequest) => Promise<OutboundResult>;
  /** Skills' lookup webhooks, with the agent versions calls run (a `skill` request may need one). */
  readonly lookups?: { readonly service: DestinationLookups; readonly agents: AgentDirectory };
}

/** The {@link CallsPort} over the call engine and its store. */
export function engineCallsPort(options: EngineCallsPortOptions): CallsPort {
  const { engine } = options;
  /** A skill whose destination is looked up gets its answer first (bounded by the lookup's timeout). */
  const withLookup = async (callId: string, trigger: ApiTransferTrigger): Promise<ApiTransferTrigger> => {
    const lookups = options.lookups;
    if (lookups === undefined || trigger.skill === undefined) return trigger;
    const record = await engine.get(callId);
    if (record === undefined || record.phase !== 'ai') return trigger;
    const published = await lookups.agents.get(record.agentId, record.agentVersion);
    if (published === undefined || !lookups.service.wants(published.agent, trigger)) return trigger;
    const resolved = await lookups.service.resolve(published.agent, trigger, record, trigger.message);
    return resolved.type === 'api' ? resolved : trigger;
  };
  return {
    async get(callId) {
      const record = await engine.get(callId);
      // A placed call answered under the carrier's new id (Plivo): the call went on there.
      if (record?.boundTo === undefined) return record;
      return (await engine.get(record.boundTo)) ?? record;
    },
    async listEnded(agentId, { sinceMs, limit }) {
      const stored = await engine.store.calls.listByAgent(agentId, {
        limit,
        ...(sinceMs === undefined ? {} : { sinceMs }),
      });
      return stored.map((s) => s.record).filter((r) => r.boundTo === undefined);
    },
    async listActive(limit) {
      return (await engine.store.calls.listActive({ limit })).map((s) => s.record);
    },
    async requestTransfer(callId, asked, opts = {}) {
      const trigger = await withLookup(callId, asked);
      const outcome = await engine.dispatch(
        callId,
        { type: 'transfer.request', trigger, ...(opts.reason === undefined ? {} : { reason: opts.reason }) },
        opts.idempotencyKey === undefined ? undefined : `api:transfer:${opts.idempotencyKey}`,
      );
      if (outcome.status === 'missing') return { status: 'not_found' };
      if (outcome.status === 'duplicate') {
        return { status: 'duplicate', transferId: outcome.record?.transfer?.transferId ?? null };
      }
      for (const effect of outcome.effects) {
        if (effect.type === 'transfer.accepted') return { status: 'accepted', transferId: effect.transferId };
        if (effect.type === 'transfer.refused') {
          return { status: 'refused', refusal: effect.refusal, detail: effect.detail };
        }
      }
      // The reducer changed nothing: the call is over.
      return { status: 'refused', refusal: 'call_not_active', detail: 'the call has ended' };
    },
    async cancelTransfer(callId, opts = {}) {
      const record = await engine.get(callId);
      if (record === undefined) return { status: 'not_found' };
      const running = record.transfer;
      if (record.phase !== 'transferring' || running === null || running.outcome !== null) {
        return noTransfer(record);
      }
      const outcome = await engine.dispatch(
        callId,
        {
          type: 'transfer.event',
          transferId: running.transferId,
          event: { type: 'transfer.cancel', by: 'api' },
        },
        opts.idempotencyKey === undefined ? undefined : `api:cancel:${opts.idempotencyKey}`,
      );
      const after = outcome.record ?? (await engine.get(callId));
      if (after === undefined) return { status: 'not_found' };
      const t = after.transfer;
      if (t !== null && t.transferId === running.transferId && t.outcome === 'canceled') {
        return { status: 'canceled', transferId: t.transferId };
      }
      return noTransfer(after);
    },
    startOutbound:
      options.startOutbound ??
      (async () => ({
        status: 'not_implemented',
        detail: 'outbound calls are not available in this build',
      })),
  };
}

function noTransfer(record: CallRecord): CancelResult {
  return {
    status: 'no_transfer',
    phase: record.phase,
    transferId: record.transfer?.transferId ?? null,
    outcome: record.transfer?.outcome ?? null,
  };
}
