import type { TransferMode, TransferOutcome } from '../domain/outcome.js';
import type {
  LegId,
  StepContext,
  StepResult,
  TimelineEntry,
  TimerId,
  TransferEvent,
  TransferInput,
} from './machine-types.js';
import type { TransferPlan } from './plan-types.js';

/**
 * The saved shape of a transfer, shared by the cold and warm machines. Plain JSON data: the
 * runtime stores it in Redis between events, so nothing here is `undefined`, a class, a Map or a
 * Date (absent values are `null`).
 */

/**
 * Where one dialed leg stands.
 * - `dialing`, `ringing`: placed, not answered.
 * - `answered`: warm, the human picked up and waits for the summary to whisper.
 * - `whispering`: warm, the whisper plays to the human only.
 * - `briefing`: agentic, the human's leg streams to a second agent socket that briefs them; the
 *   human or the agent accepts or declines.
 * - `joining`: warm, the whisper is over; waits for the carrier to report the human in the room.
 * - `ready`: warm, the carrier reported the human in the room; waits for the carrier to report
 *   the caller there too (a caller alone in a room, or a human alone, is never `connected`).
 * - `connected`: the human has the caller (cold: answered; warm: both reported in the room).
 * - `canceling`: the machine sent `carrier.cancel` and gave up on this leg.
 * - `ended`: the carrier reported the leg's end.
 */
export type LegStatus =
  | 'dialing'
  | 'ringing'
  | 'answered'
  | 'whispering'
  | 'briefing'
  | 'ready'
  | 'joining'
  | 'connected'
  | 'canceling'
  | 'ended';

/** Statuses in which a leg may still reach a human and must be canceled if the transfer ends. */
export const LIVE_LEG_STATUSES: ReadonlySet<LegStatus> = new Set<LegStatus>([
  'dialing',
  'ringing',
  'answered',
  'whispering',
  'briefing',
  'ready',
  'joining',
]);

/** One attempt at one destination of the chain. */
export interface LegRecord {
  readonly legId: LegId;
  /** Position of the destination in `plan.chain`. */
  readonly index: number;
  readonly status: LegStatus;
  /** How this attempt ended for the transfer (`busy`, `human_hangup`, …); null while it runs. */
  readonly outcome: TransferOutcome | null;
  readonly carrierCode: string | null;
  /** A `leg.answered` came after the leg was given up, and the machine hung it up (once). */
  readonly strayAnswerCanceled: boolean;
}

export interface TransferFlags {
  /** The AI's handoff sentence finished playing (`handoff.played`), not merely timed out. */
  readonly handoffPlayed: boolean;
  /**
   * The caller left the AI stream: cold, the caller's call was moved to dial; warm, `caller.hold`
   * was sent. Only then does a failure need `caller.to_agent`; before, the caller is still
   * talking to the AI and a redirect would only cut the stream.
   */
  readonly callerMoved: boolean;
  /** Warm: the carrier confirmed the caller is in the conference on hold (`caller.held`). */
  readonly callerHeld: boolean;
  /** Warm: the agent's summary, once a non-blank one arrived. Never logged. */
  readonly summaryText: string | null;
  /** Warm: no more waiting for a summary (received, blank, timed out, or not asked for). */
  readonly summaryDone: boolean;
  /**
   * Warm, agentic: every human failed while the caller was on hold, and the carrier is being
   * asked whether the caller is still on the line before they are returned (`caller.check`,
   * bounded by the `verify` timer): their hang-up may never have been reported. The failure the
   * transfer ends with once they are known to be there. Absent otherwise (and in records saved
   * before it existed).
   */
  readonly returning?: { readonly outcome: TransferOutcome; readonly carrierCode: string | null };
}

export interface ActiveTimer {
  readonly timerId: TimerId;
  /** Deadline, epoch ms. */
  readonly atMs: number;
}

/** Phases in which the transfer is over. */
export type TerminalPhase =
  /** The human has the caller. */
  | 'connected'
  /** The caller is back with the AI (every failure, and `transfer.cancel`). */
  | 'returned'
  /** The caller hung up. */
  | 'hung_up';

export const TERMINAL_PHASES: ReadonlySet<string> = new Set<TerminalPhase>([
  'connected',
  'returned',
  'hung_up',
]);

export interface MachineState<M extends TransferMode, P extends string> {
  readonly transferId: string;
  readonly callId: string;
  readonly mode: M;
  readonly plan: TransferPlan;
  /** Bounded wait for the handoff sentence, in ms (from `TransferInput`). */
  readonly handoffWaitMs: number;
  readonly phase: P;
  /** Index into `plan.chain` of the destination being tried (or tried last). */
  readonly index: number;
  /** Every leg dialed so far, in dial order (`legs[i].index === i`). */
  readonly legs: readonly LegRecord[];
  readonly flags: TransferFlags;
  /** Timers started and neither fired nor canceled: a fired timer not listed here is stale. */
  readonly timers: readonly ActiveTimer[];
  /** The one terminal outcome; null while the transfer runs. */
  readonly outcome: TransferOutcome | null;
  readonly carrierCode: string | null;
  readonly startedAtMs: number;
  readonly endedAtMs: number | null;
  readonly timeline: readonly TimelineEntry[];
}

/** Backstop added to the plan's ring timeout: the carrier enforces its own, ours only covers a lost callback. */
export const RING_GRACE_MS = 5_000;

/** Warm: how long `caller.held` may take after `caller.hold` before the transfer gives up. */
export const HOLD_CONFIRM_WAIT_MS = 15_000;

/** Warm: how long `human.joined` may take after the whisper is over before the leg counts as failed. */
export const JOIN_CONFIRM_WAIT_MS = 10_000;

/**
 * Cold: how long to wait for news of the caller's call after a dialed leg ended `canceled`
 * unasked, before taking it as the carrier's cancel and going on (next destination or the AI).
 */
export const CALLER_CONFIRM_WAIT_MS = 5_000;

/**
 * A caller who left the hold room is taken to have hung up once this passes without them back in
 * it. A hold that reached the carrier twice (the continuation's answer and a REST command) takes
 * the caller out and straight back in; the room's callbacks for the two come together.
 */
export const CALLER_LEFT_CONFIRM_MS = 1_000;

/**
 * How long the carrier may take to say whether a caller who left the hold room is still on the
 * line (`caller.check`) before the caller is taken to have hung up.
 */
export const CALLER_CHECK_WAIT_MS = 5_000;

/**
 * How long the carrier may take to say whether a caller on hold is still on the line (the
 * `verify` timer) — before a human in the room is joined with them, or, once every human failed
 * (`returning`), before they are returned to the AI — after which the room's reports are
 * believed. Shorter than {@link CALLER_CHECK_WAIT_MS}: the caller hears hold audio meanwhile, and
 * being wrong costs what the room said, not a caller taken for gone.
 */
export const CALLER_VERIFY_WAIT_MS = 2_000;

/**
 * A generous bound on how long a whisper takes to play, in ms: 3 s of setup plus 100 ms per
 * character (speech runs near 15 characters per second, i.e. ~67 ms each), at most 60 s.
 */
export function whisperBudgetMs(text: string): number {
  return Math.min(60_000, 3_000 + 100 * text.length);
}

export function legIdFor(transferId: string, index: number): LegId {
  return `${transferId}:${index}`;
}

/** The chain position of a leg id made by {@link legIdFor}; undefined for anything else. */
export function legIndexOf(legId: LegId): number | undefined {
  const tail = legId.slice(legId.lastIndexOf(':') + 1);
  return /^\d{1,6}$/.test(tail) ? Number(tail) : undefined;
}

export function isTerminalState(state: { readonly outcome: TransferOutcome | null }): boolean {
  return state.outcome !== null;
}

/** One transfer mode's pure machine. `step` never throws for an event; it ignores what does not apply. */
export interface TransferMachine<S extends MachineState<TransferMode, string>> {
  readonly mode: S['mode'];
  initial(input: TransferInput, ctx: StepContext): StepResult<S>;
  step(state: S, event: TransferEvent, ctx: StepContext): StepResult<S>;
  /** True once the transfer has its outcome; only the stray-answer safety rule still acts then. */
  isTerminal(state: S): boolean;
}
