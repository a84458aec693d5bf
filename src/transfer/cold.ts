import {
  type Applied,
  cancelTimer,
  cleanCarrierCode,
  commit,
  consumeTimer,
  type Draft,
  detailOf,
  dialLeg,
  draftOf,
  dropLeg,
  finish,
  liveCurrentLeg,
  nextOrReturn,
  outcomeOfEnd,
  staleEnd,
  startTimer,
  status,
  strayAnswer,
} from './machine-draft.js';
import { freshState } from './machine-start.js';
import {
  isTerminalState,
  type MachineState,
  type TerminalPhase,
  type TransferMachine,
} from './machine-state.js';
import type {
  LegId,
  StepContext,
  StepResult,
  TimerId,
  TransferEvent,
  TransferInput,
} from './machine-types.js';

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
 */
export type ColdPhase = 'handoff' | 'dialing' | 'ringing' | TerminalPhase;

export type ColdState = MachineState<'cold', ColdPhase>;

type ColdDraft = Draft<ColdState>;

export function initial(input: TransferInput, ctx: StepContext): StepResult<ColdState> {
  const d = draftOf(freshState(input, ctx, 'cold', 'handoff' as ColdPhase), ctx);
  const first = d.s.plan.chain[0];
  if (first === undefined) {
    finish(d, 'missing_transfer_number', null);
    return commit(d.s, d, 'transfer.started', detailOf({ trigger: d.s.plan.trigger, chain: 0 }));
  }
  // Invariant 2: the flag is up before anything can end the AI stream.
  d.effects.push({ type: 'flag.set', destination: first });
  status(d, 'started', undefined, first);
  startTimer(d, 'handoff', ctx.nowMs + input.handoffWaitMs);
  return commit(
    d.s,
    d,
    'transfer.started',
    detailOf({ trigger: d.s.plan.trigger, chain: d.s.plan.chain.length }),
  );
}

export function step(state: ColdState, event: TransferEvent, ctx: StepContext): StepResult<ColdState> {
  const d = draftOf(state, ctx);
  const detail = apply(d, event);
  if (detail !== null && d.s.outcome === null) syncPhase(d);
  return commit(state, d, event.type, detail);
}

export function isTerminal(state: ColdState): boolean {
  return isTerminalState(state);
}

export const transferMachine: TransferMachine<ColdState> = { mode: 'cold', initial, step, isTerminal };

function apply(d: ColdDraft, event: TransferEvent): Applied {
  if (d.s.outcome !== null) {
    return event.type === 'leg.answered' ? strayAnswer(d, event.legId) : null;
  }
  switch (event.type) {
    case 'handoff.played':
      if (d.s.phase !== 'handoff') return null;
      d.s.flags.handoffPlayed = true;
      cancelTimer(d, 'handoff');
      return detailOf({ leg: dial(d, 0) });
    case 'timer.fired':
      return onTimer(d, event.timerId);
    case 'leg.ringing': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined || leg.status !== 'dialing') return null;
      leg.status = 'ringing';
      status(d, 'ringing', leg.legId);
      return detailOf({ leg: leg.legId });
    }
    case 'leg.answered': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined) return strayAnswer(d, event.legId);
      leg.status = 'connected';
      leg.outcome = 'connected';
      finish(d, 'connected', null);
      return detailOf({ leg: leg.legId, outcome: 'connected' });
    }
    case 'leg.ended': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined) return staleEnd(d, event.legId, event.status);
      const code = cleanCarrierCode(event.carrierCode);
      if (event.status === 'completed') {
        // Twilio's `DialCallStatus=completed` means the human answered and the bridge already
        // ended: the answer callback was lost or came late. The transfer did connect.
        dropLeg(d, leg, 'connected', code, false);
        finish(d, 'connected', null);
        return detailOf({ leg: leg.legId, status: event.status, outcome: 'connected' });
      }
      const outcome = outcomeOfEnd(event.status);
      dropLeg(d, leg, outcome, code, false);
      return `${detailOf({ leg: leg.legId, status: event.status })} ${nextOrReturn(d, outcome, code, (i) => dial(d, i))}`;
    }
    case 'leg.error': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined) return null;
      const code = cleanCarrierCode(event.carrierCode);
      // The dial may have half-happened; cancel is idempotent in the shell.
      dropLeg(d, leg, 'carrier_error', code, true);
      return `${detailOf({ leg: leg.legId })} ${nextOrReturn(d, 'carrier_error', code, (i) => dial(d, i))}`;
    }
    case 'caller.hangup':
      finish(d, 'caller_hangup', null);
      return detailOf({ outcome: 'caller_hangup' });
    case 'transfer.cancel':
      finish(d, 'canceled', null);
      return detailOf({ outcome: 'canceled', by: event.by });
    default:
      // caller.held, summary.received, whisper.played, human.joined: warm only.
      return null;
  }
}

function onTimer(d: ColdDraft, timerId: TimerId): Applied {
  if (!consumeTimer(d, timerId)) return null;
  if (timerId === 'handoff') {
    // The handoff sentence did not report back in time: dial anyway rather than leave the caller waiting.
    return detailOf({ timer: timerId, leg: dial(d, 0) });
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

function syncPhase(d: ColdDraft): void {
  const leg = liveCurrentLeg(d);
  d.s.phase = leg === undefined ? 'handoff' : leg.status === 'ringing' ? 'ringing' : 'dialing';
}
