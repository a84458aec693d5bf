import type { TransferState } from '../transfer/machine.js';

/** Durations of one ended transfer, read from its saved state and timeline (pure). */
export interface TransferTimings {
  /** Dial to answer of the leg that connected, ms. */
  readonly ringMs?: number;
  /** Start of the transfer to the human having the caller, ms (connected only). */
  readonly timeToHumanMs?: number;
}

/** Whether a timeline detail (`k=v k=v`) names `legId` under one of `keys` (`leg`, `next`). */
function mentions(detail: string | undefined, legId: string, keys: readonly string[]): boolean {
  if (detail === undefined) return false;
  return detail.split(' ').some((part) => keys.some((k) => part === `${k}=${legId}`));
}

export function transferTimings(state: TransferState): TransferTimings {
  if (state.outcome !== 'connected') return {};
  const out: { ringMs?: number; timeToHumanMs?: number } = {};
  // Warm and agentic connect once the carrier says the caller is still there (room.ts
  // `tryConnect`): the human had the caller from the moment both were in the room.
  const together = state.timeline.findLast((e) => e.detail?.includes('join=checking_caller') === true);
  const reachedAtMs = together?.atMs ?? state.endedAtMs;
  if (reachedAtMs !== null) out.timeToHumanMs = reachedAtMs - state.startedAtMs;
  const leg = state.legs.find((l) => l.outcome === 'connected' || l.status === 'connected');
  if (leg === undefined) return out;
  // Answered at its `leg.answered` (or a cold `leg.ended completed` whose answer went missing).
  const answered = state.timeline.find(
    (e) => (e.event === 'leg.answered' || e.event === 'leg.ended') && mentions(e.detail, leg.legId, ['leg']),
  );
  if (answered === undefined) return out;
  // Dialed at the first line naming it (a cold dial, or `next=` after a failed leg); a warm
  // transfer dials its first leg as it starts, on the `transfer.started` line.
  const named = state.timeline.find((e) => mentions(e.detail, leg.legId, ['leg', 'next']));
  const dialedAtMs = named !== undefined && named !== answered ? named.atMs : state.startedAtMs;
  if (answered.atMs >= dialedAtMs) out.ringMs = answered.atMs - dialedAtMs;
  return out;
}
