import type { AgentConfig } from '../config/agent-types.js';
import type { EndedReason, TransferMode } from '../domain/outcome.js';
import type { TransferState } from '../transfer/machine.js';
import type { TransferEffect, TransferEvent } from '../transfer/machine-types.js';
import type { CarrierCapability, ModeRegistry, TransferModeDescriptor } from '../transfer/mode.js';
import { TRANSFER_MODES } from '../transfer/modes.js';
import { planTransfer } from '../transfer/plan.js';
import type { TransferPlan, TransferTrigger } from '../transfer/plan-types.js';
import { CONNECT_TO_LIVE_AGENT_TOOL } from '../transfer/tools.js';
import {
  type CallRecord,
  type CallTimelineEntry,
  MAX_TRANSFERS_PER_CALL,
  type RefusalReason,
  type TransferAttemptSummary,
  withTimeline,
} from './call-record.js';
import { checkCallAt, reduceEffectFailed, reduceEffectRetry, retriesAtEnd } from './effect-failures.js';
import { dropGuard, withGuards } from './effect-guards.js';

/**
 * Call-level events. Carrier webhooks, media sockets, agent messages, timers and the API all
 * become one of these before they touch a call record.
 */
export type CallInput =
  | {
      readonly type: 'transfer.request';
      readonly trigger: TransferTrigger;
      readonly reason?: string;
      /** The tool call (or request) to answer with `tool_result`. */
      readonly requestId?: string;
      /** Mode chosen by the asker (a registry name); default the agent's (`handoffConfig.mode`). */
      readonly mode?: TransferMode;
      /** A summary the agent already wrote: the warm whisper, without asking again. */
      readonly summary?: string;
      /** The LLM tool that asked (e.g. `connect_to_live_agent`), when a tool call did. */
      readonly tool?: string;
    }
  | {
      readonly type: 'transfer.event';
      readonly transferId: string;
      readonly event: TransferEvent;
      /** The carrier's id of the leg the event is about, learned from this very webhook. */
      readonly bind?: { readonly legId: string; readonly carrierLegId: string };
    }
  /** The carrier told us the id of a leg we dialed (needed to cancel it later). */
  | { readonly type: 'leg.bound'; readonly legId: string; readonly carrierLegId: string }
  /**
   * The caller's own call ended (carrier status `completed` or equivalent). `status`: the
   * carrier's final status, when it said (`busy`, `no_answer`… for a call that never connected).
   */
  | {
      readonly type: 'call.ended';
      readonly status?: CallEndStatus;
      /**
       * How the daemon learned it: the carrier's status callback (absent), or the carrier's answer
       * to the liveness check (`status_check`, liveness.ts) when that callback never came.
       */
      readonly via?: 'status_check';
    }
  /**
   * A call the daemon placed was answered under another carrier id (Plivo `CallUUID` after the
   * create's `request_uuid`): the call goes on under that id; this record closes and points to it.
   */
  | { readonly type: 'call.bound'; readonly carrierCallId: string }
  /**
   * A line for the call's timeline from outside the call's state machines: the carrier asked a
   * fallback URL (`markup.failed`), a caller ID was replaced (`caller_id.fallback`).
   */
  | { readonly type: 'call.note'; readonly event: CallNoteEvent; readonly detail?: string }
  /** The agent was told `resume` for this transfer (by the worker holding its socket). */
  | { readonly type: 'agent.resumed'; readonly transferId: string }
  /** A dial for `legId` is being sent to the caller's own call (`callerDial`); unchanged if one already was. */
  | { readonly type: 'caller.dial_sent'; readonly legId: string; readonly via: 'webhook' | 'rest' }
  /** The agent closed its socket normally: it hung up. */
  | { readonly type: 'agent.hangup'; readonly reason?: string }
  /** The agent socket failed twice; send the caller to the default destination if there is one. */
  | { readonly type: 'agent.failed' }
  /** The caller said nothing for `callControl.noResponseTimeoutSec`. */
  | { readonly type: 'caller.silent' }
  /**
   * The caller's stream to the AI closed and nothing of the daemon's closed or moved it, and no
   * news of the call followed: the caller may have hung up with their status callback lost. The
   * carrier is asked now (`call.check`), not at the next liveness sweep.
   */
  | { readonly type: 'stream.lost' }
  /** An effect failed (effect-failures.ts decides: a durable retry, or what the machine does). */
  | {
      readonly type: 'effect.failed';
      readonly effect: CallEffect;
      /** Retries already made (0: the first run failed). */
      readonly attempt: number;
      readonly retryable: boolean;
      /** `DaemonError.code` of the failure. */
      readonly code?: string;
      readonly carrierCode?: string;
      /** The carrier answered that the call the command was for is over (`call_gone`). */
      readonly callGone?: boolean;
    }
  /** A pending retry's timer fired. */
  | { readonly type: 'effect.retry'; readonly retryId: string }
  /** A guarded effect ran (effect-guards.ts): its guard is no longer needed. */
  | { readonly type: 'effect.done'; readonly retryId: string };

/**
 * How long a dial claimed for a REST command may take to reach the caller's call. The carrier's
 * continuation asked meanwhile waits and asks again (webhooks.ts); after it, it sends the dial.
 */
export const REST_DIAL_LANDS_MS = 5_000;

/** How a call that never connected ended, as the carrier's final status says. */
export type CallEndStatus = 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled';

/**
 * Notes the runtime adds to a call's timeline. `markup.failed`: the carrier could not get or run
 * the daemon's markup and asked the fallback URL; until the daemon serves the call again
 * (`markup.recovered`), its end is the daemon's failure (`error`), not the caller's hang-up.
 */
export type CallNoteEvent =
  | 'markup.failed'
  | 'markup.recovered'
  | 'caller_id.fallback'
  /** A transfer's caller message had no voice: the carrier cannot speak to the caller, the bot was not asked. */
  | 'caller_message.unspoken'
  /** A live caller found off the AI's stream while they belong with the AI: moved back to it. */
  | 'caller.restored'
  /** The carrier answered a command with an error, yet did what it asked (a dial that went on). */
  | 'carrier.error_after_work';

/** Effects of the call level. Transfer effects are tagged with their transfer. */
export type CallEffect =
  | {
      readonly type: 'transfer';
      readonly transferId: string;
      readonly effect: TransferEffect;
      /** The pending retry guarding it (effect-guards.ts), when it is guarded. */
      readonly guardId?: string;
    }
  /** Watch the agent's audio queue: when what is queued has played, feed `handoff.played`. */
  | { readonly type: 'handoff.watch'; readonly transferId: string }
  | { readonly type: 'transfer.accepted'; readonly transferId: string; readonly requestId?: string }
  | {
      readonly type: 'transfer.refused';
      readonly refusal: RefusalReason;
      readonly detail: string;
      readonly requestId?: string;
    }
  /** End the caller's call (agent hang-up, no-response hang-up). */
  | { readonly type: 'call.hangup'; readonly guardId?: string }
  /**
   * Ask the carrier whether the caller's call is still live: it refused a command on the call as
   * over (`callGone`), or the caller's stream is gone, and the call's end has not been reported
   * since. When the carrier says it is over, the call ends as the liveness check would end it
   * (`call.ended` via `status_check`). `restore`: the caller belongs with the AI and their stream
   * is gone — if the call is live and no stream has come back, they are moved back to the AI.
   */
  | { readonly type: 'call.check'; readonly restore?: true }
  /** The call is over: release sockets, close the agent connection, keep the record for retention. */
  | { readonly type: 'call.finished'; readonly endedReason: EndedReason }
  /** Run `effect` again (a durable retry); `attempt` counts the retries, from 1. */
  | {
      readonly type: 'retry';
      readonly retryId: string;
      readonly attempt: number;
      readonly effect: CallEffect;
    }
  /** Store side: the retry's timer, written in the same commit (commit-changes.ts). */
  | { readonly type: 'retry.schedule'; readonly retryId: string; readonly atMs: number }
  /** Store side: the timer of a retry no longer pending, removed in the same commit. */
  | { readonly type: 'retry.cancel'; readonly retryId: string }
  /** An effect failed for good: log it as an error and count it (the alert). */
  | { readonly type: 'effect.abandoned'; readonly effect: string; readonly code?: string };

export interface ReduceContext {
  readonly nowMs: number;
  readonly agent: AgentConfig;
  readonly defaultRegion: string;
  /**
   * Whether the call's carrier declares a capability (its adapter's `capabilities`); default
   * every one. A mode whose requirements the carrier lacks runs its fallback, and the call's
   * timeline says so (peers.md #2: never degrade silently), or is refused (`mode_unsupported`).
   */
  readonly carrierCan?: (capability: CarrierCapability) => boolean;
  /** The transfer modes; default the daemon's (src/transfer/modes.ts). */
  readonly modes?: ModeRegistry;
  /**
   * Whether the daemon can end a leg the carrier dialed (false where the carrier's own flow owns
   * the dial: `CarrierCapabilities.streamCloseMovesCaller`); default true. See
   * `TransferPlan.ringEndsAtCarrier`.
   */
  readonly cancelsLegs?: boolean;
  /**
   * Whether the carrier accepts the caller's own number as caller ID on a leg dialed inside the
   * call (`dial`) or created by REST (`rest`); default both. Where it does not, the human sees the
   * number the call came in on (outbound: came from), and the call's timeline says so.
   */
  readonly callerNumberAsCallerId?: CallerNumberRule;
}

/** See `CarrierCapabilities.callerNumberAsCallerId` (providers/types.ts). */
export interface CallerNumberRule {
  readonly dial: boolean;
  readonly rest: boolean;
}

export interface ReduceResult {
  readonly record: CallRecord;
  readonly effects: readonly CallEffect[];
}

/**
 * Pure: the new record and the effects, or null when the input changes nothing. The effects that
 * must survive the death of the worker that runs them are guarded (effect-guards.ts).
 */
export function reduceCall(record: CallRecord, input: CallInput, ctx: ReduceContext): ReduceResult | null {
  return withGuards(reduceInput(record, input, ctx), ctx.nowMs);
}

function reduceInput(record: CallRecord, input: CallInput, ctx: ReduceContext): ReduceResult | null {
  // A failure after the end (a hang-up that did not take) is still recorded.
  if (input.type === 'effect.failed')
    return reduceEffectFailed(record, input, ctx.nowMs, (r, id, event) => stepTransfer(r, id, event, ctx));
  // A human's phone still ringing after the caller left is the call's business until it stops.
  if (input.type === 'effect.retry') return reduceEffectRetry(record, input.retryId);
  if (input.type === 'effect.done') {
    const done = dropGuard(record, input.retryId);
    // Its timer goes with it: left, it would fire 3 s later only to find nothing to retry.
    return done === null
      ? null
      : { record: done, effects: [{ type: 'retry.cancel', retryId: input.retryId }] };
  }
  if (record.phase === 'ended') return null;
  switch (input.type) {
    case 'transfer.request':
      return requestTransfer(record, input, ctx);
    case 'transfer.event': {
      // An event for a transfer or leg the call does not have changes nothing: no binding, and
      // (null) no dedupe key claimed.
      if (!hasTransferLeg(record, input.transferId, input.bind?.legId)) return null;
      const bound =
        input.bind === undefined ? record : bindLeg(record, input.bind.legId, input.bind.carrierLegId);
      const stepped = stepTransfer(bound, input.transferId, input.event, ctx);
      if (stepped !== null) return stepped;
      return bound === record ? null : { record: bound, effects: [] };
    }
    case 'leg.bound': {
      const bound = bindLeg(record, input.legId, input.carrierLegId);
      return bound === record ? null : { record: bound, effects: [] };
    }
    case 'call.ended':
      return endCall(record, input.status, ctx, input.via);
    case 'call.bound':
      if (record.phase !== 'ai' || record.direction !== 'outbound') return null;
      return {
        record: withTimeline(
          { ...record, phase: 'ended', endedAtMs: ctx.nowMs, boundTo: input.carrierCallId },
          { atMs: ctx.nowMs, event: 'call.bound', detail: input.carrierCallId },
        ),
        effects: [],
      };
    case 'call.note':
      return {
        record: withTimeline(record, {
          atMs: ctx.nowMs,
          event: input.event,
          ...(input.detail === undefined ? {} : { detail: input.detail }),
        }),
        effects: [],
      };
    case 'agent.resumed':
      if (record.resumeTold === input.transferId) return null;
      return { record: { ...record, resumeTold: input.transferId }, effects: [] };
    case 'caller.dial_sent': {
      const claim = record.callerDial;
      // A REST dial still unseen after REST_DIAL_LANDS_MS never went (its worker died): the
      // carrier's next ask sends it instead.
      const restLost =
        claim?.via === 'rest' &&
        input.via === 'webhook' &&
        ctx.nowMs - (claim.atMs ?? 0) >= REST_DIAL_LANDS_MS;
      if (claim?.legId === input.legId && !restLost) return null;
      return {
        record: { ...record, callerDial: { legId: input.legId, via: input.via, atMs: ctx.nowMs } },
        effects: [],
      };
    }
    case 'agent.hangup':
      if (record.phase !== 'ai') return null;
      return finish(withTimeline(record, { atMs: ctx.nowMs, event: 'agent.hangup' }), 'agent_hangup', ctx, [
        { type: 'call.hangup' },
      ]);
    case 'agent.failed':
      if (record.phase !== 'ai') return null;
      if (ctx.agent.handoffConfig.transferDestination === undefined) {
        return finish(withTimeline(record, { atMs: ctx.nowMs, event: 'agent.failed' }), 'error', ctx, [
          { type: 'call.hangup' },
        ]);
      }
      return requestTransfer(
        withTimeline(record, { atMs: ctx.nowMs, event: 'agent.failed' }),
        { type: 'transfer.request', trigger: { type: 'default' }, reason: 'agent connection failed' },
        ctx,
      );
    case 'caller.silent':
      return callerSilent(record, ctx);
    case 'stream.lost':
      if (record.phase !== 'ai') return null;
      return checkCallAt(withTimeline(record, { atMs: ctx.nowMs, event: 'stream.lost' }), ctx.nowMs, true);
  }
}

/** Whether `transferId` is the call's current transfer and, when given, `legId` one of its legs. */
function hasTransferLeg(record: CallRecord, transferId: string, legId: string | undefined): boolean {
  const current = record.transfer;
  if (current === null || current.transferId !== transferId) return false;
  return legId === undefined || current.legs.some((l) => l.legId === legId);
}

/** Records a dialed leg's carrier id (for cancelling it later); the same record when already known. */
function bindLeg(record: CallRecord, legId: string, carrierLegId: string): CallRecord {
  if (record.legCarrierIds[legId] === carrierLegId) return record;
  return { ...record, legCarrierIds: { ...record.legCarrierIds, [legId]: carrierLegId } };
}

function requestTransfer(
  record: CallRecord,
  input: Extract<CallInput, { type: 'transfer.request' }>,
  ctx: ReduceContext,
): ReduceResult {
  const base = input.requestId === undefined ? {} : { requestId: input.requestId };
  if (record.phase !== 'ai') {
    // peers.md #7: the LLM fires the transfer again while the caller waits; never start a second
    // one — and say so on the record, since the agent asked for something that did not happen.
    const refusal = record.phase === 'transferring' ? 'transfer_in_progress' : 'call_not_active';
    const detail = `call is ${record.phase}`;
    return {
      record: refused(record, input.trigger, refusal, detail, ctx.nowMs),
      effects: [{ type: 'transfer.refused', refusal, detail, ...base }],
    };
  }
  if (
    input.tool === CONNECT_TO_LIVE_AGENT_TOOL &&
    record.lead !== undefined &&
    record.lead.outboundNumberId === undefined
  ) {
    // Seed 003: the lead was placed without the number it is called from; the function answers
    // with the seed's own error name and the AI keeps talking.
    const refusal = 'missing_outbound_number_id';
    const detail = 'the lead has no outbound_number_id';
    return {
      record: refused(record, input.trigger, refusal, detail, ctx.nowMs),
      effects: [{ type: 'transfer.refused', refusal, detail, ...base }],
    };
  }
  const planned = planTransfer(ctx.agent, input.trigger, {
    nowMs: ctx.nowMs,
    callerNumber: record.pii.from,
    defaultRegion: ctx.defaultRegion,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.mode === undefined ? {} : { mode: input.mode }),
    ...(input.summary === undefined ? {} : { summary: input.summary }),
    modes: modesOf(ctx),
  });
  if (!planned.ok) {
    return {
      record: refused(record, input.trigger, planned.refusal, planned.detail, ctx.nowMs),
      effects: [{ type: 'transfer.refused', refusal: planned.refusal, detail: planned.detail, ...base }],
    };
  }
  const ran = modesOf(ctx).resolve(planned.plan.mode, (c) => ctx.carrierCan?.(c) ?? true);
  if (!ran.ok) {
    return {
      record: refused(record, input.trigger, 'mode_unsupported', ran.detail, ctx.nowMs),
      effects: [{ type: 'transfer.refused', refusal: 'mode_unsupported', detail: ran.detail, ...base }],
    };
  }
  // The mode's fallback rule: the plan keeps its whisper and hold audio for the mode that runs.
  const { instead } = ran;
  const moded: TransferPlan = instead === undefined ? planned.plan : { ...planned.plan, mode: ran.mode.name };
  const kind = legKind(ran.mode);
  const callerId = acceptedCallerId(record, moded, kind, ctx);
  const chosen: TransferPlan = callerId === moded.callerId ? moded : { ...moded, callerId };
  const plan: TransferPlan = ctx.cancelsLegs === false ? { ...chosen, ringEndsAtCarrier: true } : chosen;
  let noted =
    instead === undefined
      ? record
      : withTimeline(record, {
          atMs: ctx.nowMs,
          event: `transfer.${instead.of}_as_${ran.mode.name}`,
          detail: `carrier has no ${instead.missing.join(', ')}`,
        });
  if (chosen !== moded) {
    noted = withTimeline(noted, {
      atMs: ctx.nowMs,
      event: 'transfer.caller_id',
      detail: `own number: the carrier refuses the caller's number on ${kind} legs`,
    });
  }
  const transferId = `${record.callId}.t${record.transfers.length + 1}`;
  const started = ran.mode.machine.initial(
    { transferId, callId: record.callId, plan, handoffWaitMs: handoffWaitFor(plan, ctx.agent) },
    { nowMs: ctx.nowMs },
  );
  const summary: TransferAttemptSummary = {
    transferId,
    mode: plan.mode,
    trigger: plan.trigger,
    chainLength: plan.chain.length,
    startedAtMs: ctx.nowMs,
  };
  const next: CallRecord = withTimeline(
    {
      ...noted,
      phase: 'transferring',
      transfer: started.state,
      transfers: [...record.transfers, summary].slice(-MAX_TRANSFERS_PER_CALL),
    },
    { atMs: ctx.nowMs, event: 'transfer.started', detail: `${plan.mode} ${plan.trigger}` },
  );
  return {
    record: next,
    effects: [
      { type: 'transfer.accepted', transferId, ...base },
      { type: 'handoff.watch', transferId },
      ...started.effects.map((effect) => ({ type: 'transfer' as const, transferId, effect })),
    ],
  };
}

/** The record with a refused request noted: in `refusals` (capped) and on the timeline. */
function refused(
  record: CallRecord,
  trigger: TransferTrigger,
  refusal: RefusalReason,
  detail: string,
  nowMs: number,
): CallRecord {
  const refusals = [...record.refusals, { atMs: nowMs, trigger: trigger.type, refusal, detail }].slice(
    -MAX_TRANSFERS_PER_CALL,
  );
  return withTimeline({ ...record, refusals }, { atMs: nowMs, event: 'transfer.refused', detail: refusal });
}

/** How the mode dials the human's leg: inside the caller's call (cold) or created by REST (warm). */
function legKind(mode: TransferModeDescriptor): 'dial' | 'rest' {
  return mode.dialsFrom === 'caller' ? 'dial' : 'rest';
}

/**
 * The caller ID the carrier accepts on the first try (issue: Twilio 21210, Exotel ExoPhones): the
 * planned one, unless it is the caller's own number and the carrier refuses that on this kind of
 * leg — then the number the call came in on (outbound: came from), which is the account's.
 */
function acceptedCallerId(
  record: CallRecord,
  plan: TransferPlan,
  kind: 'dial' | 'rest',
  ctx: ReduceContext,
): string {
  const rule = ctx.callerNumberAsCallerId;
  if (rule === undefined || rule[kind]) return plan.callerId;
  const callerNumber = record.direction === 'inbound' ? record.pii.from : record.pii.to;
  const own = record.direction === 'inbound' ? record.pii.to : record.pii.from;
  return plan.callerId === callerNumber ? own : plan.callerId;
}

function stepTransfer(
  record: CallRecord,
  transferId: string,
  event: TransferEvent,
  ctx: ReduceContext,
): ReduceResult | null {
  const current = record.transfer;
  if (current === null || current.transferId !== transferId) return null;
  const stepped = modesOf(ctx).get(current.mode).machine.step(current, event, { nowMs: ctx.nowMs });
  if (stepped.state === current && stepped.effects.length === 0) return null;
  let next: CallRecord = { ...record, transfer: stepped.state };
  const ended = stepped.effects.find((e) => e.type === 'transfer.ended');
  if (ended !== undefined && ended.type === 'transfer.ended') {
    next = closeTransfer(next, transferId, ended, ctx.nowMs);
  }
  return {
    record: next,
    effects: stepped.effects.map((effect) => ({ type: 'transfer' as const, transferId, effect })),
  };
}

function closeTransfer(
  record: CallRecord,
  transferId: string,
  ended: Extract<TransferEffect, { type: 'transfer.ended' }>,
  nowMs: number,
): CallRecord {
  const { outcome, carrierCode, bridge } = ended;
  const transfers = record.transfers.map((t) =>
    t.transferId === transferId
      ? {
          ...t,
          outcome,
          endedAtMs: nowMs,
          ...(carrierCode === undefined ? {} : { carrierCode }),
          ...(bridge === undefined ? {} : { bridge }),
        }
      : t,
  );
  const phase = outcome === 'connected' ? 'human' : outcome === 'caller_hangup' ? record.phase : 'ai';
  return withTimeline(
    { ...record, transfers, phase },
    {
      atMs: nowMs,
      event: 'transfer.ended',
      detail: bridge === undefined ? outcome : `${outcome} bridge=${bridge}`,
    },
  );
}

function endCall(
  record: CallRecord,
  status: CallEndStatus | undefined,
  ctx: ReduceContext,
  via?: 'status_check',
): ReduceResult {
  let next = record;
  const effects: CallEffect[] = [];
  const transfer = record.transfer;
  if (record.phase === 'transferring' && transfer !== null) {
    const stepped = stepTransfer(record, transfer.transferId, { type: 'caller.hangup' }, ctx);
    if (stepped !== null) {
      next = stepped.record;
      effects.push(...stepped.effects);
    }
  }
  const endedReason: EndedReason =
    next.phase === 'human'
      ? 'transferred'
      : (notConnected(record, status) ?? causedByDaemon(record) ?? 'caller_hangup');
  const ended: CallTimelineEntry =
    via === undefined
      ? { atMs: ctx.nowMs, event: 'call.ended' }
      : {
          atMs: ctx.nowMs,
          event: 'call.ended',
          detail: 'the carrier reports the call over; no final status callback came',
        };
  return finish(withTimeline(next, ended), endedReason, ctx, effects);
}

/** A call the daemon placed that the lead never answered. */
function notConnected(record: CallRecord, status: CallEndStatus | undefined): EndedReason | undefined {
  const never = status === 'busy' || status === 'no_answer' || status === 'failed' || status === 'canceled';
  return never && record.direction === 'outbound' && record.phase === 'ai' ? 'no_answer' : undefined;
}

/**
 * The call ended after the carrier failed to get the daemon's markup and before the daemon served
 * the call again: the daemon's failure, never blamed on the caller.
 */
function causedByDaemon(record: CallRecord): EndedReason | undefined {
  for (let i = record.timeline.length - 1; i >= 0; i--) {
    const event = record.timeline[i]?.event;
    if (event === 'markup.recovered') return undefined;
    if (event === 'markup.failed') return 'error';
  }
  return undefined;
}

function callerSilent(record: CallRecord, ctx: ReduceContext): ReduceResult | null {
  if (record.phase !== 'ai') return null;
  const action = ctx.agent.callControl.onNoResponseAction;
  const noted = withTimeline(record, { atMs: ctx.nowMs, event: 'caller.silent', detail: action });
  if (action === 'transfer') {
    return requestTransfer(
      noted,
      { type: 'transfer.request', trigger: { type: 'silence' }, reason: 'caller did not respond' },
      ctx,
    );
  }
  if (action === 'hangup') return finish(noted, 'no_response', ctx, [{ type: 'call.hangup' }]);
  return null;
}

function finish(
  record: CallRecord,
  endedReason: EndedReason,
  ctx: ReduceContext,
  effects: readonly CallEffect[],
): ReduceResult {
  const left = retriesAtEnd(record, ctx.nowMs);
  return {
    record: { ...left.record, phase: 'ended', endedReason, endedAtMs: ctx.nowMs },
    effects: [...effects, ...left.effects, { type: 'call.finished', endedReason }],
  };
}

/** Per character of a message the agent speaks before the transfer, ms (about 12 characters a second). */
export const SPOKEN_MS_PER_CHAR = 80;

/**
 * The bounded wait for the handoff: the agent's sentence, plus the time a message it speaks in
 * its own voice takes (a carrier-spoken message plays after it, in the caller's next document).
 */
function handoffWaitFor(plan: TransferPlan, agent: AgentConfig): number {
  const base = agent.handoffConfig.handoffWaitMs;
  const message = plan.callerMessage;
  if (message === undefined || message.voice !== 'agent') return base;
  return Math.min(base + message.text.length * SPOKEN_MS_PER_CHAR, 30_000);
}

function modesOf(ctx: ReduceContext): ModeRegistry {
  return ctx.modes ?? TRANSFER_MODES;
}

/** True when the transfer flag says this call is mid-transfer (invariant 2). */
export function isTransferring(record: CallRecord): boolean {
  return record.phase === 'transferring';
}

export type { TransferState };
