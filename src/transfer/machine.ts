import { DaemonError } from '../domain/errors.js';
import type { TransferMode } from '../domain/outcome.js';
import { type ColdState, transferMachine as coldMachine } from './cold.js';
import type { TransferMachine } from './machine-state.js';
import type { StepContext, StepResult, TransferEvent, TransferInput } from './machine-types.js';
import { type WarmState, transferMachine as warmMachine } from './warm.js';

/**
 * The transfer machines by mode, and the saved state of any transfer. The runtime loads a
 * `TransferState` from the store, steps it with the machine of its `mode`, saves the result with
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
export type { WarmPhase, WarmState } from './warm.js';

/** A transfer's whole state, as saved between events; `mode` tells which machine steps it. */
export type TransferState = ColdState | WarmState;

const MACHINES: { readonly [M in TransferMode]: TransferMachine<Extract<TransferState, { mode: M }>> } = {
  cold: coldMachine,
  warm: warmMachine,
};

function checkMode(state: TransferState, mode: TransferMode): void {
  if (state.mode !== mode) {
    throw new DaemonError(
      'transfer_mode_mismatch',
      `a ${state.mode} transfer was given to the ${mode} machine`,
    );
  }
}

const COLD: TransferMachine<TransferState> = {
  mode: 'cold',
  initial: (input, ctx) => MACHINES.cold.initial(input, ctx),
  step: (state, event, ctx) => {
    checkMode(state, 'cold');
    return MACHINES.cold.step(state as ColdState, event, ctx);
  },
  isTerminal: (state) => {
    checkMode(state, 'cold');
    return MACHINES.cold.isTerminal(state as ColdState);
  },
};

const WARM: TransferMachine<TransferState> = {
  mode: 'warm',
  initial: (input, ctx) => MACHINES.warm.initial(input, ctx),
  step: (state, event, ctx) => {
    checkMode(state, 'warm');
    return MACHINES.warm.step(state as WarmState, event, ctx);
  },
  isTerminal: (state) => {
    checkMode(state, 'warm');
    return MACHINES.warm.isTerminal(state as WarmState);
  },
};

/**
 * The machine of one mode, over the `TransferState` union. Its `step` and `isTerminal` throw
 * `DaemonError('transfer_mode_mismatch')` for a state of the other mode (a runtime bug, never an
 * input problem); `initial` throws the same for a plan of the other mode.
 */
export function machineFor(mode: TransferMode): TransferMachine<TransferState> {
  return mode === 'cold' ? COLD : WARM;
}

/** Starts a transfer with the machine of `input.plan.mode`. */
export function startTransfer(input: TransferInput, ctx: StepContext): StepResult<TransferState> {
  return machineFor(input.plan.mode).initial(input, ctx);
}

/** Steps a saved transfer with the machine of its own mode. */
export function stepTransfer(
  state: TransferState,
  event: TransferEvent,
  ctx: StepContext,
): StepResult<TransferState> {
  return machineFor(state.mode).step(state, event, ctx);
}

/** True once the transfer has its one outcome. */
export function isTransferTerminal(state: TransferState): boolean {
  return state.outcome !== null;
}
