import { DURABLE_EFFECT_RETRY, type RetryPolicy } from '../lib/retry.js';
import type { TransferEvent } from '../transfer/machine-types.js';
import { type CallRecord, withTimeline } from './call-record.js';
import type { CallEffect, CallInput, ReduceResult } from './call-reducer.js';
import { dropGuard, guardOf, isTerminalStatus, unguarded } from './effect-guards.js';

/**
 * What the call does when one of its effects failed (pure; the executor reports every failure
 * as an `effect.failed` input). Per effect:
 *
 * | Effect             | Retried (durably) | Once retries are spent                                    |
 * | ------------------ | ----------------- | --------------------------------------------------------- |
 * | `carrier.cancel`   | yes               | recorded and alerted; the carrier's own ring timeout ends it |
 * | `caller.to_agent`  | yes               | recorded and alerted; the caller keeps the hold audio     |
 * | `call.hangup`      | yes (live call)   | recorded and alerted                                      |
 * | `call.check`       | yes (live call)   | recorded and alerted; the liveness sweep asks again       |
 * | `agent.status` (terminal, guarded) | yes (live call) | recorded and alerted           |
 * | `caller.hold`      | yes, while its transfer waits for it | the transfer ends `carrier_error`; the caller never left the AI |
 * | `human.whisper`, `human.brief`, `human.join` | no | the leg's `leg.error`: next destination, then the AI      |
 * | anything else      | no                | recorded and alerted                                      |
 *
 * A caller effect failing after the call ended (the caller hung up meanwhile) is only noted; one
 * the carrier refused because the caller's call is over (`callGone`), before its status callback
 * came, is the caller hanging up: the transfer ends `caller_hangup`. The call itself ends with the
 * carrier's news of it; since that news can be lost (a lost status callback), a `call.check` is
 * scheduled {@link CALL_GONE_CHECK_MS} later, which asks the carrier and ends the call if the news
 * has not come by then.
 *
 * `carrier.dial` never gets here: the executor turns its failure into `leg.error` at once, since
 * placing a call twice could ring a human twice.
 */

/** A retry waiting for its timer (`call|retry:{retryId}`). */
export interface PendingRetry {
  readonly retryId: string;
  /** The effect to run again. */
  readonly effect: CallEffect;
  /** Retries already made before this one (the first retry has attempt 1). */
  readonly attempt: number;
}

/** Effects that are safe to repeat and worth repeating (the same command, idempotent at the carrier). */
const REPEATABLE: ReadonlySet<string> = new Set([
  'carrier.cancel',
  'caller.to_agent',
  'call.hangup',
  // Asked again while the call lives; the liveness sweep is the last backstop.
  'call.check',
  // Told once per agent session (executor.ts): repeating it reaches a session that missed it.
  'agent.status',
  // The AI is paused and the caller hears the wait audio meanwhile; a human may be ringing.
  'caller.hold',
]);

/**
 * How long after the carrier refused a command as "call over" the daemon asks it whether the call
 * is live, if the call's end has not been reported by then. A status callback normally follows a
 * hang-up within a second or two; this leaves it the time to come first.
 */
export const CALL_GONE_CHECK_MS = 5_000;

/** Effects that move the caller's own call: moot once the call is over. */
const CALLER_EFFECTS: ReadonlySet<string> = new Set(['caller.hold', 'caller.to_agent']);

/** Leg effects whose failure ends the leg: the machine moves to the next destination. */
const LEG_EFFECTS: ReadonlySet<string> = new Set([
  'human.whisper',
  'human.brief',
  'human.join',
  'carrier.cancel',
]);

type Failed = Extract<CallInput, { type: 'effect.failed' }>;

/** The timer of a pending retry, in the call's own timer namespace (commit-changes.ts). */
export function retryTimerName(retryId: string): string {
  return `retry:${retryId}`;
}

/** The retry id of a call timer name, or null when the timer is not a retry. */
export function retryIdOf(timerName: string): string | null {
  return timerName.startsWith('retry:') ? timerName.slice('retry:'.length) : null;
}

/** The type a failure is known by in logs, timelines and metrics: `carrier.cancel`, `call.hangup`… */
export function effectName(effect: CallEffect): string {
  if (effect.type === 'transfer') return effect.effect.type;
  if (effect.type === 'retry') return effectName(effect.effect);
  return effect.type;
}

export function reduceEffectFailed(
  before: CallRecord,
  input: Failed,
  nowMs: number,
  stepTransfer: (record: CallRecord, transferId: string, event: TransferEvent) => ReduceResult | null,
  policy: RetryPolicy = DURABLE_EFFECT_RETRY,
): ReduceResult {
  const name = effectName(input.effect);
  const code = input.carrierCode ?? input.code;
  const detail = `${name}${code === undefined ? '' : ` ${code}`} attempt=${input.attempt}`;
  // A guarded effect that failed is handled as a failure here: its guard goes.
  const guardId = guardOf(input.effect);
  const record = guardId === undefined ? before : (dropGuard(before, guardId) ?? before);
  const live = record.phase !== 'ended';
  const wanted = stillWanted(record, input.effect);
  if (input.retryable && wanted && worthRepeating(name, live) && input.attempt < policy.maxRetries) {
    const scheduled = scheduleRetry(
      record,
      unguarded(input.effect),
      input.attempt + 1,
      nowMs + policy.retryIntervalMs,
    );
    return {
      record: withTimeline(scheduled.record, { atMs: nowMs, event: 'effect.retry_scheduled', detail }),
      effects: scheduled.effects,
    };
  }
  if (!live && CALLER_EFFECTS.has(name)) {
    // Moving a caller who already hung up fails by nature (Twilio 21220): a fact, not an alert.
    return { record: withTimeline(record, { atMs: nowMs, event: 'effect.moot', detail }), effects: [] };
  }
  const inner = input.effect.type === 'retry' ? input.effect.effect : input.effect;
  if (live && input.callGone === true && CALLER_EFFECTS.has(name) && inner.type === 'transfer') {
    // The carrier says the caller's call is over before its status callback said so (it orders
    // neither before the other): the caller hung up, and that ends the transfer — not a carrier
    // error, and no human is left to be briefed into an empty room. The call itself ends when the
    // carrier's news of it comes.
    const noted = withTimeline(record, {
      atMs: nowMs,
      event: 'effect.moot',
      detail: `${detail} caller gone`,
    });
    const stepped = stepTransfer(noted, inner.transferId, { type: 'caller.hangup' }) ?? {
      record: noted,
      effects: [],
    };
    return checkCallLater(stepped, nowMs);
  }
  if (!wanted) {
    // The transfer moved on (over, or the caller reported on hold by an earlier attempt): nothing to decide.
    return { record: withTimeline(record, { atMs: nowMs, event: 'effect.moot', detail }), effects: [] };
  }
  const noted = withTimeline(record, { atMs: nowMs, event: 'effect.failed', detail });
  const alert: CallEffect = {
    type: 'effect.abandoned',
    effect: name,
    ...(code === undefined ? {} : { code }),
  };
  const event = live ? machineEvent(input) : undefined;
  const stepped =
    event === undefined || input.effect.type !== 'transfer'
      ? null
      : stepTransfer(noted, input.effect.transferId, event);
  if (stepped === null) return { record: noted, effects: [alert] };
  return { record: stepped.record, effects: [alert, ...stepped.effects] };
}

/**
 * Schedules a `call.check` {@link CALL_GONE_CHECK_MS} from now, as a pending retry (its timer
 * durable like any retry's), unless one is pending already.
 */
function checkCallLater(result: ReduceResult, nowMs: number): ReduceResult {
  const scheduled = checkCallAt(result.record, nowMs + CALL_GONE_CHECK_MS);
  return scheduled === null
    ? result
    : { record: scheduled.record, effects: [...result.effects, ...scheduled.effects] };
}

/**
 * A `call.check` due at `atMs` (a pending retry, its timer durable), for a record that just
 * noted why; null when one is pending already. `restore`: the caller's stream is gone, and a
 * live caller is to be moved back to the AI.
 */
export function checkCallAt(record: CallRecord, atMs: number, restore = false): ReduceResult | null {
  const retries = record.retries ?? [];
  const pending = retries.find((r) => r.effect.type === 'call.check');
  if (pending === undefined)
    return scheduleRetry(record, restore ? { type: 'call.check', restore } : { type: 'call.check' }, 1, atMs);
  if (!restore || (pending.effect.type === 'call.check' && pending.effect.restore === true)) return null;
  // The check already pending now also moves a live caller back (its timer stands).
  const upgraded: PendingRetry = { ...pending, effect: { type: 'call.check', restore } };
  return { record: { ...record, retries: retries.map((r) => (r === pending ? upgraded : r)) }, effects: [] };
}

/** `effect` pending as retry `attempt`, its timer (`retry.schedule`) due at `atMs`. */
function scheduleRetry(record: CallRecord, effect: CallEffect, attempt: number, atMs: number): ReduceResult {
  const retryId = String((record.retryCount ?? 0) + 1);
  const pending: PendingRetry = { retryId, effect, attempt };
  return {
    record: {
      ...record,
      retries: [...(record.retries ?? []), pending],
      retryCount: (record.retryCount ?? 0) + 1,
    },
    effects: [{ type: 'retry.schedule', retryId, atMs }],
  };
}

/**
 * Pure: the pending retries of a call that is ending, as its end leaves them. The commit that
 * ends a call drops every timer it had (store/lua.ts COMMIT), so each retry that still matters
 * after the end — a human's phone to stop, a hang-up that did not take — is scheduled again in
 * that commit, due one retry interval later (a timer the ending commit starts outlives the end);
 * the ones that mattered only while the call lived (moving the caller, checking the call) go,
 * so the record never shows a retry that nothing will run. The agent's terminal
 * `transfer_status` stays: the `call.finished` of the same commit tells it (`owedStatuses`).
 */
export function retriesAtEnd(
  record: CallRecord,
  nowMs: number,
  policy: RetryPolicy = DURABLE_EFFECT_RETRY,
): ReduceResult {
  const retries = record.retries ?? [];
  if (retries.length === 0) return { record, effects: [] };
  const kept: PendingRetry[] = [];
  const effects: CallEffect[] = [];
  for (const pending of retries) {
    const name = effectName(pending.effect);
    if (worthRepeating(name, false)) {
      kept.push(pending);
      effects.push({
        type: 'retry.schedule',
        retryId: pending.retryId,
        atMs: nowMs + policy.retryIntervalMs,
      });
    } else if (name === 'agent.status' && owedAtEnd(pending.effect)) kept.push(pending);
  }
  return { record: kept.length === retries.length ? record : { ...record, retries: kept }, effects };
}

function owedAtEnd(effect: CallEffect): boolean {
  return (
    effect.type === 'transfer' &&
    effect.effect.type === 'agent.status' &&
    isTerminalStatus(effect.effect.status)
  );
}

/** A pending retry's timer fired: run its effect again (nothing when the call moved on and ended). */
export function reduceEffectRetry(record: CallRecord, retryId: string): ReduceResult | null {
  const retries = record.retries ?? [];
  const pending = retries.find((r) => r.retryId === retryId);
  if (pending === undefined) return null;
  const rest = { ...record, retries: retries.filter((r) => r.retryId !== retryId) };
  if (
    !worthRepeating(effectName(pending.effect), record.phase !== 'ended') ||
    !stillWanted(record, pending.effect)
  )
    return { record: rest, effects: [] };
  return {
    record: rest,
    effects: [{ type: 'retry', retryId, attempt: pending.attempt, effect: pending.effect }],
  };
}

/** Repeated only while the call lives: moving the caller, telling the agent, checking the call. */
const LIVE_ONLY: ReadonlySet<string> = new Set([
  'caller.hold',
  'caller.to_agent',
  'agent.status',
  'call.check',
]);

/**
 * Whether a failed or pending effect still has a purpose in the call as it is now. A caller's
 * move to hold has one only while its transfer waits for it — the same transfer, not over nor
 * winding down (every human failed: `returning`), the caller sent to hold and not yet reported
 * there: repeated later, it would take a caller off the
 * AI into a room nobody is coming to, or out of the room they are in. Every other effect: yes.
 */
export function stillWanted(record: CallRecord, effect: CallEffect): boolean {
  const inner = effect.type === 'retry' ? effect.effect : effect;
  if (inner.type !== 'transfer' || inner.effect.type !== 'caller.hold') return true;
  const t = record.transfer;
  return (
    t !== null &&
    t.transferId === inner.transferId &&
    t.outcome === null &&
    t.flags.returning === undefined &&
    t.flags.callerMoved &&
    !t.flags.callerHeld
  );
}

/**
 * A human's ringing phone and a hang-up that did not take matter after the call ended too;
 * bringing the caller back to the AI, telling the agent and checking the call only while it lives.
 */
function worthRepeating(name: string, live: boolean): boolean {
  return REPEATABLE.has(name) && (live || !LIVE_ONLY.has(name));
}

function machineEvent(input: Failed): TransferEvent | undefined {
  const effect = input.effect.type === 'retry' ? input.effect.effect : input.effect;
  if (effect.type !== 'transfer') return undefined;
  const fx = effect.effect;
  const carrierCode = input.carrierCode === undefined ? {} : { carrierCode: input.carrierCode };
  if (fx.type === 'caller.hold') return { type: 'caller.hold_failed', ...carrierCode };
  if (LEG_EFFECTS.has(fx.type) && 'legId' in fx && fx.legId !== undefined)
    return { type: 'leg.error', legId: fx.legId, ...carrierCode };
  return undefined;
}
