import { defineMachine, onAnswerConnects, onLegError, onRinging } from './machine-define.js';
import {
  type Applied,
  cancelTimer,
  cleanCarrierCode,
  consumeTimer,
  type Draft,
  detailOf,
  dialLeg,
  dropLeg,
  finish,
  hasTimer,
  liveCurrentLeg,
  nextOrReturn,
  outcomeOfEnd,
  staleEnd,
  startTimer,
  status,
  strayAnswer,
} from './machine-draft.js';
import { CALLER_CONFIRM_WAIT_MS, type MachineState, type TerminalPhase } from './machine-state.js';
import type { LegId, TimerId, TransferEvent } from './machine-types.js';
import { type CallerPlace, type DialExtras, defineMode, type TransferModeDescriptor } from './mode.js';
import { carrierAnnouncement } from './plan-text.js';
import type { TransferPlan } from './plan-types.js';

/**
 * Cold (blind) transfer: the AI finishes its handoff sentence, the caller's own call is moved to
 * dial the human (Twilio `<Dial>` on the live call, Plivo `calls.transfer` to `<Dial>` XML, Exotel's
 * Connect applet), and the AI steps out once the human answers. Every failure tries the next
 * destination, then returns the caller to the AI (nixflex "Cold transfer flow", DESIGN.md
 * invariants 2, 4, 5, 7).
 *
 * Adapters must report `leg.answered` when the human picks up (Twilio `<Number statusCallback>`
 * `answered`): the `ring:{legId}` backstop would otherwise cancel a leg that is in conversation.
 */

/**
 * - `handoff`: the AI's handoff sentence plays; nothing dialed yet.
 * - `dialing`, `ringing`: the caller's call dials `plan.chain[index]`.
 * - `whispering`: a warm transfer run as cold where the carrier plays the whisper to the human
 *   before it bridges them (Exotel's `start_call_playback`): answered, not yet with the caller.
 *   The carrier reports nothing at the bridge, so the transfer is connected once the whisper's
 *   budget has passed ({@link carrierWhisperMs}, an upper bound), and a human who hangs up before is
 *   `human_hangup`, the caller back with the AI. A caller who hangs up before is `caller_hangup`.
 *   Either, once the whisper could have ended ({@link carrierWhisperMinMs}), leaves the bridge
 *   `unconfirmed` (on the transfer when it ends there, on the leg's line of the timeline always).
 * - `confirming`: the leg ended `canceled` unasked. The carrier cancels a dial when the caller
 *   hangs up and does not order the leg's callbacks before the caller's own status, so the
 *   machine waits (bounded by `confirm`) for the caller's fate before deciding anything: the
 *   caller's end gives `caller_hangup`; the caller reported live, or the bound, the next
 *   destination or the AI.
 */
export type ColdPhase = 'handoff' | 'dialing' | 'ringing' | 'whispering' | 'confirming' | TerminalPhase;

export type ColdState = MachineState<'cold', ColdPhase>;

type ColdDraft = Draft<ColdState>;

export const transferMachine = defineMachine<'cold', ColdPhase>({
  mode: 'cold',
  startPhase: 'handoff',
  start: (d, input) => startTimer(d, 'handoff', d.nowMs + input.handoffWaitMs),
  apply,
  syncPhase,
});

export const { initial, step, isTerminal } = transferMachine;

/**
 * The cold mode: needs nothing special of a carrier, and is where a warm transfer goes on a
 * carrier without conferences (warm.ts `fallback`).
 */
export const coldMode: TransferModeDescriptor = defineMode<ColdState>({
  name: 'cold',
  machine: transferMachine,
  requires: [],
  defaultRingTimeoutSec: 10, // nixflex seed
  whispers: false,
  dialsFrom: 'caller',
  effects: [
    'flag.set',
    'flag.clear',
    'timer.start',
    'timer.cancel',
    'carrier.dial',
    'carrier.cancel',
    'caller.to_agent',
    'agent.detach',
    'agent.status',
    'agent.resume',
    'transfer.ended',
  ],
  callerPlace,
  dialExtras,
});

/**
 * The caller's call is in the dial of the live leg, or back with the AI: the answer to the dial's
 * own continuation (its action webhook) and to any other continuation.
 */
function callerPlace(state: ColdState): CallerPlace {
  const live = state.legs.find((l) => l.status === 'dialing' || l.status === 'ringing');
  if (live === undefined) return { type: 'agent' };
  return {
    type: 'dial',
    legId: live.legId,
    to: state.plan.chain[live.index] ?? '',
    callerId: state.plan.callerId,
    timeoutMs: state.plan.ringTimeoutMs,
    ...dialExtras(state.plan),
    ...digitsOf(state.plan, state.plan.chain[live.index]),
    ...firstDialAnnouncement(state.plan, live.index),
  };
}

/** The carrier speaks the caller message before the first destination only (not again on fallback). */
export function firstDialAnnouncement(plan: TransferPlan, index: number): { announce?: string } {
  const announce = index === 0 ? carrierAnnouncement(plan) : undefined;
  return announce === undefined ? {} : { announce };
}

/** The keys a destination's leg dials once answered, as the caller's dial carries them. */
function digitsOf(plan: TransferPlan, to: string | undefined): { sendDigits?: string } {
  const digits = to === undefined ? undefined : plan.sendDigits?.[to];
  return digits === undefined ? {} : { sendDigits: digits };
}

/**
 * A cold plan that carries a whisper is a warm transfer run as cold on a carrier without
 * conferences (warm.ts `fallback`): the human hears the whisper before the bridge (the agent's
 * summary is not asked for: the template stands in), and the caller hears hold audio.
 */
function dialExtras(plan: TransferPlan): DialExtras {
  if (plan.whisper.kind === 'none') return {};
  const whisper = plan.whisper.kind === 'static' ? plan.whisper.text : plan.whisper.fallbackText;
  return { whisper, hold: plan.holdAudioUrl === undefined ? {} : { audioUrl: plan.holdAudioUrl } };
}

function apply(d: ColdDraft, event: TransferEvent): Applied {
  switch (event.type) {
    case 'handoff.played':
      if (d.s.phase !== 'handoff') return null;
      d.s.flags.handoffPlayed = true;
      cancelTimer(d, 'handoff');
      return detailOf({ leg: dial(d, 0) });
    case 'timer.fired':
      return onTimer(d, event.timerId);
    case 'leg.ringing':
      return onRinging(d, event.legId);
    case 'leg.answered':
      if (whisperAtCarrier(d.s.plan) !== undefined) return onAnswerWhispers(d, event.legId);
      return onAnswerConnects(d, event.legId);
    case 'leg.ended': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined) return staleEnd(d, event.legId, event.status);
      const code = cleanCarrierCode(event.carrierCode);
      if (leg.status === 'whispering') {
        // The human hung up before the whisper's upper bound: during it, never with the caller, or
        // (past its lower bound) perhaps just after the bridge, which the carrier does not report.
        const unconfirmed = event.status === 'completed' && mayBeBridged(d);
        cancelTimer(d, `whisper:${leg.legId}`);
        const ended = event.status === 'completed' ? 'human_hangup' : outcomeOfEnd(event.status);
        dropLeg(d, leg, ended, code, false);
        const detail = detailOf({
          leg: leg.legId,
          status: event.status,
          ...(unconfirmed ? { bridge: 'unconfirmed' } : {}),
        });
        return `${detail} ${nextOrReturn(d, ended, code, (i) => dial(d, i), { bridgeUnconfirmed: unconfirmed })}`;
      }
      if (event.status === 'completed') {
        // Twilio's `DialCallStatus=completed` means the human answered and the bridge already
        // ended: the answer callback was lost or came late. The transfer did connect.
        dropLeg(d, leg, 'connected', code, false);
        finish(d, 'connected', null);
        return detailOf({ leg: leg.legId, status: event.status, outcome: 'connected' });
      }
      const outcome = outcomeOfEnd(event.status);
      dropLeg(d, leg, outcome, code, false);
      if (event.status === 'canceled') {
        // Nobody here asked for this cancel: the caller may have hung up (their status is on its way).
        startTimer(d, 'confirm', d.nowMs + CALLER_CONFIRM_WAIT_MS);
        return detailOf({ leg: leg.legId, status: event.status, note: 'awaiting_caller' });
      }
      return `${detailOf({ leg: leg.legId, status: event.status })} ${nextOrReturn(d, outcome, code, (i) => dial(d, i))}`;
    }
    case 'caller.present': {
      if (!hasTimer(d, 'confirm')) return null;
      cancelTimer(d, 'confirm');
      return `${detailOf({ note: 'caller_present' })} ${resumeAfterCancel(d)}`;
    }
    case 'leg.error':
      // The dial may have half-happened; cancel is idempotent in the shell.
      return onLegError(d, event, (i) => dial(d, i));
    case 'caller.hangup': {
      // The leg the carrier canceled with the caller's call was the caller hanging up after all.
      const confirming = d.s.legs[d.s.index];
      if (hasTimer(d, 'confirm') && confirming !== undefined) confirming.outcome = 'caller_hangup';
      const unconfirmed = mayBeBridged(d);
      // A cold dial runs inside the caller's call: the carrier ends it with that call.
      finish(d, 'caller_hangup', null, { legsEndWithCaller: true, bridgeUnconfirmed: unconfirmed });
      return detailOf({ outcome: 'caller_hangup', ...(unconfirmed ? { bridge: 'unconfirmed' } : {}) });
    }
    case 'transfer.cancel':
      finish(d, 'canceled', null, { interrupt: true });
      return detailOf({ outcome: 'canceled', by: event.by });
    default:
      // caller.held, summary.received, whisper.played, human.joined: modes with a room only.
      return null;
  }
}

function onTimer(d: ColdDraft, timerId: TimerId): Applied {
  if (!consumeTimer(d, timerId)) return null;
  if (timerId === 'handoff') {
    // The handoff sentence did not report back in time: dial anyway rather than leave the caller waiting.
    return detailOf({ timer: timerId, leg: dial(d, 0) });
  }
  if (timerId === 'confirm') {
    // No news of the caller: the cancel was the carrier's own. The caller, if still there, waits
    // in the dial's continuation, which asks what next; nothing is sent to the caller's call.
    return `${detailOf({ timer: timerId })} ${resumeAfterCancel(d)}`;
  }
  if (timerId.startsWith('whisper:')) {
    const leg = liveCurrentLeg(d, timerId.slice('whisper:'.length));
    if (leg?.status !== 'whispering') return detailOf({ timer: 'whisper' });
    // The whisper's budget has passed: the carrier has bridged the human to the caller.
    return `${detailOf({ timer: 'whisper' })} ${onAnswerConnects(d, leg.legId) ?? ''}`.trim();
  }
  if (timerId.startsWith('ring:')) {
    const leg = liveCurrentLeg(d, timerId.slice('ring:'.length));
    if (leg === undefined) return detailOf({ timer: 'ring' });
    if (d.s.plan.ringEndsAtCarrier === true) {
      // The carrier's dial cannot be ended from here (Exotel's Connect applet rings for as long
      // as it rings, and bridges whoever answers): giving up now would tell the AI "no answer"
      // while the caller may yet talk to the human. The carrier's own report ends the attempt.
      return detailOf({ timer: 'ring', leg: leg.legId, note: 'awaiting_carrier' });
    }
    dropLeg(d, leg, 'no_answer', null, true);
    return `${detailOf({ timer: 'ring', leg: leg.legId })} ${nextOrReturn(d, 'no_answer', null, (i) => dial(d, i))}`;
  }
  return detailOf({ timer: timerId });
}

/** The caller's call leaves the AI stream to dial the human. */
function dial(d: ColdDraft, index: number): LegId {
  d.s.flags.callerMoved = true;
  return dialLeg(d, index);
}

/** After a leg's unasked cancel, once the caller is known to be there: next destination or the AI. */
function resumeAfterCancel(d: ColdDraft): string {
  const leg = d.s.legs[d.s.index];
  const code = leg?.carrierCode ?? null;
  return nextOrReturn(d, 'canceled', code, (i) => dial(d, i));
}

/**
 * How long the carrier's text-to-speech takes to say `text`, at most: 80 ms a character (speech
 * engines say 13-16 characters a second) and a second for the playback to start. The transfer is
 * recorded connected then, never before the caller can hear the human.
 */
export function carrierWhisperMs(text: string): number {
  return Math.min(60_000, 1_000 + 80 * text.length);
}

/**
 * How long the carrier's text-to-speech takes to say `text`, at least: 40 ms a character (no
 * engine says 25 characters a second) and no delay before it starts. Until then after the answer
 * the human cannot have been bridged to the caller.
 */
export function carrierWhisperMinMs(text: string): number {
  return 40 * text.length;
}

/**
 * The current leg hears the carrier's whisper, late enough that the carrier may already have
 * bridged the human to the caller (past {@link carrierWhisperMinMs} since the answer, which the
 * whisper timer's deadline gives): a hang-up now, by either, leaves it unknown whether the two
 * talked. The carrier reports nothing at the bridge; the record says so rather than guess.
 */
function mayBeBridged(d: ColdDraft): boolean {
  const leg = d.s.legs[d.s.index];
  if (leg?.status !== 'whispering') return false;
  const whisper = whisperAtCarrier(d.s.plan) ?? '';
  const timer = d.s.timers.find((t) => t.timerId === `whisper:${leg.legId}`);
  if (timer === undefined) return false;
  const answeredAtMs = timer.atMs - carrierWhisperMs(whisper);
  return d.nowMs - answeredAtMs >= carrierWhisperMinMs(whisper);
}

/** The whisper the carrier plays to the human before it bridges them, if the plan has one. */
function whisperAtCarrier(plan: TransferPlan): string | undefined {
  if (plan.ringEndsAtCarrier !== true) return undefined;
  const text = dialExtras(plan).whisper;
  return text === undefined || text.trim() === '' ? undefined : text;
}

/** Answered, and hearing the carrier's whisper: connected once its budget has passed. */
function onAnswerWhispers(d: ColdDraft, legId: LegId): Applied {
  const leg = liveCurrentLeg(d, legId);
  if (leg === undefined) return strayAnswer(d, legId);
  if (leg.status === 'whispering') return null;
  leg.status = 'whispering';
  if (hasTimer(d, `ring:${leg.legId}`)) cancelTimer(d, `ring:${leg.legId}`);
  status(d, 'answered', leg.legId);
  status(d, 'whispering', leg.legId);
  startTimer(d, `whisper:${leg.legId}`, d.nowMs + carrierWhisperMs(whisperAtCarrier(d.s.plan) ?? ''));
  return detailOf({ leg: leg.legId, whisper: 'carrier' });
}

function syncPhase(d: ColdDraft): void {
  if (hasTimer(d, 'confirm')) {
    d.s.phase = 'confirming';
    return;
  }
  const leg = liveCurrentLeg(d);
  d.s.phase =
    leg === undefined
      ? 'handoff'
      : leg.status === 'ringing'
        ? 'ringing'
        : leg.status === 'whispering'
          ? 'whispering'
          : 'dialing';
}
