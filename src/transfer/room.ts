/**
 * The caller in the hold room, for the modes that hold them there while a human is dialed and
 * briefed (warm, agentic): arriving, leaving, coming back, and the join once both are in. One
 * place, so the modes agree on what the room's reports mean.
 */
import { onLegError, onMachine, onRinging } from './machine-define.js';
import {
  type AnyState,
  type Applied,
  cancelTimer,
  cleanCarrierCode,
  consumeTimer,
  type Draft,
  detailOf,
  dialLeg,
  dropLeg,
  endReturning,
  finish,
  hasTimer,
  liveCurrentLeg,
  type Mutable,
  nextOrReturn,
  outcomeOfEnd,
  staleEnd,
  startTimer,
  status,
  strayAnswer,
} from './machine-draft.js';
import type { LegRecord } from './machine-state.js';
import {
  CALLER_CHECK_WAIT_MS,
  CALLER_LEFT_CONFIRM_MS,
  CALLER_VERIFY_WAIT_MS,
  HOLD_CONFIRM_WAIT_MS,
} from './machine-state.js';
import type { TransferEvent } from './machine-types.js';
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
  // Every human failed and the carrier is being asked about the caller: its answer decides.
  if (!d.s.flags.callerMoved || d.s.flags.returning !== undefined) return null;
  const rejoined = awaitingCaller(d);
  if (d.s.flags.callerHeld && !rejoined) return null;
  if (rejoined) cancelCallerWait(d);
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
  if (!d.s.flags.callerMoved || awaitingCaller(d) || d.s.flags.returning !== undefined) return null;
  startTimer(d, 'confirm', d.nowMs + CALLER_LEFT_CONFIRM_MS);
  return detailOf({ note: 'caller_left_room' });
}

/**
 * The `confirm` timer: out of the room and not back. The room's reports may have come out of
 * order (a hold that reached the carrier twice: its "back in" before its "out", seeds 9112 and
 * 12225), so the carrier is asked whether the caller's call is still live (`caller.check`,
 * bounded by `check`) before anyone takes them for gone.
 */
export function onLeftConfirmed(d: RoomDraft): Applied {
  d.effects.push({ type: 'caller.check' });
  startTimer(d, 'check', d.nowMs + CALLER_CHECK_WAIT_MS);
  return detailOf({ timer: 'confirm', note: 'caller_check' });
}

/**
 * `caller.present` while checking: the carrier says the call is live, so the caller is on hold in
 * the room — joined with a human there, or, once every human failed (`returning`), returned to
 * the AI.
 */
export function onCallerPresent(d: RoomDraft): Applied {
  if (hasTimer(d, 'verify')) {
    cancelTimer(d, 'verify');
    const returning = d.s.flags.returning;
    if (returning === undefined) return detailOf({ note: 'caller_present', join: tryConnect(d, true) });
    endReturning(d);
    return detailOf({ note: 'caller_present', outcome: returning.outcome });
  }
  if (!hasTimer(d, 'check')) return null;
  cancelTimer(d, 'check');
  d.s.flags.callerHeld = true;
  return detailOf({ note: 'caller_still_held', join: tryConnect(d, true) });
}

/**
 * The `verify` timer: the carrier did not say in time; the caller is taken to be on hold, as the
 * room reported — returned to the AI once every human failed, else joined with the human.
 */
export function onVerifyExpired(d: RoomDraft): Applied {
  const outcome = d.s.flags.returning?.outcome;
  if (endReturning(d)) return detailOf({ timer: 'verify', outcome, note: 'caller_unconfirmed' });
  return detailOf({ timer: 'verify', note: 'caller_unconfirmed', join: tryConnect(d, true) });
}

/** The `check` timer: the carrier never said the call is live: the caller hung up (their status may still come). */
export function onCheckExpired(d: RoomDraft): Applied {
  finish(d, 'caller_hangup', null);
  return detailOf({ timer: 'check', outcome: 'caller_hangup', note: 'caller_left_room' });
}

/** Out of the room and not yet known to be back or gone: nobody joins them. */
function awaitingCaller(d: RoomDraft): boolean {
  return hasTimer(d, 'confirm') || hasTimer(d, 'check');
}

function cancelCallerWait(d: RoomDraft): void {
  cancelTimer(d, 'confirm');
  cancelTimer(d, 'check');
}

/** `caller.hold_failed`: the move never took, the caller is still with the AI (no `caller.to_agent`). */
export function onHoldFailed(d: RoomDraft, carrierCode: string | undefined): Applied {
  if (!d.s.flags.callerMoved || d.s.flags.callerHeld) return null;
  d.s.flags.callerMoved = false;
  finish(d, 'carrier_error', cleanCarrierCode(carrierCode));
  return detailOf({ outcome: 'carrier_error' });
}

/**
 * The human ready and the caller in the room (and not just gone from it): connected — once the
 * carrier says the caller's call is live. The room's report of the caller leaving and their
 * status callback may both be lost, and `connected` with nobody on the line would leave the
 * human alone in the room; so the carrier is asked first (`caller.check`, bounded by the `verify`
 * timer, which believes the room). `confirmed`: the carrier has just said so.
 */
export function tryConnect(d: RoomDraft, confirmed = false): string {
  const leg = liveCurrentLeg(d);
  if (leg?.status !== 'ready') return 'not_ready';
  if (!d.s.flags.callerHeld) return 'awaiting_hold';
  if (awaitingCaller(d)) return 'awaiting_caller';
  if (!confirmed) {
    if (hasTimer(d, 'verify')) return 'checking_caller';
    d.effects.push({ type: 'caller.check' });
    startTimer(d, 'verify', d.nowMs + CALLER_VERIFY_WAIT_MS);
    return 'checking_caller';
  }
  leg.status = 'connected';
  leg.outcome = 'connected';
  finish(d, 'connected', null);
  return 'connected';
}

/**
 * What warm and agentic do alike with an event: the handoff, the human's leg ringing, answering
 * (then `reach`: the whisper, or the briefing, named `step` on the timeline), ending and failing,
 * the caller in and out of the room, and the agent's summary. `undefined`: the mode's own event.
 */
export function applyRoomEvent(
  d: RoomDraft,
  event: TransferEvent,
  step: string,
  reach: (leg: Mutable<LegRecord>) => string,
): Applied | undefined {
  switch (event.type) {
    case 'handoff.played':
      if (d.s.flags.callerMoved) return null;
      d.s.flags.handoffPlayed = true;
      cancelTimer(d, 'handoff');
      holdCaller(d);
      return detailOf({ note: 'caller_to_hold' });
    case 'leg.ringing':
      return onRinging(d, event.legId);
    case 'leg.answered': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined) return strayAnswer(d, event.legId);
      if (leg.status !== 'dialing' && leg.status !== 'ringing') return null;
      if (event.machine === true) return onMachine(d, leg, (i) => dialLeg(d, i));
      leg.status = 'answered';
      cancelTimer(d, `ring:${leg.legId}`);
      status(d, 'answered', leg.legId);
      if (event.verdictDueMs !== undefined) {
        // Detection still listens: no whisper or briefing to what may be a greeting until it decided.
        startTimer(d, `amd:${leg.legId}`, d.nowMs + event.verdictDueMs);
        return detailOf({ leg: leg.legId, answeredBy: 'pending' });
      }
      return detailOf({ leg: leg.legId, [step]: reach(leg) });
    }
    case 'leg.verdict':
      return onVerdict(d, event.legId, event.machine, step, reach);
    case 'timer.fired': {
      const { timerId } = event;
      if (!timerId.startsWith('amd:')) return undefined;
      if (!consumeTimer(d, timerId)) return null;
      // No verdict in time: not known to be a machine (as Twilio's `unknown`), the human is reached.
      const leg = liveCurrentLeg(d, timerId.slice('amd:'.length));
      if (leg?.status !== 'answered') return detailOf({ timer: 'amd' });
      return detailOf({
        timer: 'amd',
        leg: leg.legId,
        answeredBy: 'unknown',
        [step]: reachable(d, leg, reach),
      });
    }
    case 'leg.ended': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined) return staleEnd(d, event.legId, event.status);
      const code = cleanCarrierCode(event.carrierCode);
      // `completed` before connected: the human hung up (during the whisper or briefing, before
      // the answer callback arrived, or alone in the room). Invariant 4 counts it as a failed attempt.
      const outcome = outcomeOfEnd(event.status);
      dropLeg(d, leg, outcome, code, false);
      return `${detailOf({ leg: leg.legId, status: event.status })} ${nextOrReturn(d, outcome, code, (i) => dialLeg(d, i))}`;
    }
    case 'leg.error':
      // A failed whisper, briefing or join leaves a human on the line: hang that leg up before the next.
      return onLegError(d, event, (i) => dialLeg(d, i));
    case 'caller.held':
      return onCallerHeld(d);
    case 'caller.left':
      // Ringing or briefing on would reach a human into an empty room (invariant 5).
      return onCallerLeft(d);
    case 'caller.present':
      return onCallerPresent(d);
    case 'caller.hold_failed':
      return onHoldFailed(d, event.carrierCode);
    case 'summary.received':
      return onSummary(d, event.text, step, reach);
    default:
      return undefined;
  }
}

/** The agent's summary: kept (a blank one is none: the fallback speaks), then `reach` an answered human. */
function onSummary(
  d: RoomDraft,
  raw: string,
  step: string,
  reach: (leg: Mutable<LegRecord>) => string,
): Applied {
  const { flags } = d.s;
  if (d.s.plan.whisper.kind !== 'summary' || flags.summaryText !== null) return null;
  const text = raw.trim();
  if (text === '' && flags.summaryDone) return null;
  flags.summaryDone = true;
  if (text !== '') flags.summaryText = text;
  cancelTimer(d, 'summary');
  const leg = liveCurrentLeg(d);
  const started = leg !== undefined && awaitsReach(d, leg) ? reach(leg) : null;
  return detailOf({ chars: text.length, [step]: started });
}

/**
 * An answered leg the whisper or briefing may now reach: not while answering-machine detection
 * still listens to it (its `amd` timer runs).
 */
export function awaitsReach(d: RoomDraft, leg: Mutable<LegRecord>): boolean {
  return leg.status === 'answered' && !hasTimer(d, `amd:${leg.legId}`);
}

function reachable(
  d: RoomDraft,
  leg: Mutable<LegRecord>,
  reach: (leg: Mutable<LegRecord>) => string,
): string {
  return awaitsReach(d, leg) ? reach(leg) : 'waiting';
}

/**
 * `leg.verdict` (asynchronous detection): a machine is dropped (`voicemail`, the next destination);
 * a human is reached now. A verdict before the answer's own report counts as that answer too.
 */
function onVerdict(
  d: RoomDraft,
  legId: string,
  machine: boolean,
  step: string,
  reach: (leg: Mutable<LegRecord>) => string,
): Applied {
  const leg = liveCurrentLeg(d, legId);
  if (leg === undefined) return null;
  const pending = leg.status === 'answered' && hasTimer(d, `amd:${leg.legId}`);
  const early = leg.status === 'dialing' || leg.status === 'ringing';
  if (!pending && !early) return null;
  cancelTimer(d, `amd:${leg.legId}`);
  if (machine) return onMachine(d, leg, (i) => dialLeg(d, i));
  if (early) {
    leg.status = 'answered';
    cancelTimer(d, `ring:${leg.legId}`);
    status(d, 'answered', leg.legId);
  }
  return detailOf({ leg: leg.legId, answeredBy: 'human', [step]: reachable(d, leg, reach) });
}
