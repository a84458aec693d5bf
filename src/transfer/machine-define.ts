import type { TransferMode } from '../domain/outcome.js';
import {
  type Applied,
  cleanCarrierCode,
  commit,
  type Draft,
  detailOf,
  draftOf,
  dropLeg,
  finish,
  liveCurrentLeg,
  type Mutable,
  nextOrReturn,
  status,
  strayAnswer,
  strayRing,
} from './machine-draft.js';
import { freshState } from './machine-start.js';
import { isTerminalState, type LegRecord, type MachineState, type TransferMachine } from './machine-state.js';
import type { LegId, StepContext, StepResult, TransferEvent, TransferInput } from './machine-types.js';

/**
 * The skeleton every mode's machine shares, so a mode's file holds only what is its own: how it
 * starts, how it applies an event, and how a running transfer's phase follows from its legs.
 */

/** What a mode's machine is made of. */
export interface MachineSpec<M extends TransferMode, P extends string> {
  readonly mode: M;
  /** Phase of a fresh transfer, before its first event. */
  readonly startPhase: P;
  /**
   * The mode's first moves, once the chain is known non-empty, the flag set (invariant 2: before
   * anything can end the AI stream) and `started` told to the agent.
   */
  start(d: Draft<MachineState<M, P>>, input: TransferInput): void;
  /**
   * Applies one event to a running transfer: the timeline detail, or null when the event does
   * not apply (the state is then returned untouched).
   */
  apply(d: Draft<MachineState<M, P>>, event: TransferEvent): Applied;
  /** The phase of a transfer still running after an applied event. */
  syncPhase(d: Draft<MachineState<M, P>>): void;
}

/** A mode's machine, with its `initial` and `step` also available on their own (table tests). */
export type DefinedMachine<M extends TransferMode, P extends string> = TransferMachine<MachineState<M, P>>;

export function defineMachine<M extends TransferMode, P extends string>(
  spec: MachineSpec<M, P>,
): DefinedMachine<M, P> {
  type S = MachineState<M, P>;
  const initial = (input: TransferInput, ctx: StepContext): StepResult<S> => {
    const d = draftOf(freshState(input, ctx, spec.mode, spec.startPhase), ctx);
    const { plan } = d.s;
    const first = plan.chain[0];
    if (first === undefined) {
      finish(d, 'missing_transfer_number', null);
      return commit(d.s as S, d, 'transfer.started', detailOf({ trigger: plan.trigger, chain: 0 }));
    }
    d.effects.push({ type: 'flag.set', destination: first });
    status(d, 'started', undefined, first);
    spec.start(d, input);
    return commit(
      d.s as S,
      d,
      'transfer.started',
      detailOf({ trigger: plan.trigger, chain: plan.chain.length }),
    );
  };
  const step = (state: S, event: TransferEvent, ctx: StepContext): StepResult<S> => {
    const d = draftOf(state, ctx);
    // Once over, only the safety rules act ({@link afterTheEnd}). (After `connected`, the joined
    // leg's end belongs to the call record, not to the transfer.)
    const detail = d.s.outcome !== null ? afterTheEnd(d, event) : spec.apply(d, event);
    if (detail !== null && d.s.outcome === null) spec.syncPhase(d);
    return commit(state, d, event.type, detail);
  };
  return { mode: spec.mode, initial, step, isTerminal: isTerminalState };
}

/** Once over, only the safety rules act: a leg given up that answers, or rings after all, is hung up. */
function afterTheEnd(d: Draft<MachineState<TransferMode, string>>, event: TransferEvent): Applied {
  if (event.type === 'leg.answered') return strayAnswer(d, event.legId);
  if (event.type === 'leg.ringing') return strayRing(d, event.legId);
  return null;
}

/** `leg.ringing` for the leg being tried: the same in every mode. */
export function onRinging(d: Draft<MachineState<TransferMode, string>>, legId: LegId): Applied {
  const leg = liveCurrentLeg(d, legId);
  if (leg === undefined) return strayRing(d, legId);
  if (leg.status !== 'dialing') return null;
  leg.status = 'ringing';
  status(d, 'ringing', leg.legId);
  return detailOf({ leg: leg.legId });
}

/**
 * `leg.answered` in a mode where the answer is the bridge (the carrier joins the human to the
 * caller itself, as a cold `<Dial>` does): the transfer is connected; a leg no longer tried is a
 * stray answer.
 */
export function onAnswerConnects(d: Draft<MachineState<TransferMode, string>>, legId: LegId): Applied {
  const leg = liveCurrentLeg(d, legId);
  if (leg === undefined) return strayAnswer(d, legId);
  leg.status = 'connected';
  leg.outcome = 'connected';
  finish(d, 'connected', null);
  return detailOf({ leg: leg.legId, outcome: 'connected' });
}

/**
 * A leg answered by a machine (the carrier's answering-machine detection): never briefed or
 * whispered to, never connected. Its attempt ends `voicemail`, the leg is hung up, and the next
 * destination is dialed with `dial`, or the caller goes back to the AI.
 */
export function onMachine(
  d: Draft<MachineState<TransferMode, string>>,
  leg: Mutable<LegRecord>,
  dial: (index: number) => LegId,
): Applied {
  dropLeg(d, leg, 'voicemail', null, true);
  return `${detailOf({ leg: leg.legId, answeredBy: 'machine' })} ${nextOrReturn(d, 'voicemail', null, dial)}`;
}

/**
 * `leg.error` (a carrier command for the leg failed for good): the leg may have half-happened
 * (a dial placed, a whisper or join left a human on the line), so it is hung up (idempotent in
 * the shell) before the next destination is dialed with `dial`, or the caller goes back to the AI.
 */
export function onLegError(
  d: Draft<MachineState<TransferMode, string>>,
  event: Extract<TransferEvent, { type: 'leg.error' }>,
  dial: (index: number) => LegId,
): Applied {
  const leg = liveCurrentLeg(d, event.legId);
  if (leg === undefined) return null;
  const code = cleanCarrierCode(event.carrierCode);
  dropLeg(d, leg, 'carrier_error', code, true);
  return `${detailOf({ leg: leg.legId })} ${nextOrReturn(d, 'carrier_error', code, dial)}`;
}
