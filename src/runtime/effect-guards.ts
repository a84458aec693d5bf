import type { TransferStatus } from '../transfer/machine-types.js';
import type { CallRecord } from './call-record.js';
import type { CallEffect, ReduceResult } from './call-reducer.js';
import type { PendingRetry } from './effect-failures.js';
import { needsSocketOwner } from './socket-effects.js';

/**
 * Effects run after the commit that decided them, by the worker that made it. A worker that dies
 * in between (SIGKILL, OOM) takes them along: a caller left on hold whose transfer has ended
 * (soak seed 30458), a human's phone left ringing, a call left up. So the effects that bring
 * someone back or end something are guarded: the commit that decides one also writes a durable
 * retry of it, due {@link GUARD_MS} later; the worker that ran it removes the retry
 * (`effect.done`). When nobody did, the retry's timer fires on a worker that is alive
 * (effect-failures.ts `reduceEffectRetry`) and runs it again. Each of these effects is the same
 * command to the carrier whenever it runs, so running it twice (a worker that died after the
 * command, before `effect.done`) changes nothing for the people on the call.
 */
export const GUARD_MS = 3_000;

/**
 * The effects that are guarded: the ones `effect-failures.ts` retries (REPEATABLE). The agent's
 * terminal `transfer_status` too: a worker that applied a transfer's end and died before relaying
 * it to the worker holding the agent's socket left the agent never told (soak seed 30636); the
 * socket's session tells each terminal status once, so a guard's retry never tells it twice.
 */
function guardable(effect: CallEffect): boolean {
  if (effect.type === 'call.hangup') return effect.guardId === undefined;
  if (effect.type !== 'transfer' || effect.guardId !== undefined) return false;
  const fx = effect.effect;
  if (fx.type === 'agent.status') return isTerminalStatus(fx.status);
  return fx.type === 'caller.to_agent' || fx.type === 'carrier.cancel';
}

function stopsAPhone(effect: CallEffect): boolean {
  return effect.type === 'transfer' && effect.effect.type === 'carrier.cancel';
}

/** A transfer's last `transfer_status`: `connected` or `failed`. */
export function isTerminalStatus(status: TransferStatus): boolean {
  return status === 'connected' || status === 'failed';
}

/**
 * The terminal `transfer_status` effects `record` still owes the agent: decided, guarded, and not
 * yet done (`effect.done` removes a guard once its effect ran). A transfer that ends while the
 * call lives tells the agent after it cancels the human's leg, a carrier request; the call's own
 * end, applied meanwhile, keeps those guards in its record (only their timers go), so the
 * `call.finished` that closes the agent's socket tells them first (executor.ts).
 */
export function owedStatuses(record: CallRecord): CallEffect[] {
  return (record.retries ?? []).flatMap((r) =>
    r.effect.type === 'transfer' &&
    r.effect.effect.type === 'agent.status' &&
    isTerminalStatus(r.effect.effect.status)
      ? [unguarded(r.effect)]
      : [],
  );
}

/** The guard an effect carries, when it is guarded. */
export function guardOf(effect: CallEffect): string | undefined {
  return effect.type === 'transfer' || effect.type === 'call.hangup' ? effect.guardId : undefined;
}

/** The effect without its guard (what a retry runs: its own timer is gone by then). */
export function unguarded(effect: CallEffect): CallEffect {
  if (guardOf(effect) === undefined) return effect;
  if (effect.type === 'call.hangup') return { type: 'call.hangup' };
  if (effect.type !== 'transfer') return effect;
  return { type: 'transfer', transferId: effect.transferId, effect: effect.effect };
}

function guarded(effect: CallEffect, guardId: string): CallEffect {
  if (effect.type === 'call.hangup') return { type: 'call.hangup', guardId };
  if (effect.type === 'transfer') return { ...effect, guardId };
  return effect;
}

/** Pure: `result` with each guardable effect guarded by a pending retry written in the same commit. */
export function withGuards(result: ReduceResult | null, nowMs: number): ReduceResult | null {
  // In the commit that ends a call only a human's phone to stop is guarded: the other guarded
  // effects are repeated only while the call lives (effect-failures.ts). The guard's timer,
  // started by that commit, outlives the end (store/lua.ts COMMIT).
  const ending = result?.effects.some((e) => e.type === 'call.finished') === true;
  const guards = (e: CallEffect) => guardable(e) && (!ending || stopsAPhone(e));
  if (result === null || !result.effects.some(guards)) return result;
  let count = result.record.retryCount ?? 0;
  const pending: PendingRetry[] = [];
  const effects: CallEffect[] = [];
  for (const e of result.effects) {
    if (!guards(e)) {
      effects.push(e);
      continue;
    }
    count += 1;
    const retryId = String(count);
    pending.push({ retryId, effect: e, attempt: 1 });
    effects.push(guarded(e, retryId), { type: 'retry.schedule', retryId, atMs: nowMs + GUARD_MS });
  }
  const record: CallRecord = {
    ...result.record,
    retries: [...(result.record.retries ?? []), ...pending],
    retryCount: count,
  };
  return { record, effects };
}

/** Pure: the guard `retryId` is no longer needed (its effect ran, or failed and is handled as a failure). */
export function dropGuard(record: CallRecord, retryId: string): CallRecord | null {
  const retries = record.retries ?? [];
  if (!retries.some((r) => r.retryId === retryId)) return null;
  return { ...record, retries: retries.filter((r) => r.retryId !== retryId) };
}

/**
 * Pure: the pending retries of `record` whose effect runs where the call's sockets are (a
 * terminal `transfer_status`; on a carrier whose stream's close moves the caller, a hang-up):
 * what the worker holding them runs at once when its subscription is back after a Redis restart,
 * rather than when their timers fire (socket-commands.ts). Running one early is running its
 * retry: the timer then finds it gone.
 */
export function owedToSockets(record: CallRecord, streamCloseMovesCaller: () => boolean): string[] {
  if (record.phase === 'ended') return [];
  return (record.retries ?? [])
    .filter((r) => needsSocketOwner(r.effect, false, streamCloseMovesCaller))
    .map((r) => r.retryId);
}
