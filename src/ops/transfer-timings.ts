import type { TransferState } from '../transfer/machine.js';

/** Durations of one ended transfer, read from its saved state and timeline (pure). */
export interface TransferTimings {
  /** Dial to answer of the leg that connected, ms. */
  readonly ringMs?: number;
  /** Start of the transfer to the human having the caller, ms (connected only). */
  readonly timeToHumanMs?: number;
}

/** Whether a timeline detail (`k=v k=v`) names `legId` as the leg acted on or dialed next. */
function mentions(detail: string | undefined, legId: string): boolean {
  if (detail === undefined) return false;
  return detail.split(' ').some((part) => part === `leg=${legId}` || part === `next=${legId}`);
}

export function transferTimings(state: TransferState): TransferTimings {
  if (state.outcome !== 'connected') return {};
  const out: { ringMs?: number; timeToHumanMs?: number } = {};
  if (state.endedAtMs !== null) out.timeToHumanMs = state.endedAtMs - state.startedAtMs;
  const leg = state.legs.find((l) => l.outcome === 'connected' || l.status === 'connected');
  if (leg === undefined) return out;
  const dialed = state.timeline.find((e) => mentions(e.detail, leg.legId));
  const answered = state.timeline.find(
    (e) => (e.event === 'leg.answered' || e.event === 'leg.ended') && mentions(e.detail, leg.legId),
  );
  if (dialed !== undefined && answered !== undefined && answered.atMs >= dialed.atMs) {
    out.ringMs = answered.atMs - dialed.atMs;
  }
  return out;
}
