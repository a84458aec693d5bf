import type { TransferMode } from '../domain/outcome.js';

/**
 * What asked for a transfer. Every trigger goes through the same planner (plan.ts), so the
 * destination policy (DESIGN.md invariant 6) applies to all of them alike.
 */
export type TransferTrigger =
  /** `[TRANSFER:…]` tags found in the agent's spoken text, in the order they were spoken. */
  | { readonly type: 'tag'; readonly destinations: readonly string[] }
  /** A `handoffConfig.transferRules[].label` chosen by the agent. */
  | { readonly type: 'rule'; readonly label: string }
  /** A transfer skill by name; `confirmed` says the caller already agreed (requiresConfirmation). */
  | {
      readonly type: 'skill';
      readonly name: string;
      readonly confirmed: boolean;
      /**
       * A destination the asker named for a skill without a fixed one (the agent's `transfer`
       * event or the skill's tool); still policy-checked.
       */
      readonly dynamicDestination?: string;
      /** What the skill's lookup webhook answered (src/runtime/destination-lookup.ts). */
      readonly lookup?: LookupResult;
    }
  /** An LLM tool call (`transfer_call`, `connect_to_live_agent`, or a skill's tool), arguments unvalidated. */
  | { readonly type: 'tool'; readonly name: string; readonly args: unknown }
  /** `POST /v1/calls/{id}/transfer`. */
  | {
      readonly type: 'api';
      readonly destination?: string;
      readonly rule?: string;
      readonly skill?: string;
      readonly mode?: TransferMode;
      readonly message?: string;
      /** Spoken to the caller before the transfer starts (VoiceDock's `message`). */
      readonly callerMessage?: string;
      /** What the skill's lookup webhook answered, for `skill`. */
      readonly lookup?: LookupResult;
    }
  /** The caller stayed silent past `callControl.noResponseTimeoutSec` with `onNoResponseAction: 'transfer'`. */
  | { readonly type: 'silence' }
  /** The default destination (`handoffConfig.transferDestination`), e.g. after the agent socket failed. */
  | { readonly type: 'default' };

export type TransferTriggerType = TransferTrigger['type'];

/**
 * A message for the caller before the transfer: spoken by the agent in its own voice (the `say`
 * extension event, for a bot with `agent.speaksMessages`) or by the carrier's text-to-speech.
 */
export interface CallerMessage {
  readonly text: string;
  readonly voice: 'agent' | 'carrier';
}

/** A dynamic destination's lookup: the destination it answered, or why there is none. */
export type LookupResult =
  | { readonly ok: true; readonly destination: string }
  /** Timed out, failed, or answered no destination; `detail` names no number. */
  | { readonly ok: false; readonly detail: string };

/** What the human hears before joining a warm transfer. */
export type WhisperPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'static'; readonly text: string }
  /** Ask the agent for a 1–2 sentence summary; after `timeoutMs` use `fallbackText` (built from the reason). */
  | { readonly kind: 'summary'; readonly timeoutMs: number; readonly fallbackText: string };

/** A resolved transfer: everything a mode's machine needs, already policy-checked. */
export interface TransferPlan {
  readonly mode: TransferMode;
  /** Ordered destinations, each E.164 (`+14155550100`) or a SIP URI (`sip:` / `sips:`). Never empty. */
  readonly chain: readonly string[];
  /** Ring timeout per destination, in ms (default: the mode's, 10 000 cold, 15 000 warm). */
  readonly ringTimeoutMs: number;
  /**
   * The carrier dials inside the caller's own call and nothing can end the dialed leg before it
   * does (Exotel's Connect applet: no REST request hangs up a leg). The ring timeout is passed to
   * the carrier, but when our own ring timer fires the attempt is not given up: a late answer is
   * bridged by the carrier all the same, so the carrier's report decides (an answer is a connected
   * transfer; its "no answer" tries the next destination). Absent: false.
   */
  readonly ringEndsAtCarrier?: boolean;
  /** The number the human sees: the caller's own, the agent's outbound number, or a configured one. */
  readonly callerId: string;
  readonly whisper: WhisperPlan;
  /** Hold audio URL for the caller in a warm transfer; undefined means the carrier's default. */
  readonly holdAudioUrl?: string;
  /** Why the transfer was asked for (agent's reason, rule `when`, skill description). */
  readonly reason: string;
  /** Spoken to the caller before anyone is dialed (VoiceDock `message`); absent: nothing extra. */
  readonly callerMessage?: CallerMessage;
  /** The rule label the chain came from (`transferRules[].label`, `default`), when one did. */
  readonly label?: string;
  /**
   * Ask the carrier to detect an answering machine on each human's leg (`handoffConfig.
   * machineDetection`; modes that dial a leg): a machine is outcome `voicemail`, never connected.
   */
  readonly machineDetection?: boolean;
  /** Keys to dial once a destination of the chain answered, by destination (`handoffConfig.sendDigits`). */
  readonly sendDigits?: Readonly<Record<string, string>>;
  /** Warm: the agent speaks the whisper itself over a briefing socket (`whisperVoice: agent`). */
  readonly whisperVoice?: 'agent';
  /** A mode that briefs the human (agentic): how long the briefing may take, in ms. */
  readonly briefingTimeoutMs?: number;
  readonly trigger: TransferTriggerType;
}

/** Why a trigger could not become a transfer. The caller stays with the AI, which is told this code. */
export const PLAN_REFUSALS = [
  'missing_transfer_number',
  'missing_outbound_number',
  'destination_not_allowed',
  'after_hours',
  'confirmation_required',
  'invalid_destination',
  /** The mode is not listed, or the call's carrier cannot run it and it has no fallback. */
  'mode_unsupported',
  /** A skill's lookup webhook gave no destination and the agent has no default one. */
  'lookup_failed',
] as const;
export type PlanRefusal = (typeof PLAN_REFUSALS)[number];

export type PlanResult =
  | { readonly ok: true; readonly plan: TransferPlan }
  | { readonly ok: false; readonly refusal: PlanRefusal; readonly detail: string };
