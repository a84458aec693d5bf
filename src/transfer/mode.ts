import { DaemonError } from '../domain/errors.js';
import type { TransferMode } from '../domain/outcome.js';
import type { MachineState, TransferMachine } from './machine-state.js';
import type { StepResult, TransferEffectType } from './machine-types.js';
import type { TransferPlan } from './plan-types.js';

/**
 * A transfer mode is a descriptor: its pure machine, what the runtime must do for it (where the
 * caller's call belongs while it runs, how a human is reached), and what a carrier must be able
 * to do to run it. The runtime never names a mode; it looks the descriptor up by the name saved
 * in the transfer's state (the registry is modes.ts).
 */

/** A transfer's whole state, as saved between events; `mode` names the descriptor that steps it. */
export type TransferState = MachineState<TransferMode, string>;

/**
 * What a carrier adapter may declare in its `capabilities` (providers/types.ts) that a mode can
 * require.
 */
export type CarrierCapability = 'conference' | 'whisper' | 'holdAudio' | 'sipDestinations' | 'calleeStream';

/**
 * What the caller's call should be given now, from the saved state alone (the answer to a
 * continuation: a dropped stream, a restarted worker, a finished dial).
 * - `agent`: a fresh stream to the AI.
 * - `dial`: the caller's own call dials the human (a cold dial), with the fallback's extras.
 * - `hold`: the transfer's conference, on hold audio.
 */
export type CallerPlace =
  | { readonly type: 'agent' }
  | ({
      readonly type: 'dial';
      readonly legId: string;
      readonly to: string;
      readonly callerId: string;
      readonly timeoutMs: number;
    } & DialExtras)
  | { readonly type: 'hold'; readonly holdAudioUrl?: string; readonly announce?: string };

/** What a dial from the caller's own call carries besides the number. */
export interface DialExtras {
  /** Heard by the human only, before the bridge. */
  readonly whisper?: string;
  /** The caller hears hold audio, not ringback. */
  readonly hold?: { readonly audioUrl?: string };
  /** Spoken to the caller by the carrier before the first dial (a caller message, `voice: 'carrier'`). */
  readonly announce?: string;
  /** Keys the carrier dials once the human answered (`handoffConfig.sendDigits`), `w` half a second. */
  readonly sendDigits?: string;
}

/** One transfer mode, as the runtime sees it. Build one with {@link defineMode}. */
export interface TransferModeDescriptor {
  readonly name: TransferMode;
  /** The pure machine; its `step` and `isTerminal` refuse a state of another mode. */
  readonly machine: TransferMachine<TransferState>;
  /**
   * Capabilities the call's carrier must declare. A carrier without one runs {@link fallback}
   * instead (said on the call's timeline), or, with no fallback, the request is refused with
   * `mode_unsupported`.
   */
  readonly requires: readonly CarrierCapability[];
  /**
   * The mode run where the carrier lacks a requirement. The plan keeps its whisper and hold
   * audio, which the fallback plays where it can (a cold dial: {@link dialExtras}).
   */
  readonly fallback?: TransferMode;
  /** Ring timeout per destination when the agent sets none, in seconds. */
  readonly defaultRingTimeoutSec: number;
  /** The plan carries a whisper for the human (static text, the agent's summary or the template). */
  readonly whispers: boolean;
  /**
   * The agent itself briefs the human over a second socket (`human.brief`); the whisper is then
   * the summary the briefing starts with, and what the human hears should that socket fail.
   */
  readonly briefs?: boolean;
  /**
   * How a human is reached:
   * - `caller`: the caller's own call dials (the AI stream ends; the dial's continuation asks what
   *   next, so returning the caller needs no command unless the dial must stop now).
   * - `leg`: a new outbound call toward the transfer's room, while the caller waits elsewhere.
   */
  readonly dialsFrom: 'caller' | 'leg';
  /**
   * Every effect type the machine may emit; the runtime has one executor per type, and the markup
   * a carrier must render follows from them: `carrier.dial` from the caller renders `dialCold`,
   * `caller.hold` `conferenceHold`, `human.whisper` `whisperThenJoin` (providers/types.ts). A step
   * that emits anything else throws `DaemonError('transfer_effect_undeclared')` (a programming
   * error).
   */
  readonly effects: ReadonlySet<TransferEffectType>;
  /** Where the caller's call belongs now, for a state of this mode that is not over. */
  callerPlace(state: TransferState): CallerPlace;
  /** `dialsFrom: 'caller'`: what the caller's dial carries besides the number. */
  dialExtras?(plan: TransferPlan): DialExtras;
}

/** What a mode's own file gives {@link defineMode}: the descriptor over its own state type. */
export interface ModeSpec<S extends TransferState>
  extends Omit<TransferModeDescriptor, 'machine' | 'callerPlace' | 'effects'> {
  readonly machine: TransferMachine<S>;
  readonly effects: readonly TransferEffectType[];
  callerPlace(state: S): CallerPlace;
}

/**
 * The descriptor of one mode: its machine over the saved `TransferState`, refusing (loudly) a
 * state of another mode, and checking every step's effects against the declared ones.
 */
export function defineMode<S extends TransferState>(spec: ModeSpec<S>): TransferModeDescriptor {
  const { machine, name } = spec;
  if (machine.mode !== name) {
    throw new DaemonError('transfer_mode_mismatch', `the ${name} mode was given the ${machine.mode} machine`);
  }
  const effects: ReadonlySet<TransferEffectType> = new Set(spec.effects);
  const own = (state: TransferState): S => {
    if (state.mode !== name) {
      throw new DaemonError(
        'transfer_mode_mismatch',
        `a ${state.mode} transfer was given to the ${name} machine`,
      );
    }
    return state as S;
  };
  const declared = (result: StepResult<S>): StepResult<TransferState> => {
    for (const effect of result.effects) {
      if (!effects.has(effect.type)) {
        throw new DaemonError(
          'transfer_effect_undeclared',
          `the ${name} machine emitted ${effect.type}, which its mode does not declare`,
        );
      }
    }
    return result;
  };
  return Object.freeze({
    ...spec,
    effects,
    machine: Object.freeze({
      mode: name,
      initial: (input, ctx) => declared(machine.initial(input, ctx)),
      step: (state, event, ctx) => declared(machine.step(own(state), event, ctx)),
      isTerminal: (state) => machine.isTerminal(own(state)),
    } satisfies TransferMachine<TransferState>),
    callerPlace: (state: TransferState) => spec.callerPlace(own(state)),
  });
}

/** A requested mode, checked against what the call's carrier can do. */
export type ModeResolution =
  | {
      readonly ok: true;
      readonly mode: TransferModeDescriptor;
      /** Set when the fallback runs instead of the requested mode. */
      readonly instead?: { readonly of: TransferMode; readonly missing: readonly CarrierCapability[] };
    }
  | { readonly ok: false; readonly detail: string };

/** The transfer modes by name. modes.ts holds the daemon's; a test may build its own with {@link with}. */
export class ModeRegistry {
  readonly #modes: ReadonlyMap<TransferMode, TransferModeDescriptor>;

  constructor(modes: readonly TransferModeDescriptor[]) {
    const byName = new Map<TransferMode, TransferModeDescriptor>();
    for (const mode of modes) {
      if (byName.has(mode.name))
        throw new DaemonError('transfer_mode_duplicate', `transfer mode ${mode.name} is listed twice`);
      byName.set(mode.name, mode);
    }
    for (const mode of modes) {
      if (mode.fallback !== undefined && !byName.has(mode.fallback)) {
        throw new DaemonError(
          'transfer_mode_unknown',
          `transfer mode ${mode.name} falls back to ${mode.fallback}, which is not listed`,
        );
      }
    }
    this.#modes = byName;
  }

  /** Every mode's name, in registry order. */
  names(): readonly TransferMode[] {
    return [...this.#modes.keys()];
  }

  has(name: string): boolean {
    return this.#modes.has(name);
  }

  find(name: string): TransferModeDescriptor | undefined {
    return this.#modes.get(name);
  }

  /** The mode of a saved state or an effect; throws `DaemonError('transfer_mode_unknown')`. */
  get(name: string): TransferModeDescriptor {
    const mode = this.#modes.get(name);
    if (mode === undefined) throw new DaemonError('transfer_mode_unknown', `no transfer mode named ${name}`);
    return mode;
  }

  /** A registry with one more mode (or one replaced), this one unchanged. */
  with(mode: TransferModeDescriptor): ModeRegistry {
    return new ModeRegistry([...[...this.#modes.values()].filter((m) => m.name !== mode.name), mode]);
  }

  /**
   * The mode that runs when `name` is asked for on a carrier that declares what `can` says:
   * `name` itself, else its fallback (followed until one fits), else a refusal.
   */
  resolve(name: string, can: (capability: CarrierCapability) => boolean): ModeResolution {
    const asked = this.#modes.get(name);
    if (asked === undefined) return { ok: false, detail: `no transfer mode named ${name}` };
    const missing = asked.requires.filter((c) => !can(c));
    if (missing.length === 0) return { ok: true, mode: asked };
    let next = asked.fallback;
    for (let hops = 0; next !== undefined && hops < this.#modes.size; hops += 1) {
      const mode = this.get(next);
      if (mode.requires.every(can)) return { ok: true, mode, instead: { of: asked.name, missing } };
      next = mode.fallback;
    }
    return {
      ok: false,
      detail: `the ${asked.name} mode needs ${missing.join(', ')}, which the carrier lacks`,
    };
  }
}
