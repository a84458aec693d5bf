import { type CallRecord, owedResume } from './call-record.js';
import type { CallEffect } from './call-reducer.js';

/** What a session held here shows of what its agent was told (sessions.ts `LocalSession`). */
export interface HeldSession {
  /** Transfers whose `resume` this session told the agent. */
  readonly resumed: ReadonlySet<string>;
  /** The transfer whose `resume` this session tells once the caller's next stream joins, if any. */
  readonly resumeWaiting?: string;
  /**
   * Another worker holds the call's sockets now: the caller's stream landed there and took the
   * session over, and its `handover` reached nobody here (socket-commands.ts `takeOver`).
   */
  readonly takenOver?: boolean;
  /** A carrier stream of the call is still joined to the session here (its media is live). */
  readonly streamLive?: boolean;
}

/** What a session held here is owed by its call's record (see {@link owedToSession}). */
export type SessionDue =
  | { readonly type: 'nothing' }
  /**
   * Close the session with `reason`: `call ended` when the record is gone (expired, or lost with
   * a Redis that kept nothing), `handed over` when another worker took the session over.
   */
  | { readonly type: 'close'; readonly reason: 'call ended' | 'handed over' }
  /** Socket effects to run here, as a relayed one runs (executor.ts, `relayed`). */
  | { readonly type: 'run'; readonly effects: readonly CallEffect[] };

const NOTHING: SessionDue = { type: 'nothing' };

/**
 * Pure: what the socket effects relayed to a session's worker, had they arrived, would have done
 * to it that it still lacks — given the call's record now and what the session shows. Run by
 * that worker when its subscription is back after a Redis restart (socket-commands.ts): the
 * relays sent meanwhile reached nobody, and the unguarded ones (`call.finished`, `agent.detach`,
 * `agent.resume`) have no retry to bring them again (effect-guards.ts).
 *
 * Each due is read from a state the record keeps for good once the effect was decided, and each
 * is gone once it ran on the session: a session still held for an ended call was never finished
 * (`call.finished` removes it); one still held with the call's last transfer `connected` (phase
 * `human`, entered only there: call-reducer.ts `closeTransfer`) was never detached (`agent.detach`
 * removes it); a failed transfer's `resume` neither told here nor waiting for the caller here, nor
 * recorded as told (`owedResume`), was never run here; a session whose call's sockets another
 * worker claimed since was never released (`handover` removes it). So running a due when the
 * command did arrive finds nothing owed.
 */
export function owedToSession(record: CallRecord | undefined, held: HeldSession): SessionDue {
  // What the `handover` would have done: the new holder's socket says `resumed`, and its stream's
  // start told the `resume` the record owed (media-sessions.ts); this one only goes.
  if (held.takenOver === true) return { type: 'close', reason: 'handed over' };
  // A record that is gone while the caller's stream still flows here was lost with Redis's data
  // (AOF's last second), not retired with a call that ended: the call goes on, and its stream's
  // end closes the session. Gone with no stream here: the call ended long enough ago.
  if (record === undefined)
    return held.streamLive === true ? NOTHING : { type: 'close', reason: 'call ended' };
  if (record.phase === 'ended') {
    // A call bound to another carrier id goes on under that id: its end finished nothing.
    if (record.endedReason === undefined || record.boundTo !== undefined) return NOTHING;
    return { type: 'run', effects: [{ type: 'call.finished', endedReason: record.endedReason }] };
  }
  const last = record.transfers.at(-1);
  if (record.phase === 'human') {
    if (last?.outcome !== 'connected') return NOTHING;
    return {
      type: 'run',
      effects: [{ type: 'transfer', transferId: last.transferId, effect: { type: 'agent.detach' } }],
    };
  }
  const told =
    held.resumeWaiting === undefined ? held.resumed : new Set([...held.resumed, held.resumeWaiting]);
  const owed = owedResume(record, told);
  // A caller who hung up during the transfer is never resumed (transfer/machine-draft.ts `finish`).
  if (owed === undefined || owed.outcome === 'caller_hangup') return NOTHING;
  const code = owed.carrierCode === undefined ? {} : { carrierCode: owed.carrierCode };
  return {
    type: 'run',
    effects: [
      {
        type: 'transfer',
        transferId: owed.transferId,
        effect: { type: 'agent.resume', outcome: owed.outcome, ...code },
      },
    ],
  };
}
