import type { LegEndStatus, TransferMode, TransferOutcome } from '../domain/outcome.js';
import {
  CALLER_VERIFY_WAIT_MS,
  type LegRecord,
  LIVE_LEG_STATUSES,
  legIdFor,
  type MachineState,
  RING_GRACE_MS,
} from './machine-state.js';
import type {
  LegId,
  StepContext,
  StepResult,
  TimelineEntry,
  TimerId,
  TransferEffect,
  TransferStatus,
} from './machine-types.js';
import { plainCopy } from './plain-copy.js';

/**
 * Helpers the cold and warm machines share. A step works on a private deep copy (the draft) and
 * collects effects; `commit` then either returns the untouched original (event ignored) or the
 * draft with one timeline entry appended. From the outside a step stays a pure function.
 */

export type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

export type AnyState = MachineState<TransferMode, string>;

export interface Draft<S extends AnyState> {
  readonly s: Mutable<S>;
  readonly effects: TransferEffect[];
  readonly nowMs: number;
}

/** What a handler returns: the timeline detail when the event was applied, null when ignored. */
export type Applied = string | null;

export function draftOf<S extends AnyState>(state: S, ctx: StepContext): Draft<S> {
  return { s: plainCopy(state) as Mutable<S>, effects: [], nowMs: ctx.nowMs };
}

export function commit<S extends AnyState>(
  original: S,
  d: Draft<S>,
  event: TimelineEntry['event'],
  detail: Applied,
): StepResult<S> {
  if (detail === null) return { state: original, effects: [] };
  d.s.timeline.push({ atMs: d.nowMs, state: d.s.phase, event, detail });
  return { state: d.s as S, effects: d.effects };
}

/** `k=v` pairs for timeline details; null values are skipped. Never pass a destination here. */
export function detailOf(parts: Readonly<Record<string, string | number | null | undefined>>): string {
  return Object.entries(parts)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/**
 * Keeps a carrier's error code only if it looks like one (`21210`, `486`, `USER_BUSY`): the
 * timeline must never carry a phone number, so anything with a run of 7+ digits is dropped.
 */
export function cleanCarrierCode(code: string | undefined): string | null {
  if (code === undefined) return null;
  if (!/^[A-Za-z0-9_.:-]{1,40}$/.test(code) || /\d{7,}/.test(code)) return null;
  return code;
}

// ── timers ──────────────────────────────────────────────────────────────────────────────────

export function startTimer(d: Draft<AnyState>, timerId: TimerId, atMs: number): void {
  d.s.timers = d.s.timers.filter((t) => t.timerId !== timerId);
  d.s.timers.push({ timerId, atMs });
  d.effects.push({ type: 'timer.start', timerId, atMs });
}

export function hasTimer(d: Draft<AnyState>, timerId: TimerId): boolean {
  return d.s.timers.some((t) => t.timerId === timerId);
}

export function cancelTimer(d: Draft<AnyState>, timerId: TimerId): void {
  if (!hasTimer(d, timerId)) return;
  d.s.timers = d.s.timers.filter((t) => t.timerId !== timerId);
  d.effects.push({ type: 'timer.cancel', timerId });
}

/** A timer fired: true (and forgotten) if it was active, false if stale or unknown. */
export function consumeTimer(d: Draft<AnyState>, timerId: TimerId): boolean {
  if (!hasTimer(d, timerId)) return false;
  d.s.timers = d.s.timers.filter((t) => t.timerId !== timerId);
  return true;
}

export function cancelLegTimers(d: Draft<AnyState>, legId: LegId): void {
  cancelTimer(d, `ring:${legId}`);
  cancelTimer(d, `whisper:${legId}`);
  cancelTimer(d, `join:${legId}`);
  cancelTimer(d, `amd:${legId}`);
}

export function cancelAllTimers(d: Draft<AnyState>): void {
  for (const t of [...d.s.timers]) cancelTimer(d, t.timerId);
}

// ── legs ────────────────────────────────────────────────────────────────────────────────────

export function findLeg(d: Draft<AnyState>, legId: LegId): Mutable<LegRecord> | undefined {
  return d.s.legs.find((l) => l.legId === legId);
}

/** The leg of the destination being tried, if it is still live. */
export function liveCurrentLeg(d: Draft<AnyState>, legId?: LegId): Mutable<LegRecord> | undefined {
  const leg = d.s.legs[d.s.index];
  if (leg === undefined || !LIVE_LEG_STATUSES.has(leg.status)) return undefined;
  if (legId !== undefined && leg.legId !== legId) return undefined;
  return leg;
}

export function status(d: Draft<AnyState>, value: TransferStatus, legId?: LegId, destination?: string): void {
  d.effects.push({
    type: 'agent.status',
    status: value,
    ...(legId === undefined ? {} : { legId }),
    ...(destination === undefined ? {} : { destination }),
  });
}

/**
 * Places the leg toward `plan.chain[index]` with the plan's ring timeout, plus our own
 * `ring:{legId}` backstop a few seconds later (the carrier enforces its own timeout; ours covers
 * a lost callback — peers confuse the two, livekit/agents#3187).
 */
export function dialLeg(d: Draft<AnyState>, index: number): LegId {
  const { plan } = d.s;
  const to = plan.chain[index] ?? '';
  const legId = legIdFor(d.s.transferId, index);
  d.s.index = index;
  d.s.legs.push({
    legId,
    index,
    status: 'dialing',
    outcome: null,
    carrierCode: null,
    strayAnswerCanceled: false,
  });
  // The flag holds the destination being tried (seed 003); each dial refreshes its TTL too.
  if (index > 0) d.effects.push({ type: 'flag.set', destination: to });
  // Told before the dial runs: the carrier may report the leg ringing before it answers the
  // dial itself (Twilio callbacks can overtake the REST response), and `dialing` must come first.
  status(d, 'dialing', legId, to);
  d.effects.push({
    type: 'carrier.dial',
    legId,
    to,
    callerId: plan.callerId,
    timeoutMs: plan.ringTimeoutMs,
    mode: d.s.mode,
    ...(plan.machineDetection === true ? { machineDetection: true as const } : {}),
    ...(plan.sendDigits?.[to] === undefined ? {} : { sendDigits: plan.sendDigits[to] }),
  });
  startTimer(d, `ring:${legId}`, d.nowMs + plan.ringTimeoutMs + RING_GRACE_MS);
  return legId;
}

/**
 * Gives up on a leg with the outcome of its attempt. `hangUp` sends `carrier.cancel` (the leg may
 * still reach a human); otherwise the carrier already reported its end.
 */
export function dropLeg(
  d: Draft<AnyState>,
  leg: Mutable<LegRecord>,
  outcome: TransferOutcome,
  carrierCode: string | null,
  hangUp: boolean,
): void {
  leg.outcome = outcome;
  leg.carrierCode = carrierCode;
  leg.status = hangUp ? 'canceling' : 'ended';
  if (hangUp) d.effects.push({ type: 'carrier.cancel', legId: leg.legId });
  cancelLegTimers(d, leg.legId);
}

/**
 * Invariant 5: every leg that could still reach a human is canceled. `hangUp` false: the carrier
 * ends them itself (a cold dial inside the caller's own call ends with that call), so no command
 * is sent about a call that is over.
 */
export function cancelLiveLegs(d: Draft<AnyState>, outcome: TransferOutcome, hangUp = true): void {
  for (const leg of d.s.legs) {
    if (LIVE_LEG_STATUSES.has(leg.status)) dropLeg(d, leg, outcome, null, hangUp);
  }
}

/** Outcome of an attempt from the carrier's end status; `completed` means the human hung up. */
export function outcomeOfEnd(endStatus: LegEndStatus): TransferOutcome {
  switch (endStatus) {
    case 'completed':
      return 'human_hangup';
    case 'busy':
    case 'no_answer':
    case 'failed':
    case 'canceled':
    case 'declined':
      return endStatus;
  }
}

/**
 * The safety rule that holds in every phase, terminal ones included: a leg that answers after the
 * machine gave up on it (canceled, superseded, or already reported ended) is hung up, once, so
 * two humans are never connected and nobody is left on an orphaned line.
 */
export function strayAnswer(d: Draft<AnyState>, legId: LegId): Applied {
  const leg = findLeg(d, legId);
  if (leg === undefined || leg.strayAnswerCanceled) return null;
  if (leg.status !== 'canceling' && leg.status !== 'ended') return null;
  leg.strayAnswerCanceled = true;
  d.effects.push({ type: 'carrier.cancel', legId });
  return detailOf({ leg: legId, note: 'stray_answer_canceled' });
}

/**
 * `leg.ringing` of a leg the machine gave up on a failure of its own command (`carrier_error`: a
 * create answered with an error the carrier had acted on after all). Its cancel, decided then,
 * found no carrier id to hang up; the ringing brings one, and the human's phone rings for
 * nobody: the leg is hung up, once. A leg whose end the carrier reported is left alone (its late
 * `ringing` is only out of order).
 */
export function strayRing(d: Draft<AnyState>, legId: LegId): Applied {
  const leg = findLeg(d, legId);
  if (leg === undefined || leg.strayAnswerCanceled || leg.outcome !== 'carrier_error') return null;
  if (leg.status !== 'canceling' && leg.status !== 'ended') return null;
  leg.strayAnswerCanceled = true;
  d.effects.push({ type: 'carrier.cancel', legId });
  return detailOf({ leg: legId, note: 'stray_ring_canceled' });
}

/** Tries the next destination after a failed attempt, or returns the caller to the AI. */
export function nextOrReturn(
  d: Draft<AnyState>,
  outcome: TransferOutcome,
  carrierCode: string | null,
  dial: (index: number) => LegId,
  options: Pick<FinishOptions, 'bridgeUnconfirmed'> = {},
): string {
  const next = d.s.index + 1;
  if (next < d.s.plan.chain.length) {
    const legId = dial(next);
    return detailOf({ outcome, code: carrierCode, next: legId });
  }
  if (callerInRoom(d) && outcome !== 'canceled') {
    verifyCaller(d, outcome, carrierCode);
    return detailOf({ outcome, code: carrierCode, chain: 'exhausted', note: 'caller_check' });
  }
  finish(d, outcome, carrierCode, options);
  return detailOf({ outcome, code: carrierCode, chain: 'exhausted' });
}

/**
 * The caller was sent to a hold room (warm, agentic): reported there, on the way (`hold`), or
 * out of it and not yet known to be back or gone (`confirm`, `check`). Their hang-up may be
 * what the room's reports were about to say — property seed 0x140e: the caller left the room
 * 0.77 s before the last human's phone stopped ringing, their status callback came later, and
 * the transfer was recorded `no_answer`.
 */
function callerInRoom(d: Draft<AnyState>): boolean {
  // Cold has no room (its `confirm` waits for news of the caller's call after a canceled leg).
  if (d.s.mode === 'cold') return false;
  return d.s.flags.callerHeld || hasTimer(d, 'hold') || hasTimer(d, 'confirm') || hasTimer(d, 'check');
}

/**
 * Every human failed with the caller on hold (or on the way there): before the caller is returned to the AI, the
 * carrier is asked whether they are still on the line (their hang-up may never have been
 * reported: both the room's report and the call's status callback lost). `caller.present` or the
 * `verify` timer ends the transfer with `outcome` ({@link endReturning}); `caller.hangup` ends it
 * `caller_hangup`.
 */
function verifyCaller(d: Draft<AnyState>, outcome: TransferOutcome, carrierCode: string | null): void {
  cancelLiveLegs(d, outcome, true);
  cancelAllTimers(d);
  d.s.flags.returning = { outcome, carrierCode };
  d.effects.push({ type: 'caller.check' });
  startTimer(d, 'verify', d.nowMs + CALLER_VERIFY_WAIT_MS);
}

/** The caller is there (or the carrier did not say in time): the transfer ends with the failure it waited to report. */
export function endReturning(d: Draft<AnyState>): boolean {
  const returning = d.s.flags.returning;
  if (returning === undefined) return false;
  finish(d, returning.outcome, returning.carrierCode);
  return true;
}

/** How {@link finish} treats what is still running. */
export interface FinishOptions {
  /** Cold: the caller's dial is still running and must be stopped (`caller.to_agent` with `interrupt`). */
  readonly interrupt?: boolean;
  /** Live legs end with the caller's call on the carrier's side: mark them, send nothing. */
  readonly legsEndWithCaller?: boolean;
  /**
   * `caller_hangup`, `human_hangup`: one of them hung up while the carrier may already have
   * bridged the two, unreported (cold.ts `whispering`).
   */
  readonly bridgeUnconfirmed?: boolean;
}

/**
 * Ends the transfer with its one outcome and the one `transfer.ended` effect (always last).
 * Failures return the caller to the AI (invariant 4); the caller hanging up only cancels legs.
 */
export function finish(
  d: Draft<AnyState>,
  outcome: TransferOutcome,
  carrierCode: string | null,
  options: FinishOptions = {},
): void {
  const code = carrierCode === null ? {} : { carrierCode };
  const lastLeg = d.s.legs[d.s.index]?.legId;
  cancelLiveLegs(d, outcome, options.legsEndWithCaller !== true);
  cancelAllTimers(d);
  if (d.s.flags.returning !== undefined) delete d.s.flags.returning;
  d.s.outcome = outcome;
  d.s.carrierCode = carrierCode;
  d.s.endedAtMs = d.nowMs;
  if (outcome === 'connected') {
    d.s.phase = 'connected';
    status(d, 'connected', lastLeg);
    d.effects.push({ type: 'agent.detach' });
  } else if (outcome === 'caller_hangup') {
    d.s.phase = 'hung_up';
    status(d, 'failed', lastLeg);
  } else {
    d.s.phase = 'returned';
    if (d.s.flags.callerMoved)
      d.effects.push({ type: 'caller.to_agent', ...(options.interrupt === true ? { interrupt: true } : {}) });
    status(d, 'failed', lastLeg);
    d.effects.push({ type: 'agent.resume', outcome, ...code });
  }
  d.effects.push({ type: 'flag.clear' });
  d.effects.push({
    type: 'transfer.ended',
    outcome,
    ...code,
    ...(options.bridgeUnconfirmed === true ? { bridge: 'unconfirmed' as const } : {}),
  });
}

/** The carrier reported the end of a leg the machine had already given up on: note it, no effects. */
export function staleEnd(d: Draft<AnyState>, legId: LegId, endStatus: LegEndStatus): Applied {
  const leg = findLeg(d, legId);
  if (leg === undefined || leg.status !== 'canceling') return null;
  leg.status = 'ended';
  return detailOf({ leg: legId, status: endStatus, note: 'after_cancel' });
}
