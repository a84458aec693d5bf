import type { Log } from '../log.js';
import type { CallRecord } from './call-record.js';
import type { CallEffect, CallInput } from './call-reducer.js';
import { effectName } from './effect-failures.js';
import { owedToSockets } from './effect-guards.js';
import { errorSummary } from './executor.js';
import { owedToSession } from './session-dues.js';
import { endSession, type SessionRegistry } from './sessions.js';

export interface CatchUpOptions {
  readonly sessions: SessionRegistry;
  readonly log: Log;
  /** The call's saved record; undefined when it is gone. */
  readonly get: (callId: string) => Promise<CallRecord | undefined>;
  /** Applies an input to the call (engine.ts). */
  readonly dispatch: (callId: string, input: CallInput) => Promise<unknown>;
  /** Runs socket effects here as a relayed one runs (executor `run` with `relayed: true`). */
  readonly runHere: (record: CallRecord, effects: readonly CallEffect[]) => Promise<void>;
  /** Whether the call's carrier moves the caller when the stream closes (Exotel). */
  readonly streamCloseMovesCaller: (record: CallRecord) => boolean;
  /** The worker holding the call's sockets (workers.ts), and this worker's id. */
  readonly holder: (callId: string) => Promise<string | null>;
  readonly workerId: string;
}

/**
 * A call's catch-up on the worker holding its session, once this worker's subscription is back
 * after a Redis restart (socket-commands.ts `#back`): the guarded socket effects its record still
 * owes run now through their retries (effect-guards.ts `owedToSockets`), then what the unguarded
 * relays lost meanwhile would have done (session-dues.ts `owedToSession`): the call's end, a
 * connected transfer's detach, a failed one's `resume`, the release of a session taken over.
 */
export function catchUpCall(o: CatchUpOptions): (callId: string) => Promise<void> {
  return async (callId) => {
    // Closed by a command that came before this catch-up: nothing is owed to it.
    if (o.sessions.get(callId) === undefined) return;
    const [record, holder] = await Promise.all([o.get(callId), o.holder(callId)]);
    const takenOver = holder !== null && holder !== o.workerId;
    // A session taken over meanwhile tells nothing more: the retries' timers find the new holder.
    if (record !== undefined && !takenOver)
      for (const retryId of owedToSockets(record, () => o.streamCloseMovesCaller(record)))
        await o.dispatch(callId, { type: 'effect.retry', retryId });
    const session = o.sessions.get(callId);
    if (session === undefined) return;
    const waiting = session.onCallerBack === undefined ? undefined : session.pendingResume?.transferId;
    const due = owedToSession(record, {
      resumed: session.resumed ?? new Set(),
      ...(waiting === undefined ? {} : { resumeWaiting: waiting }),
      takenOver,
      streamLive: session.bridge.carrierAttached,
    });
    if (due.type === 'nothing') return;
    if (due.type === 'close') {
      o.log.warn({ callId, reason: due.reason }, 'socket_command.caught_up_closed');
      endSession(
        o.sessions,
        callId,
        (err) => o.log.warn({ callId, err: errorSummary(err) }, 'agent.close_failed'),
        due.reason,
      );
      return;
    }
    if (record === undefined) return;
    o.log.warn({ callId, effects: due.effects.map(effectName) }, 'socket_command.caught_up');
    await o.runHere(record, due.effects);
  };
}
