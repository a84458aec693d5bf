import { DaemonError } from '../domain/errors.js';
import { flagArgs } from './common.js';
import { timerMember } from './keys.js';
import { COMMIT, INDEX_ENDED, SCHEDULE, UNSCHEDULE } from './lua.js';
import { replyArray, replyNumber, replyString, runScript } from './redis-client.js';
import type { RedisContext } from './redis-parts.js';
import type { CommitChanges, CommitFailure, CommitResult } from './types.js';

/** The call's state as a refused commit read it (lua.ts COMMIT), raw from Redis. */
export interface RefusedState {
  readonly v: unknown;
  readonly r: unknown;
  readonly e: unknown;
  readonly a: unknown;
  readonly timerLive: boolean;
}

export type RedisCommitResult =
  | CommitResult
  | {
      readonly ok: false;
      readonly reason: CommitFailure;
      readonly version: number;
      readonly state?: RefusedState;
    };

/**
 * One attempt of a commit (the caller retries with the same `token`).
 *
 * Single Redis: one COMMIT script, one round trip, everything atomic. Split slots (Redis
 * Cluster): the COMMIT script only touches the call's own slot; timer starts and the agent index
 * are written before it, timer removals and the active index after it, each step idempotent.
 * A crash between steps leaves only entries that readers check against the call hash: a timer
 * whose generation the hash does not name fires stale; an index entry for a call not ended (or
 * gone) is skipped when listed.
 */
export async function commitOnce(
  ctx: RedisContext,
  split: boolean,
  callId: string,
  c: CommitChanges<object>,
  record: string,
  token: string,
): Promise<RedisCommitResult> {
  const k = ctx.keys;
  const shard = k.shardOf(callId);
  const callKey = k.call(callId);
  const now = ctx.options.now();
  const starts = c.timers?.start ?? [];
  const cancels = c.timers?.cancel ?? [];
  const started = starts.map((s) => timerMember(callId, s.timerId, token));
  const { op: flagOp, value: flagValue, ttlMs: flagTtlMs } = flagArgs(c.flag, ctx.options.flagTtlMs);
  const retentionMs = c.ended?.retentionMs ?? ctx.options.retentionMs;

  if (split) {
    // Before the commit, so a crash in between leaves only timers that fire stale (the call
    // hash does not name their generation), never a live timer without a schedule.
    if (starts.length > 0) {
      const args = starts.flatMap((s, i) => [started[i] as string, s.atMs]);
      await runScript(ctx.send, SCHEDULE, [k.timersPending(shard), k.timersMeta(shard)], args);
    }
    if (c.ended !== undefined) {
      await runScript(
        ctx.send,
        INDEX_ENDED,
        [k.agentEnded(c.ended.agentId)],
        [callId, c.ended.endedAtMs, now, retentionMs],
      );
    }
  }

  const keys = [
    callKey,
    k.flag(callId),
    c.dedupeKey === undefined ? callKey : k.callDedupe(callId, c.dedupeKey),
    split ? callKey : k.timersPending(shard),
    split ? callKey : k.timersLeased(shard),
    split ? callKey : k.timersMeta(shard),
    split ? callKey : k.active(shard),
    split || c.ended === undefined ? callKey : k.agentEnded(c.ended.agentId),
  ];
  const args: (string | number)[] = [
    c.expectedVersion,
    record,
    token,
    now,
    callId,
    c.dedupeKey === undefined ? 0 : 1,
    c.dedupeTtlMs ?? ctx.options.dedupeTtlMs,
    flagOp,
    flagValue,
    flagTtlMs,
    c.firedTimer?.timerId ?? '',
    c.firedTimer?.generation ?? '',
    c.ended === undefined ? 0 : 1,
    c.ended?.endedAtMs ?? 0,
    c.ended?.agentId ?? '',
    retentionMs,
    ctx.options.activeTtlMs,
    split ? 1 : 0,
    cancels.length,
    ...cancels,
    starts.length,
    ...starts.flatMap((s) => [s.timerId, s.atMs]),
  ];
  const reply = replyArray(await runScript(ctx.send, COMMIT, keys, args));
  const status = replyString(reply[0]);
  const version = replyNumber(reply[1]);

  if (split) {
    const unschedule = status === 'ok' ? reply.slice(3).map(replyString) : [];
    // A failed commit's pre-scheduled timers are orphans: remove them now rather than at their deadline.
    if (status !== 'ok') unschedule.push(...started);
    if (unschedule.length > 0) {
      const shardKeys = [k.timersPending(shard), k.timersLeased(shard), k.timersMeta(shard)];
      await runScript(ctx.send, UNSCHEDULE, shardKeys, unschedule);
    }
    if (status === 'ok' && c.ended !== undefined) await ctx.send.call('ZREM', k.active(shard), callId);
  }

  if (status === 'ok') {
    if (starts.length === 0) return { ok: true, version };
    // Every start of one commit gets its token as generation (lua.ts COMMIT), a replay included.
    return {
      ok: true,
      version,
      started: starts.map((s) => ({ callId, timerId: s.timerId, generation: token, atMs: s.atMs })),
    };
  }
  if (status === 'missing') return { ok: false, reason: status, version };
  if (status === 'version_conflict' || status === 'duplicate' || status === 'stale_timer') {
    if (reply.length < 7) return { ok: false, reason: status, version };
    const state = {
      v: reply[1],
      r: reply[3],
      e: reply[4],
      a: reply[5],
      timerLive: replyNumber(reply[6]) === 1,
    };
    return { ok: false, reason: status, version, state };
  }
  throw new DaemonError('store_corrupt', 'unexpected commit reply');
}
