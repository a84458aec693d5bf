import { DaemonError } from '../domain/errors.js';
import { checkId } from './keys.js';
import { type CommitChanges, type FlagChange, STORE_DEFAULTS, type StoreOptions } from './types.js';

/** `StoreOptions` with every default filled in. */
export interface ResolvedOptions {
  readonly keyPrefix: string;
  readonly flagTtlMs: number;
  readonly dedupeTtlMs: number;
  readonly retentionMs: number;
  readonly activeTtlMs: number;
  readonly maxConflictRetries: number;
  readonly now: () => number;
}

export function resolveOptions(o: StoreOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    keyPrefix: o.keyPrefix ?? STORE_DEFAULTS.keyPrefix,
    flagTtlMs: o.flagTtlMs ?? STORE_DEFAULTS.flagTtlMs,
    dedupeTtlMs: o.dedupeTtlMs ?? STORE_DEFAULTS.dedupeTtlMs,
    retentionMs: o.retentionMs ?? STORE_DEFAULTS.retentionMs,
    activeTtlMs: o.activeTtlMs ?? STORE_DEFAULTS.activeTtlMs,
    maxConflictRetries: o.maxConflictRetries ?? STORE_DEFAULTS.maxConflictRetries,
    now: o.now ?? Date.now,
  };
  for (const name of ['flagTtlMs', 'dedupeTtlMs', 'retentionMs', 'activeTtlMs'] as const) {
    checkDuration(name, resolved[name]);
  }
  return resolved;
}

function checkDuration(name: string, ms: number): void {
  if (!Number.isInteger(ms) || ms <= 0)
    throw new DaemonError('invalid_argument', `${name} must be a positive integer (ms)`);
}

/** Records are stored as JSON; anything that does not survive `JSON.stringify` is refused up front. */
export function encodeRecord(record: object): string {
  const json = JSON.stringify(record) as string | undefined;
  if (json === undefined || typeof record !== 'object' || record === null) {
    throw new DaemonError('invalid_record', 'a call record must be a JSON-serializable object');
  }
  return json;
}

/** Refuses malformed commits before they reach a backend, so both backends see the same input. */
export function checkCommit(callId: string, c: CommitChanges<object>): void {
  checkId('callId', callId);
  if (!Number.isInteger(c.expectedVersion) || c.expectedVersion < 1) {
    throw new DaemonError('invalid_argument', 'expectedVersion must be a positive integer');
  }
  if (c.dedupeKey !== undefined) checkId('dedupeKey', c.dedupeKey);
  if (c.dedupeTtlMs !== undefined) checkDuration('dedupeTtlMs', c.dedupeTtlMs);
  if (c.flag !== undefined && 'ttlMs' in c.flag && c.flag.ttlMs !== undefined)
    checkDuration('flag.ttlMs', c.flag.ttlMs);
  for (const id of c.timers?.cancel ?? []) checkId('timerId', id);
  for (const s of c.timers?.start ?? []) {
    checkId('timerId', s.timerId);
    if (!Number.isFinite(s.atMs))
      throw new DaemonError('invalid_argument', 'timer atMs must be a finite number');
  }
  if (c.firedTimer !== undefined && c.firedTimer.callId !== callId) {
    throw new DaemonError('invalid_argument', 'firedTimer belongs to another call');
  }
  if (c.ended !== undefined) {
    checkId('agentId', c.ended.agentId);
    if (c.ended.retentionMs !== undefined) checkDuration('ended.retentionMs', c.ended.retentionMs);
  }
}

export function flagArgs(
  flag: FlagChange | undefined,
  defaultTtlMs: number,
): { op: '' | 'set' | 'refresh' | 'clear'; value: string; ttlMs: number } {
  if (flag === undefined) return { op: '', value: '', ttlMs: defaultTtlMs };
  if ('set' in flag) return { op: 'set', value: flag.set, ttlMs: flag.ttlMs ?? defaultTtlMs };
  if ('refresh' in flag) return { op: 'refresh', value: '', ttlMs: flag.ttlMs ?? defaultTtlMs };
  return { op: 'clear', value: '', ttlMs: defaultTtlMs };
}
