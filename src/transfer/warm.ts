import { defineMachine } from './machine-define.js';
import {
  type Applied,
  cancelTimer,
  consumeTimer,
  type Draft,
  detailOf,
  dialLeg,
  dropLeg,
  finish,
  hasTimer,
  liveCurrentLeg,
  type Mutable,
  nextOrReturn,
  startTimer,
  status,
} from './machine-draft.js';
import {
  JOIN_CONFIRM_WAIT_MS,
  type LegRecord,
  type MachineState,
  type TerminalPhase,
  whisperBudgetMs,
} from './machine-state.js';
import type { TimerId, TransferEvent } from './machine-types.js';
import { defineMode, type TransferModeDescriptor } from './mode.js';
import {
  applyRoomEvent,
  awaitsReach,
  callerInRoom,
  holdCaller,
  onCheckExpired,
  onLeftConfirmed,
  onVerifyExpired,
  tryConnect,
} from './room.js';

/**
 * Warm transfer: the human is dialed at once, while the AI's handoff sentence still plays (none
 * of the peers does this; it saves the sentence's length from the caller's wait). Once the
 * sentence has played the caller goes into the transfer's conference on hold. When the human
 * answers they hear a whisper meant for them only (static text, or the agent's summary asked for
 * at the start, or the template fallback), then join the caller, and the AI leaves (nixflex
 * "Warm transfer flow", seed 003 Twilio conference recipe, DESIGN.md invariants 2, 4, 5, 7).
 *
 * Failures (busy, no answer, decline, carrier error, the human hanging up during the whisper)
 * dial the next destination while the caller stays on hold, then return the caller to the AI.
 * The caller hanging up cancels every outbound leg, so nobody is briefed into an empty room
 * (reference/peers.md, item 4); the first news of it may be the carrier reporting the caller out
 * of the room (`caller.left`), before the caller's own status callback.
 */

/**
 * Phase of a running warm transfer is the state of the leg being tried:
 * - `dialing`, `ringing`: placed, not answered.
 * - `awaiting_summary`: answered; the agent's summary is not there yet (bounded by `summary`).
 * - `whispering`: the whisper plays to the human.
 * - `joining`: the whisper is over; the carrier has not reported the human in the room yet
 *   (bounded by `join:{legId}`). The whisper document ends by joining the room.
 * - `awaiting_hold`: the carrier reported the human in the room; the caller is not reported
 *   there yet (bounded by `hold`).
 *
 * `connected` needs both reports, the caller's (`caller.held`) and the human's (`human.joined`),
 * from the carrier's own conference events: a caller alone in a room is never connected, and a
 * human who hangs up during the whisper (whose hang-up callback may come late) never joins, so
 * the `join` bound gives the caller back to the next destination or the AI.
 */
export type WarmPhase =
  | 'dialing'
  | 'ringing'
  | 'awaiting_summary'
  | 'whispering'
  | 'awaiting_hold'
  | 'joining'
  /**
   * The carrier is asked whether the caller is still on hold: every human failed (`returning`),
   * or one is in the room to be joined with them (the `verify` timer runs).
   */
  | 'checking_caller'
  | TerminalPhase;

export type WarmState = MachineState<'warm', WarmPhase>;

type WarmDraft = Draft<WarmState>;
type Leg = Mutable<LegRecord>;

export const transferMachine = defineMachine<'warm', WarmPhase>({
  mode: 'warm',
  startPhase: 'dialing',
  start: (d) => {
    const { plan } = d.s;
    dialLeg(d, 0);
    if (plan.whisper.kind === 'summary') {
      // Asked now so that it is ready when the human answers, not after.
      d.effects.push({ type: 'agent.summary_request', timeoutMs: plan.whisper.timeoutMs });
      startTimer(d, 'summary', d.nowMs + plan.whisper.timeoutMs);
    }
    startTimer(d, 'handoff', d.nowMs + d.s.handoffWaitMs);
  },
  apply: (d, event) => {
    const current = liveCurrentLeg(d);
    const briefed = current?.status === 'briefing' ? current : undefined;
    const detail = apply(d, event);
    // A briefing leg that stopped otherwise (hung up, the caller gone): its socket is told.
    if (
      briefed !== undefined &&
      briefed.status !== 'briefing' &&
      !d.effects.some((e) => e.type === 'briefing.end' && e.legId === briefed.legId)
    ) {
      const at = d.effects.findIndex(
        (e) => (e.type === 'carrier.cancel' && e.legId === briefed.legId) || e.type === 'transfer.ended',
      );
      const why = briefed.outcome ?? d.s.outcome;
      const reason =
        why === 'human_hangup' || why === 'caller_hangup' || why === 'canceled' ? why : ('failed' as const);
      const effect = { type: 'briefing.end' as const, legId: briefed.legId, reason, release: false };
      if (at < 0) d.effects.push(effect);
      else d.effects.splice(at, 0, effect);
    }
    return detail;
  },
  syncPhase,
});

export const { initial, step, isTerminal } = transferMachine;

/**
 * The warm mode needs a carrier with conferences; elsewhere it runs as cold, keeping its whisper
 * (the template, heard by the human before the bridge) and hold audio where the carrier can play
 * them, and the call's timeline says so (`transfer.warm_as_cold`; peers.md #2: never silently).
 */
export const warmMode: TransferModeDescriptor = defineMode<WarmState>({
  name: 'warm',
  machine: transferMachine,
  requires: ['conference'],
  fallback: 'cold',
  defaultRingTimeoutSec: 15, // nixflex seed
  whispers: true,
  dialsFrom: 'leg',
  effects: [
    'flag.set',
    'flag.clear',
    'timer.start',
    'timer.cancel',
    'carrier.dial',
    'carrier.cancel',
    'caller.hold',
    'caller.check',
    'caller.to_agent',
    'human.whisper',
    'human.brief',
    'briefing.end',
    'agent.summary_request',
    'agent.detach',
    'agent.status',
    'agent.resume',
    'transfer.ended',
  ],
  callerPlace: callerInRoom,
});

function apply(d: WarmDraft, event: TransferEvent): Applied {
  const shared = applyRoomEvent(d, event, 'whisper', (leg) => whisper(d, leg));
  if (shared !== undefined) return shared;
  switch (event.type) {
    case 'timer.fired':
      return onTimer(d, event.timerId);
    case 'whisper.played': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined || leg.status !== 'whispering') return null;
      cancelTimer(d, `whisper:${leg.legId}`);
      return detailOf({ leg: leg.legId, join: awaitJoin(d, leg) });
    }
    case 'human.joined': {
      const leg = liveCurrentLeg(d, event.legId);
      // From `answered` too: the answer webhook's bounded wait may have sent the fallback whisper.
      if (leg === undefined || leg.status === 'ready' || leg.status === 'dialing' || leg.status === 'ringing')
        return null;
      cancelTimer(d, `whisper:${leg.legId}`);
      cancelTimer(d, `join:${leg.legId}`);
      leg.status = 'ready';
      return detailOf({ leg: leg.legId, join: tryConnect(d) });
    }
    case 'briefing.result': {
      // `whisperVoice: agent`: the carrier played the agent's words (their mark came back).
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined || leg.status !== 'briefing') return null;
      cancelTimer(d, `briefing:${leg.legId}`);
      d.effects.push({ type: 'human.whisper', legId: leg.legId, text: '' });
      d.effects.push({ type: 'briefing.end', legId: leg.legId, reason: 'accepted', release: true });
      return detailOf({ leg: leg.legId, voice: 'agent', join: awaitJoin(d, leg) });
    }
    case 'briefing.failed': {
      // The agent could not speak the whisper: the carrier's voice says it instead.
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined || leg.status !== 'briefing') return null;
      return detailOf({ leg: leg.legId, fallback: carrierWhisper(d, leg, 'agent_failed') });
    }
    case 'caller.hangup':
      finish(d, 'caller_hangup', null);
      return detailOf({ outcome: 'caller_hangup' });
    case 'transfer.cancel':
      finish(d, 'canceled', null);
      return detailOf({ outcome: 'canceled', by: event.by });
    default:
      // Handled in room.ts (applyRoomEvent) above.
      return null;
  }
}

function onTimer(d: WarmDraft, timerId: TimerId): Applied {
  if (!consumeTimer(d, timerId)) return null;
  if (timerId === 'handoff') {
    holdCaller(d);
    return detailOf({ timer: timerId, note: 'caller_to_hold' });
  }
  if (timerId === 'confirm') return onLeftConfirmed(d);
  if (timerId === 'check') return onCheckExpired(d);
  if (timerId === 'verify') return onVerifyExpired(d);
  if (timerId === 'hold') {
    // The caller never showed up on hold: rather than brief a human into a conference the caller
    // may not be in, give the caller back to the AI.
    finish(d, 'failed', null);
    return detailOf({ timer: timerId, outcome: 'failed' });
  }
  if (timerId === 'summary') {
    d.s.flags.summaryDone = true;
    const leg = liveCurrentLeg(d);
    const started = leg !== undefined && awaitsReach(d, leg) ? whisper(d, leg) : null;
    return detailOf({ timer: timerId, whisper: started });
  }
  const [kind, legId] = splitLegTimer(timerId);
  const leg = liveCurrentLeg(d, legId);
  if (kind === 'briefing' && leg?.status === 'briefing') {
    return detailOf({ timer: kind, leg: leg.legId, fallback: carrierWhisper(d, leg, 'timeout') });
  }
  if (kind === 'ring' && (leg?.status === 'dialing' || leg?.status === 'ringing')) {
    dropLeg(d, leg, 'no_answer', null, true);
    return `${detailOf({ timer: kind, leg: leg.legId })} ${nextOrReturn(d, 'no_answer', null, (i) => dialLeg(d, i))}`;
  }
  if (kind === 'whisper' && leg?.status === 'whispering') {
    return detailOf({ timer: kind, leg: leg.legId, join: awaitJoin(d, leg) });
  }
  if (kind === 'join' && leg?.status === 'joining') {
    // The human never showed up in the room (hung up during the whisper, the callback still on
    // its way): the caller must not sit on hold with nobody.
    dropLeg(d, leg, 'failed', null, true);
    return `${detailOf({ timer: kind, leg: leg.legId })} ${nextOrReturn(d, 'failed', null, (i) => dialLeg(d, i))}`;
  }
  return detailOf({ timer: kind });
}

function splitLegTimer(timerId: TimerId): [string, string] {
  const at = timerId.indexOf(':');
  return at < 0 ? [timerId, ''] : [timerId.slice(0, at), timerId.slice(at + 1)];
}

/**
 * What the human hears, or null while the summary is still awaited. A summary that arrived wins;
 * after the `summary` timer, the plan's template fallback is used.
 */
function whisperText(d: WarmDraft): string | null {
  const plan = d.s.plan.whisper;
  switch (plan.kind) {
    case 'none':
      return '';
    case 'static':
      return plan.text.trim();
    case 'summary':
      return d.s.flags.summaryText ?? (d.s.flags.summaryDone ? plan.fallbackText.trim() : null);
  }
}

/** Starts the whisper on an answered leg, or goes straight to join when there is nothing to say. */
function whisper(d: WarmDraft, leg: Leg): string {
  const text = whisperText(d);
  if (text === null) return 'awaiting_summary';
  if (text === '') return `none_${awaitJoin(d, leg)}`;
  if (d.s.plan.whisperVoice === 'agent') {
    // The agent's own voice: the human's leg streams to a briefing socket, which gets `say`.
    leg.status = 'briefing';
    d.effects.push({ type: 'human.brief', legId: leg.legId });
    startTimer(d, `briefing:${leg.legId}`, d.nowMs + AGENT_VOICE_SLACK_MS + whisperBudgetMs(text));
    status(d, 'whispering', leg.legId);
    return 'agent_voice';
  }
  leg.status = 'whispering';
  d.effects.push({ type: 'human.whisper', legId: leg.legId, text });
  startTimer(d, `whisper:${leg.legId}`, d.nowMs + whisperBudgetMs(text));
  status(d, 'whispering', leg.legId);
  return 'playing';
}

/** Time for the briefing socket to open and the agent to start speaking, on top of the whisper's own budget. */
const AGENT_VOICE_SLACK_MS = 5_000;

/** The agent's voice failed or took too long: the carrier speaks the whisper, then the join. */
function carrierWhisper(d: WarmDraft, leg: Leg, reason: 'agent_failed' | 'timeout'): string {
  cancelTimer(d, `briefing:${leg.legId}`);
  const text = whisperText(d) ?? '';
  d.effects.push({ type: 'human.whisper', legId: leg.legId, text });
  d.effects.push({ type: 'briefing.end', legId: leg.legId, reason, release: true });
  leg.status = 'whispering';
  startTimer(d, `whisper:${leg.legId}`, d.nowMs + whisperBudgetMs(text));
  return 'whisper';
}

/**
 * The whisper is over: the human's document joins the room by itself; wait (bounded) for the
 * carrier to report them there.
 */
function awaitJoin(d: WarmDraft, leg: Leg): string {
  leg.status = 'joining';
  startTimer(d, `join:${leg.legId}`, d.nowMs + JOIN_CONFIRM_WAIT_MS);
  return 'joining';
}

function syncPhase(d: WarmDraft): void {
  const leg = liveCurrentLeg(d);
  if (d.s.flags.returning !== undefined || (leg?.status === 'ready' && hasTimer(d, 'verify'))) {
    d.s.phase = 'checking_caller';
    return;
  }
  switch (leg?.status) {
    case 'ringing':
      d.s.phase = 'ringing';
      return;
    case 'answered':
      d.s.phase = 'awaiting_summary';
      return;
    case 'whispering':
    case 'briefing':
      d.s.phase = 'whispering';
      return;
    case 'ready':
      d.s.phase = 'awaiting_hold';
      return;
    case 'joining':
      d.s.phase = 'joining';
      return;
    default:
      d.s.phase = 'dialing';
  }
}
