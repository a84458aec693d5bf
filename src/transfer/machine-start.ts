import { DaemonError } from '../domain/errors.js';
import type { TransferMode } from '../domain/outcome.js';
import type { MachineState } from './machine-state.js';
import type { StepContext, TransferInput } from './machine-types.js';
import type { TransferPlan } from './plan-types.js';

/**
 * The state a machine starts from, before its first effects. The plan is copied through JSON so
 * the state equals its saved form (an explicit `holdAudioUrl: undefined` would not survive Redis).
 * A plan of the other mode is a programming error in the caller and fails loudly: a warm transfer
 * must never silently degrade to a cold one (reference/peers.md, item 2).
 */
export function freshState<M extends TransferMode, P extends string>(
  input: TransferInput,
  ctx: StepContext,
  mode: M,
  phase: P,
): MachineState<M, P> {
  if (input.plan.mode !== mode) {
    throw new DaemonError(
      'transfer_mode_mismatch',
      `a ${input.plan.mode} plan was given to the ${mode} machine`,
    );
  }
  const plan = JSON.parse(JSON.stringify(input.plan)) as TransferPlan;
  return {
    transferId: input.transferId,
    callId: input.callId,
    mode,
    plan,
    handoffWaitMs: input.handoffWaitMs,
    phase,
    index: 0,
    legs: [],
    flags: {
      handoffPlayed: false,
      callerMoved: false,
      callerHeld: false,
      summaryText: null,
      summaryDone: plan.whisper.kind !== 'summary',
    },
    timers: [],
    outcome: null,
    carrierCode: null,
    startedAtMs: ctx.nowMs,
    endedAtMs: null,
    timeline: [],
  };
}
