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
import type { BriefingEndReason, TimerId, TransferEffect, TransferEvent } from './machine-types.js';
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
 * Agentic warm transfer: as warm (the human dialed at once, the caller on hold in the transfer's
 * conference once the handoff sentence played), but when the human answers the agent itself
 * briefs them, in its own voice, over a second socket to the same agent URL (`role: briefing`,
 * docs/agent-protocol.md). The human's leg streams to the daemon meanwhile; the caller, on hold
 * in the room, is never part of that stream, and the briefing never reaches the room.
 *
 * The briefing ends with a decision: the agent's `briefing_result` (or its `accept_transfer` /
 * `decline_transfer` tool call), or the human pressing `acceptDigit` / `declineDigit`.
 * - Accepted: the human's continuation joins the room (decided before the stream is released),
 *   and `connected` follows the carrier's reports of both in the room, as in warm.
 * - Declined, or `briefingTimeoutSec` passed: the human's leg is hung up (outcome `declined`),
 *   the next destination is dialed, then the caller goes back to the AI.
 * - The briefing socket failing: the human hears the static whisper (the summary, or the
 *   template) and joins, as in warm; the timeline says so (`fallback: whisper`).
 * Every way a briefing leg ends sends the briefing socket `stop` with the reason (`briefing.end`).
 */
export type AgenticPhase =
  | 'dialing'
  | 'ringing'
  | 'awaiting_summary'
  | 'briefing'
  | 'whispering'
  | 'awaiting_hold'
  | 'joining'
  /**
   * The carrier is asked whether the caller is still on hold: every human failed (`returning`),
   * or one is in the room to be joined with them (the `verify` timer runs).
   */
  | 'checking_caller'
  | TerminalPhase;

export type AgenticState = MachineState<'agentic', AgenticPhase>;

type AgenticDraft = Draft<AgenticState>;
type Leg = Mutable<LegRecord>;

export const agenticMachine = defineMachine<'agentic', AgenticPhase>({
  mode: 'agentic',
  startPhase: 'dialing',
  start: (d) => {
    const { plan } = d.s;
    dialLeg(d, 0);
    if (plan.whisper.kind === 'summary') {
      // The briefing starts with the caller's summary: asked now, ready when the human answers.
      d.effects.push({ type: 'agent.summary_request', timeoutMs: plan.whisper.timeoutMs });
      startTimer(d, 'summary', d.nowMs + plan.whisper.timeoutMs);
    }
    startTimer(d, 'handoff', d.nowMs + d.s.handoffWaitMs);
  },
  apply: (d, event) => {
    const briefed = liveCurrentLeg(d);
    const before = briefed?.status === 'briefing' ? briefed : undefined;
    const detail = apply(d, event);
    // However the briefing leg stopped briefing (decided, hung up, the caller gone), its socket
    // is told, once, before the transfer's last effect.
    if (before !== undefined && before.status !== 'briefing' && !briefingEnded(d, before.legId)) {
      endBriefing(d, before.legId, endReason(before, d.s.outcome), false);
    }
    return detail;
  },
  syncPhase,
});

/** The agentic mode needs conferences and a human's leg that can stream; it has no fallback. */
export const agenticMode: TransferModeDescriptor = defineMode<AgenticState>({
  name: 'agentic',
  machine: agenticMachine,
  requires: ['conference', 'calleeStream'],
  defaultRingTimeoutSec: 15, // as warm (nixflex seed)
  whispers: true,
  briefs: true,
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
    'human.brief',
    'human.whisper',
    'briefing.end',
    'agent.summary_request',
    'agent.detach',
    'agent.status',
    'agent.resume',
    'transfer.ended',
  ],
  callerPlace: callerInRoom,
});

function apply(d: AgenticDraft, event: TransferEvent): Applied {
  const shared = applyRoomEvent(d, event, 'briefing', (leg) => brief(d, leg));
  if (shared !== undefined) return shared;
  switch (event.type) {
    case 'timer.fired':
      return onTimer(d, event.timerId);
    case 'briefing.result': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined || leg.status !== 'briefing') return null;
      cancelTimer(d, `briefing:${leg.legId}`);
      if (event.accepted) {
        // The human's continuation is decided before their stream is released: join the room.
        d.effects.push({ type: 'human.whisper', legId: leg.legId, text: '' });
        endBriefing(d, leg.legId, 'accepted', true);
        return detailOf({ leg: leg.legId, accepted: 'yes', by: event.by, join: awaitJoin(d, leg) });
      }
      endBriefing(d, leg.legId, 'declined', false);
      dropLeg(d, leg, 'declined', null, true);
      return `${detailOf({ leg: leg.legId, accepted: 'no', by: event.by })} ${nextOrReturn(d, 'declined', null, (i) => dialLeg(d, i))}`;
    }
    case 'briefing.failed': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined || leg.status !== 'briefing') return null;
      cancelTimer(d, `briefing:${leg.legId}`);
      // The agent cannot brief: the human hears the whisper (the carrier's voice) and joins.
      const text = whisperText(d) ?? '';
      d.effects.push({ type: 'human.whisper', legId: leg.legId, text });
      endBriefing(d, leg.legId, 'agent_failed', true);
      if (text === '') return detailOf({ leg: leg.legId, fallback: 'join', join: awaitJoin(d, leg) });
      leg.status = 'whispering';
      startTimer(d, `whisper:${leg.legId}`, d.nowMs + whisperBudgetMs(text));
      return detailOf({ leg: leg.legId, fallback: 'whisper' });
    }
    case 'whisper.played': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined || leg.status !== 'whispering') return null;
      cancelTimer(d, `whisper:${leg.legId}`);
      return detailOf({ leg: leg.legId, join: awaitJoin(d, leg) });
    }
    case 'human.joined': {
      const leg = liveCurrentLeg(d, event.legId);
      // Only after a decision (or the fallback whisper): a human mid-briefing is not in the room.
      if (leg === undefined || (leg.status !== 'joining' && leg.status !== 'whispering')) return null;
      cancelTimer(d, `whisper:${leg.legId}`);
      cancelTimer(d, `join:${leg.legId}`);
      leg.status = 'ready';
      return detailOf({ leg: leg.legId, join: tryConnect(d) });
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

function onTimer(d: AgenticDraft, timerId: TimerId): Applied {
  if (!consumeTimer(d, timerId)) return null;
  if (timerId === 'handoff') {
    holdCaller(d);
    return detailOf({ timer: timerId, note: 'caller_to_hold' });
  }
  if (timerId === 'confirm') return onLeftConfirmed(d);
  if (timerId === 'check') return onCheckExpired(d);
  if (timerId === 'verify') return onVerifyExpired(d);
  if (timerId === 'hold') {
    finish(d, 'failed', null);
    return detailOf({ timer: timerId, outcome: 'failed' });
  }
  if (timerId === 'summary') {
    d.s.flags.summaryDone = true;
    const leg = liveCurrentLeg(d);
    const started = leg !== undefined && awaitsReach(d, leg) ? brief(d, leg) : null;
    return detailOf({ timer: timerId, briefing: started });
  }
  const at = timerId.indexOf(':');
  const kind = timerId.slice(0, at);
  const leg = liveCurrentLeg(d, timerId.slice(at + 1));
  if (kind === 'ring' && (leg?.status === 'dialing' || leg?.status === 'ringing')) {
    dropLeg(d, leg, 'no_answer', null, true);
    return `${detailOf({ timer: kind, leg: leg.legId })} ${nextOrReturn(d, 'no_answer', null, (i) => dialLeg(d, i))}`;
  }
  if (kind === 'briefing' && leg?.status === 'briefing') {
    // No decision in time counts as a decline: the human's leg ends, the chain goes on.
    endBriefing(d, leg.legId, 'timeout', false);
    dropLeg(d, leg, 'declined', null, true);
    return `${detailOf({ timer: kind, leg: leg.legId })} ${nextOrReturn(d, 'declined', null, (i) => dialLeg(d, i))}`;
  }
  if (kind === 'whisper' && leg?.status === 'whispering') {
    return detailOf({ timer: kind, leg: leg.legId, join: awaitJoin(d, leg) });
  }
  if (kind === 'join' && leg?.status === 'joining') {
    dropLeg(d, leg, 'failed', null, true);
    return `${detailOf({ timer: kind, leg: leg.legId })} ${nextOrReturn(d, 'failed', null, (i) => dialLeg(d, i))}`;
  }
  return detailOf({ timer: kind });
}

/** The caller's summary the briefing starts with, or null while it is still awaited. */
function whisperText(d: AgenticDraft): string | null {
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

/** Starts the briefing on an answered leg once the summary is known. */
function brief(d: AgenticDraft, leg: Leg): string {
  if (whisperText(d) === null) return 'awaiting_summary';
  leg.status = 'briefing';
  d.effects.push({ type: 'human.brief', legId: leg.legId });
  const budget = d.s.plan.briefingTimeoutMs ?? 30_000;
  startTimer(d, `briefing:${leg.legId}`, d.nowMs + budget);
  status(d, 'whispering', leg.legId);
  return 'started';
}

function endBriefing(d: AgenticDraft, legId: string, reason: BriefingEndReason, release: boolean): void {
  const effect: TransferEffect = { type: 'briefing.end', legId, reason, release };
  // Before the leg's hang-up (so the socket's `stop` says why, not "the stream ended") and before
  // `transfer.ended`, which stays the transfer's last effect.
  const at = d.effects.findIndex(
    (e) => (e.type === 'carrier.cancel' && e.legId === legId) || e.type === 'transfer.ended',
  );
  if (at < 0) d.effects.push(effect);
  else d.effects.splice(at, 0, effect);
}

function briefingEnded(d: AgenticDraft, legId: string): boolean {
  return d.effects.some((e) => e.type === 'briefing.end' && e.legId === legId);
}

function endReason(leg: Leg, outcome: AgenticState['outcome']): BriefingEndReason {
  const why = leg.outcome ?? outcome;
  switch (why) {
    case 'human_hangup':
    case 'caller_hangup':
    case 'canceled':
    case 'declined':
      return why;
    default:
      return 'failed';
  }
}

function awaitJoin(d: AgenticDraft, leg: Leg): string {
  leg.status = 'joining';
  startTimer(d, `join:${leg.legId}`, d.nowMs + JOIN_CONFIRM_WAIT_MS);
  return 'joining';
}

function syncPhase(d: AgenticDraft): void {
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
    case 'briefing':
      d.s.phase = 'briefing';
      return;
    case 'whispering':
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
