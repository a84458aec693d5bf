import type { LegEndStatus, TransferMode, TransferOutcome } from '../domain/outcome.js';
import type { TransferPlan } from './plan-types.js';

/**
 * The vocabulary between the pure transfer machines (cold.ts, warm.ts) and the runtime shell.
 * Machines never do I/O and never read a clock: the shell passes `nowMs` in, and runs the
 * returned effects after the new state was saved (STYLE.md 1–3).
 */

/** A dialed leg toward a human: `${transferId}:${index}` where index is the chain position. */
export type LegId = string;

/**
 * Timer names. Ring timers carry their leg so a late timer of an earlier leg is ignored.
 * - `handoff`: bounded wait for the AI's handoff sentence to finish playing.
 * - `ring:{legId}`: ring timeout of one leg (the carrier has its own; this one is the backstop).
 * - `summary`: bounded wait for the agent's summary (warm, whisper = null).
 * - `whisper:{legId}`: bounded wait for the whisper to finish playing to the human.
 * - `hold`: warm, bounded wait for `caller.held` (the carrier reporting the caller in the room)
 *   after `caller.hold` was sent; without it a lost hold confirmation would leave the caller in a
 *   conference nobody joins.
 * - `join:{legId}`: warm, bounded wait for `human.joined` (the carrier reporting the human in the
 *   room) once the whisper is over.
 * - `amd:{legId}`: warm and agentic, bounded wait for the verdict of the carrier's asynchronous
 *   answering-machine detection on an answered leg (Plivo `machine_detection_url`); none in time
 *   counts as not a machine.
 * - `briefing:{legId}`: agentic, how long the agent may brief the human before it counts as
 *   declined (`handoffConfig.briefingTimeoutSec`).
 * - `confirm`: cold, bounded wait for news of the caller's own call after a dialed leg ended
 *   `canceled` without the machine asking: the carrier cancels the dial when the caller hangs up,
 *   and does not order that callback before the caller's own status.
 */
export type TimerId =
  | 'handoff'
  | 'summary'
  | 'hold'
  | 'confirm'
  | 'check'
  | 'verify'
  | `ring:${string}`
  | `whisper:${string}`
  | `join:${string}`
  | `briefing:${string}`
  | `amd:${string}`;

/** Events the runtime feeds into a machine. Carrier adapters normalize webhooks into these. */
export type TransferEvent =
  /** The mark sent after the AI's handoff sentence came back: the sentence has played. */
  | { readonly type: 'handoff.played' }
  | { readonly type: 'timer.fired'; readonly timerId: TimerId }
  | { readonly type: 'leg.ringing'; readonly legId: LegId }
  /**
   * `machine`: the carrier's answering-machine detection says a machine took the call.
   * `verdictDueMs`: detection runs alongside the answer and its verdict (`leg.verdict`) is still to
   * come, within this many ms: nothing reaches the leg before it.
   */
  | {
      readonly type: 'leg.answered';
      readonly legId: LegId;
      readonly machine?: true;
      readonly verdictDueMs?: number;
    }
  /** Asynchronous answering-machine detection's verdict on an answered leg. */
  | { readonly type: 'leg.verdict'; readonly legId: LegId; readonly machine: boolean }
  /**
   * A leg ended. Before answer: busy / no_answer / failed / canceled / declined. After answer,
   * `completed` means the human hung up.
   */
  | {
      readonly type: 'leg.ended';
      readonly legId: LegId;
      readonly status: LegEndStatus;
      readonly carrierCode?: string;
    }
  /** A carrier REST command for this leg failed for good (after the shell's retries). */
  | { readonly type: 'leg.error'; readonly legId: LegId; readonly carrierCode?: string }
  /** Warm: the carrier reported the caller in the conference (participant join), on hold audio. */
  | { readonly type: 'caller.held' }
  /**
   * Warm: the carrier reported the caller out of the transfer's conference (participant leave,
   * Plivo's `exit`). The daemon moves the caller out of the room only once the transfer has
   * ended, so while it runs this is the caller's call leaving by itself: a hang-up whose status
   * callback has not come yet (carriers do not order a call's status callback after its
   * conference events, and retry it late).
   */
  | { readonly type: 'caller.left' }
  /**
   * The carrier reported the caller's own call still live (Twilio's `<Dial action>` with
   * `CallStatus=in-progress`; the answer to `caller.check`): a dialed leg's `canceled`, or the
   * room's report of the caller leaving, was not the caller hanging up.
   */
  | { readonly type: 'caller.present' }
  /**
   * Warm: moving the caller to the hold room failed for good (the shell's retries spent): the
   * caller is still on the AI stream.
   */
  | { readonly type: 'caller.hold_failed'; readonly carrierCode?: string }
  /** Warm: the agent answered `summary_request`. */
  | { readonly type: 'summary.received'; readonly text: string }
  /** Warm: the whisper finished playing to the human on this leg. */
  | { readonly type: 'whisper.played'; readonly legId: LegId }
  /**
   * Warm: the carrier reported the human on this leg in the conference (participant join). The
   * whisper document ends by joining the room, so this also says the whisper is over.
   */
  | { readonly type: 'human.joined'; readonly legId: LegId }
  /**
   * Agentic: the briefing on this leg ended with a decision — the briefing agent's
   * `briefing_result` or `accept_transfer` / `decline_transfer` tool call, or the human's key.
   */
  | {
      readonly type: 'briefing.result';
      readonly legId: LegId;
      readonly accepted: boolean;
      readonly by: 'agent' | 'digit';
    }
  /** Agentic: the briefing agent's socket failed (or the agent left) before a decision. */
  | { readonly type: 'briefing.failed'; readonly legId: LegId }
  | { readonly type: 'caller.hangup' }
  | { readonly type: 'transfer.cancel'; readonly by: 'api' | 'agent' };

export type TransferEventType = TransferEvent['type'];

/** Progress reported to the agent as `transfer_status` (agent protocol). */
export type TransferStatus =
  | 'started'
  | 'dialing'
  | 'ringing'
  | 'answered'
  | 'whispering'
  | 'connected'
  | 'failed';

/** Effects are data; one executor per type lives in the runtime. */
export type TransferEffect =
  /** Set (or refresh) the `transfer:{callId}` flag; the shell applies the TTL. */
  | { readonly type: 'flag.set'; readonly destination: string }
  | { readonly type: 'flag.clear' }
  | { readonly type: 'timer.start'; readonly timerId: TimerId; readonly atMs: number }
  | { readonly type: 'timer.cancel'; readonly timerId: TimerId }
  /**
   * Dial a human, as the descriptor of `mode` says (`dialsFrom`): from the caller's own call
   * (cold: the AI stream ends, the agent socket stays open), or as a new outbound leg toward the
   * transfer's room (warm).
   */
  | {
      readonly type: 'carrier.dial';
      readonly legId: LegId;
      readonly to: string;
      readonly callerId: string;
      readonly timeoutMs: number;
      readonly mode: TransferMode;
      /** Ask the carrier to detect an answering machine on the leg (where it can). */
      readonly machineDetection?: true;
      /** Keys the carrier dials once the leg answered (an extension). */
      readonly sendDigits?: string;
    }
  /**
   * Cancel a ringing leg or hang up an answered one. Idempotent in the shell. It ends the human's
   * leg only, never the caller's call: in a cold transfer that is the dialed child call (Twilio
   * `DialCallSid`), after which the caller's call continues to the dial's continuation.
   */
  | { readonly type: 'carrier.cancel'; readonly legId: LegId }
  /** Warm: move the caller into the transfer's conference, on hold audio. */
  | { readonly type: 'caller.hold'; readonly holdAudioUrl?: string }
  /**
   * Warm, agentic: ask the carrier whether the caller's own call is still live; the answer comes
   * back as `caller.present` (live) or `caller.hangup` (over).
   */
  | { readonly type: 'caller.check' }
  /**
   * Return the caller to the AI (a fresh stream to the same agent socket). Emitted only when the
   * caller left the AI stream (cold: dialed; warm: put on hold); before that the caller is still
   * talking to the AI and `agent.resume` alone applies. `interrupt`: cold, the dial is still
   * running and must be stopped now (a cancel); otherwise a cold dial's own continuation brings
   * the caller back, and no command is sent to the caller's call.
   */
  | { readonly type: 'caller.to_agent'; readonly interrupt?: true }
  /** Warm: play `text` to the human on `legId` only. */
  | { readonly type: 'human.whisper'; readonly legId: LegId; readonly text: string }
  /**
   * Agentic: the human's leg streams to the daemon, which opens the briefing socket to the agent
   * (the leg's answer webhook gets the stream document).
   */
  | { readonly type: 'human.brief'; readonly legId: LegId }
  /**
   * Agentic: the briefing on this leg is over: the briefing socket gets `stop` with `reason` and
   * closes. `release`: the human's stream closes too, so the human's call goes on to its
   * continuation (the join, or the fallback whisper, decided before); otherwise the leg is being
   * hung up and its stream ends with it.
   */
  | {
      readonly type: 'briefing.end';
      readonly legId: LegId;
      readonly reason: BriefingEndReason;
      readonly release: boolean;
    }
  /** Warm: ask the agent for a 1–2 sentence summary (`summary_request`). */
  | { readonly type: 'agent.summary_request'; readonly timeoutMs: number }
  /** The AI leaves: the human has the caller. */
  | { readonly type: 'agent.detach' }
  | {
      readonly type: 'agent.status';
      readonly status: TransferStatus;
      readonly legId?: LegId;
      readonly destination?: string;
    }
  /** The caller is back with the AI after a failed transfer (`resume` to the agent). */
  | { readonly type: 'agent.resume'; readonly outcome: TransferOutcome; readonly carrierCode?: string }
  /** The transfer reached its one terminal outcome. Emitted exactly once per transfer. */
  | {
      readonly type: 'transfer.ended';
      readonly outcome: TransferOutcome;
      readonly carrierCode?: string;
      /**
       * `caller_hangup`, `human_hangup`: the caller or the last human hung up while the carrier may
       * already have bridged them, and the carrier does not report the bridge (cold.ts `whispering`).
       */
      readonly bridge?: 'unconfirmed';
    };

export type TransferEffectType = TransferEffect['type'];

/** Why a briefing ended, as the briefing socket's `stop` says it. */
export type BriefingEndReason =
  | 'accepted'
  | 'declined'
  | 'timeout'
  | 'agent_failed'
  | 'human_hangup'
  | 'caller_hangup'
  | 'canceled'
  | 'failed';

/** One line of a transfer's timeline: appended on every transition. */
export interface TimelineEntry {
  readonly atMs: number;
  /** Phase after the event was applied. */
  readonly state: string;
  readonly event: TransferEventType | 'transfer.started';
  /** Short machine-readable detail (leg id, status, outcome); never a phone number. */
  readonly detail?: string;
}

export interface TransferInput {
  readonly transferId: string;
  readonly callId: string;
  readonly plan: TransferPlan;
  /** Bounded wait for the handoff sentence to finish playing, in ms. */
  readonly handoffWaitMs: number;
}

export interface StepContext {
  readonly nowMs: number;
}

export interface StepResult<S> {
  readonly state: S;
  readonly effects: readonly TransferEffect[];
}
