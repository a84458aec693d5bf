/**
 * The caller in the hold room, for the modes that hold them there while a human is dialed and
 * briefed (warm, agentic): arriving, leaving, coming back, and the join once both are in. One
 * place, so the modes agree on what the room's reports mean.
 */
import {
  type AnyState,
  type Applied,
  cancelTimer,
  cleanCarrierCode,
  type Draft,
  detailOf,
  finish,
  hasTimer,
  liveCurrentLeg,
  startTimer,
} from './machine-draft.js';
import { CALLER_LEFT_CONFIRM_MS, HOLD_CONFIRM_WAIT_MS } from './machine-state.js';
import type { CallerPlace } from './mode.js';
import { carrierAnnouncement } from './plan-text.js';

type RoomDraft = Draft<AnyState>;

/** Where the caller belongs: with the AI until moved, then in the room on hold audio. */
export function callerInRoom(state: AnyState): CallerPlace {
  if (!state.flags.callerMoved) return { type: 'agent' };
  const { holdAudioUrl } = state.plan;
  const announce = carrierAnnouncement(state.plan);
  return {
    type: 'hold',
    ...(holdAudioUrl === undefined ? {} : { holdAudioUrl }),
    ...(announce === undefined ? {} : { announce }),
  };
}

/** The caller leaves the AI stream for the room, on hold audio (the carrier reports the arrival). */
export function holdCaller(d: RoomDraft): void {
  d.s.flags.callerMoved = true;
  const { holdAudioUrl } = d.s.plan;
  d.effects.push({ type: 'caller.hold', ...(holdAudioUrl === undefined ? {} : { holdAudioUrl }) });
  startTimer(d, 'hold', d.nowMs + HOLD_CONFIRM_WAIT_MS);
}

/**
 * `caller.held`: the caller is in the room (first arrival), or back in it just after leaving it —
 * the carrier moved them (a hold that reached them twice, as a webhook's answer and as a REST
 * command), not a hang-up.
 */
export function onCallerHeld(d: RoomDraft): Applied {
  if (!d.s.flags.callerMoved) return null;
  const rejoined = hasTimer(d, 'confirm');
  if (d.s.flags.callerHeld && !rejoined) return null;
  if (rejoined) cancelTimer(d, 'confirm');
  if (!d.s.flags.callerHeld) cancelTimer(d, 'hold');
  d.s.flags.callerHeld = true;
  return detailOf({ ...(rejoined ? { note: 'caller_rejoined' } : {}), join: tryConnect(d) });
}

/**
 * `caller.left`: out of the room the daemon put them in, and not moved by the daemon (it moves
 * the caller only after the transfer ended). A hang-up if they are not back within
 * CALLER_LEFT_CONFIRM_MS ({@link onLeftConfirmed}); until then nobody joins them.
 */
export function onCallerLeft(d: RoomDraft): Applied {
  if (!d.s.flags.callerMoved || hasTimer(d, 'confirm')) return null;
  startTimer(d, 'confirm', d.nowMs + CALLER_LEFT_CONFIRM_MS);
  return detailOf({ note: 'caller_left_room' });
}

/** The `confirm` timer: out of the room and not back, the caller hung up (their status may still come). */
export function onLeftConfirmed(d: RoomDraft): Applied {
  finish(d, 'caller_hangup', null);
  return detailOf({ timer: 'confirm', outcome: 'caller_hangup', note: 'caller_left_room' });
}

/** `caller.hold_failed`: the move never took, the caller is still with the AI (no `caller.to_agent`). */
export function onHoldFailed(d: RoomDraft, carrierCode: string | undefined): Applied {
  if (!d.s.flags.callerMoved || d.s.flags.callerHeld) return null;
  d.s.flags.callerMoved = false;
  finish(d, 'carrier_error', cleanCarrierCode(carrierCode));
  return detailOf({ outcome: 'carrier_error' });
}

/** The human ready and the caller in the room (and not just gone from it): connected. */
export function tryConnect(d: RoomDraft): string {
  const leg = liveCurrentLeg(d);
  if (leg?.status !== 'ready') return 'not_ready';
  if (!d.s.flags.callerHeld) return 'awaiting_hold';
  if (hasTimer(d, 'confirm')) return 'awaiting_caller';
  leg.status = 'connected';
  leg.outcome = 'connected';
  finish(d, 'connected', null);
  return 'connected';
}
