import type { StepContext, StepResult, TransferEvent, TransferInput } from './machine-types.js';
import type { ModeRegistry, TransferState } from './mode.js';
import { TRANSFER_MODES } from './modes.js';

/**
 * The saved state of any transfer, stepped by the machine of its `mode` as the registry lists it
 * (modes.ts). The runtime loads a `TransferState` from the store, steps it, saves the result with
 * a version check, then runs the effects (STYLE.md 1–3).
 */

export type { ColdPhase, ColdState } from './cold.js';
export type { ActiveTimer, LegRecord, LegStatus, TerminalPhase, TransferFlags } from './machine-state.js';
export {
  CALLER_CONFIRM_WAIT_MS,
  HOLD_CONFIRM_WAIT_MS,
  JOIN_CONFIRM_WAIT_MS,
  legIdFor,
  RING_GRACE_MS,
  type TransferMachine,
  whisperBudgetMs,
} from './machine-state.js';
export type { TransferState } from './mode.js';
export type { WarmPhase, WarmState } from './warm.js';

/** Starts a transfer with the machine of `input.plan.mode`. */
export function startTransfer(
  input: TransferInput,
  ctx: StepContext,
  modes: ModeRegistry = TRANSFER_MODES,
): StepResult<TransferState> {
  return modes.get(input.plan.mode).machine.initial(input, ctx);
}

/** Steps a saved transfer with the machine of its own mode. */
export function stepTransfer(
  state: TransferState,
  event: TransferEvent,
  ctx: StepContext,
  modes: ModeRegistry = TRANSFER_MODES,
): StepResult<TransferState> {
  return modes.get(state.mode).machine.step(state, event, ctx);
}

/** True once the transfer has its one outcome. */
export function isTransferTerminal(state: TransferState): boolean {
  return state.outcome !== null;
}
