import type { FlagChange, StepCommit, TimerChanges } from '../store/types.js';
import type { CallRecord } from './call-record.js';
import type { CallEffect } from './call-reducer.js';
import { retryTimerName } from './effect-failures.js';

/**
 * Timers of one call share a namespace in the store; transfer timers are prefixed with their
 * transfer so a late timer of an earlier transfer never reaches the current one.
 */
export const CALL_TIMER_PREFIX = 'call|';

export function transferTimerKey(transferId: string, timerId: string): string {
  return `${transferId}|${timerId}`;
}

export type ParsedTimer =
  | { readonly kind: 'transfer'; readonly transferId: string; readonly timerId: string }
  | { readonly kind: 'call'; readonly name: string };

export function parseTimerKey(key: string): ParsedTimer | null {
  const bar = key.indexOf('|');
  if (bar <= 0) return null;
  const head = key.slice(0, bar);
  const rest = key.slice(bar + 1);
  if (rest.length === 0) return null;
  if (`${head}|` === CALL_TIMER_PREFIX) return { kind: 'call', name: rest };
  return { kind: 'transfer', transferId: head, timerId: rest };
}

export interface CommitSettings {
  /** TTL of `transfer:{callId}`, ms (default 300 000, seed 003). */
  readonly flagTtlMs: number;
  /** How long an ended call record is kept, ms. */
  readonly retentionMs: number;
  readonly nowMs: number;
}

/**
 * The store-side part of a step: the new record plus the flag, timer and retention changes the
 * effects ask for, written in the same atomic commit (STYLE.md 3). Effects that talk to the
 * carrier or the agent run only after that commit succeeded.
 */
export function commitFor(
  record: CallRecord,
  effects: readonly CallEffect[],
  settings: CommitSettings,
): StepCommit<CallRecord, readonly CallEffect[]> {
  let flag: FlagChange | undefined;
  const start: { timerId: string; atMs: number }[] = [];
  const cancel: string[] = [];
  let ended = false;
  for (const e of effects) {
    if (e.type === 'call.finished') ended = true;
    if (e.type === 'retry.schedule')
      start.push({ timerId: `${CALL_TIMER_PREFIX}${retryTimerName(e.retryId)}`, atMs: e.atMs });
    if (e.type === 'retry.cancel') cancel.push(`${CALL_TIMER_PREFIX}${retryTimerName(e.retryId)}`);
    if (e.type !== 'transfer') continue;
    const fx = e.effect;
    if (fx.type === 'flag.set') flag = { set: fx.destination, ttlMs: settings.flagTtlMs };
    else if (fx.type === 'flag.clear') flag = { clear: true };
    else if (fx.type === 'timer.start')
      start.push({ timerId: transferTimerKey(e.transferId, fx.timerId), atMs: fx.atMs });
    else if (fx.type === 'timer.cancel') cancel.push(transferTimerKey(e.transferId, fx.timerId));
  }
  // A placement closed by `call.bound` ends without a session to finish: it leaves the live index too.
  if (record.phase === 'ended') ended = true;
  if (ended) flag = { clear: true };
  const timers: TimerChanges | undefined =
    start.length > 0 || cancel.length > 0
      ? { ...(start.length > 0 ? { start } : {}), ...(cancel.length > 0 ? { cancel } : {}) }
      : undefined;
  return {
    record,
    value: effects,
    ...(flag === undefined ? {} : { flag }),
    ...(timers === undefined ? {} : { timers }),
    ...(ended
      ? { ended: { agentId: record.agentId, endedAtMs: settings.nowMs, retentionMs: settings.retentionMs } }
      : {}),
  };
}
