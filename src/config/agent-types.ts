import type { Carrier } from '../domain/carrier.js';
import type { AudioEncoding, WaitAudioSpec } from '../domain/media.js';
import type { MappedFrom } from './seed-shapes.js';

/**
 * The parsed, normalized, frozen agent configuration (docs/configuration.md). Field names follow
 * the seeds (flowyte `handoffConfig`, skills, `callControl`, `afterHours`; seed 003's outbound
 * number). Every destination in it is canonical: E.164 (`+14155550100`) or a SIP URI.
 *
 * Written back as JSON it parses to the same value again (lists stay lists).
 */
export interface AgentConfig {
  /** Stable id, `[A-Za-z0-9_-]{1,64}`; used in API paths. */
  readonly id: string;
  /** Display name. Default: the id. */
  readonly name: string;
  /** Inbound numbers routed to this agent, E.164. Default: none (outbound only). */
  readonly numbers: readonly string[];
  /** The agent's own number, E.164: caller ID when `callerId: 'agent'`, and `from` for outbound calls. */
  readonly outboundNumber?: string;
  /** Carrier the agent's numbers live on. Default `twilio`. */
  readonly carrier: Carrier;
  readonly agent: AgentEndpointConfig;
  readonly handoffConfig: HandoffConfig;
  /** Transfer skills, in configuration order. Default: none. */
  readonly skills: readonly TransferSkill[];
  readonly callControl: CallControlConfig;
  /** Opening hours; absent means always open. */
  readonly afterHours?: AfterHoursConfig;
  readonly destinationPolicy: DestinationPolicy;
  /** Built-in LLM tools beyond the transfer ones. Default: none. */
  readonly tools: BuiltinTools;
  /** Present when the configuration was written in a seed platform's shape (docs/migrating.md). */
  readonly mappedFrom?: MappedFrom;
}

/**
 * Built-in tools an agent offers its LLM (src/transfer/tools.ts):
 * - `connectToLiveAgent` (seed 003's `global_builtin_functions`): offered even without a default
 *   destination, with this description; it then answers `missing_transfer_number`. Absent: offered
 *   only when `handoffConfig.transferDestination` is set.
 * - `endCall` (VoiceDock `{ "type": "end_call" }`): the LLM ends the call (`ended_reason: agent_hangup`).
 */
export interface BuiltinTools {
  readonly connectToLiveAgent?: { readonly description?: string };
  readonly endCall?: { readonly description?: string };
}

/** Where the AI voice agent listens. */
export interface AgentEndpointConfig {
  /**
   * How the daemon reaches the agent: a kind of src/agent/transports.ts. Default `websocket`
   * (Twilio Media Streams dialect plus extensions, docs/agent-protocol.md).
   */
  readonly transport: string;
  /** Where the agent is; its scheme must suit the transport (`ws://` or `wss://` for `websocket`). */
  readonly url: string;
  /** Audio the agent sends and expects. Default `{ encoding: 'mulaw', sampleRate: 8000 }`. */
  readonly audio: { readonly encoding: AudioEncoding; readonly sampleRate: 8000 | 16000 | 24000 };
  /** Extra headers when connecting (the WebSocket upgrade, e.g. `Authorization`). Default: none. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * How long the agent may take to accept the connection (per attempt), in ms. Caller audio is
   * held meanwhile and delivered in order once it accepts. Default 5 000 (500–30 000).
   */
  readonly connectTimeoutMs: number;
  /**
   * What the caller hears while waiting on the AI's stream — for the agent's voice (its socket
   * opening or reopening, its first words at the start or after `resume`), or for the carrier to
   * move them at a transfer — once that has taken `afterMs`:
   * `comfort_noise` (a faint line hiss, src/media/comfort-noise.ts) or `none`.
   * Default `{ sound: 'comfort_noise', afterMs: 1000 }` (afterMs 200–10 000).
   */
  readonly waitAudio: WaitAudioSpec;
  /**
   * The bot speaks transfer messages itself (the `say` extension event, answered by `said`), in
   * its own voice. False: the carrier's text-to-speech speaks them. Default false.
   */
  readonly speaksMessages: boolean;
  /** `transport: livekit` only: the LiveKit server and the agent it dispatches (docs/livekit.md). */
  readonly livekit?: LivekitAgentConfig;
}

/** `agent.livekit`: how each call's LiveKit room is made (docs/livekit.md). */
export interface LivekitAgentConfig {
  /** The LiveKit server (`wss://…`, or `ws://` for `livekit-server --dev`); `agent.url` follows it. */
  readonly url: string;
  /**
   * The agent to dispatch into each call's room (LiveKit Agents' `agentName`): an explicit
   * dispatch carrying the call's parameters as metadata. Absent: no dispatch; an agent the
   * server dispatches automatically (or one that joins on its own) is waited for.
   */
  readonly agentName?: string;
  /** Rooms are named `${roomPrefix}${callId}`: never a phone number. Default `patchthrough-`. */
  readonly roomPrefix: string;
  /** Extra string values added to the dispatch metadata (the daemon's own keys win). Default none. */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * How an agent's transfers run (src/transfer/modes.ts): `cold` (the carrier dials, the AI steps
 * out), `warm` (conference, whisper, join), `agentic` (warm, the agent itself briefs the human).
 */
export const HANDOFF_MODES = ['cold', 'warm', 'agentic'] as const;
export type HandoffMode = (typeof HANDOFF_MODES)[number];

/** flowyte `handoffConfig` plus the nixflex transfer type and whisper. */
export interface HandoffConfig {
  /** The agent's transfer mode. Default `cold`, or `warm` when the file says `warm: true`. */
  readonly mode: HandoffMode;
  /** `mode === 'warm'`: the flowyte field, kept as an alias (`warm: true` ≡ `mode: warm`). */
  readonly warm: boolean;
  /**
   * Warm only: static text the human hears before joining, or null to ask the agent for a 1–2
   * sentence summary (nixflex `transfer_whisper`). Default null.
   */
  readonly whisper: string | null;
  /** Default destination, used when no rule matches; absent → `missing_transfer_number`. */
  readonly transferDestination?: string;
  /** Transfer-by-context rules. Default: none. */
  readonly transferRules: readonly TransferRule[];
  /** Ring timeout per destination, in seconds (5–120). Absent: 10 cold, 15 warm. */
  readonly ringTimeoutSec?: number;
  /** Warm, whisper null: bounded wait for the agent's summary, in ms. Default 2500. */
  readonly summaryTimeoutMs: number;
  /** URL of hold audio the caller hears in a warm transfer; absent → the carrier's default. */
  readonly holdAudio?: string;
  /** Caller ID the human sees: the caller's number, the agent's `outboundNumber`, or a number (E.164). Default `caller`. */
  readonly callerId: 'caller' | 'agent' | string;
  /** Bounded wait for the AI's handoff sentence to finish playing, in ms. Default 4000. */
  readonly handoffWaitMs: number;
  /**
   * Warm: who speaks the whisper — the carrier's text-to-speech (`carrier`), or the agent itself
   * over a briefing socket (`agent`: the daemon sends it `say`, and the human joins once the
   * carrier played the agent's words). Default `carrier`.
   */
  readonly whisperVoice: 'carrier' | 'agent';
  /**
   * Warm and agentic: the carrier's answering-machine detection on each human's leg (Twilio);
   * a machine ends the attempt with `voicemail` and the next destination is tried. Default false.
   */
  readonly machineDetection: boolean;
  /**
   * Keys to dial once a destination answered, by destination (e.g. `ww123#` for an extension;
   * `w` waits half a second). Twilio `SendDigits`, Plivo `send_digits`. Default none.
   */
  readonly sendDigits: Readonly<Record<string, string>>;
  /** Agentic: how long the agent may brief the human before it counts as declined, in s. Default 30. */
  readonly briefingTimeoutSec: number;
  /**
   * Agentic: the briefing starts once the human speaks ("hello?"), or after this long, in ms;
   * 0 starts it at once. The briefing socket is opened only then. Default 0.
   */
  readonly waitForHumanSpeechMs: number;
  /** Agentic: the key the human presses to accept during the briefing. Default `1`. */
  readonly acceptDigit: string;
  /** Agentic: the key the human presses to decline during the briefing. Default `2`. */
  readonly declineDigit: string;
}

/** One transfer-by-context rule. */
export interface TransferRule {
  /** Unique within the agent (case-insensitive); not `default`. Shown to the LLM as a choice. */
  readonly label: string;
  /** Plain-language situation the agent matches against. */
  readonly when: string;
  /** Ordered, non-empty fallback chain. */
  readonly destination: readonly string[];
  /** Spoken to the caller before the transfer starts (VoiceDock destination `message`). */
  readonly callerMessage?: string;
}

/** A `transfer` skill: a tool the agent calls on demand. */
export interface TransferSkill {
  /** Unique within the agent (case-insensitive). */
  readonly name: string;
  /** Read by the agent to decide when to call it; write it as the condition. */
  readonly description: string;
  readonly skillType: 'transfer';
  /** Fixed destination chain; absent when the destination is looked up at call time (dynamic). */
  readonly executionConfig: {
    readonly destination?: readonly string[];
    /** flowyte's dynamic destination: asked at call time when there is no fixed destination. */
    readonly lookup?: DestinationLookup;
  };
  /** Ask the caller to agree before transferring. Default false. */
  readonly requiresConfirmation: boolean;
  /** How much a wrong transfer costs; `high` always requires confirmation. Default `medium`. */
  readonly stakes: 'low' | 'medium' | 'high';
  /** The LLM tool name: as configured, else derived from `name` (`Transfer to billing` → `transfer_to_billing`). */
  readonly toolName: string;
}

/**
 * A webhook answering `{ "destination": "+1…" }` for a call's context (POST, JSON), signed with
 * `LOOKUP_SIGNING_SECRET` (docs/configuration.md). The answer is still policy-checked.
 */
export interface DestinationLookup {
  /** http(s) URL. */
  readonly url: string;
  /** Bounded wait for the answer, in ms (100–10 000). Default 2000. */
  readonly timeoutMs: number;
}

/** flowyte `callControl`. */
export interface CallControlConfig {
  /** What to do when the caller stays silent. Default `none`. */
  readonly onNoResponseAction: 'transfer' | 'hangup' | 'none';
  /** Silence before `onNoResponseAction`, in seconds (1–600). Default 10. */
  readonly noResponseTimeoutSec: number;
}

/** Local opening time range `['HH:MM', 'HH:MM']`, start inclusive, end exclusive; end may be `24:00`. */
export type OpenRange = readonly [string, string];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** flowyte `afterHours`: outside `schedule`, no human transfer unless allowed. */
export interface AfterHoursConfig {
  /** IANA time zone the schedule is written in, e.g. `America/Los_Angeles`. */
  readonly timezone: string;
  /** Open ranges per weekday; a day that is absent or empty is closed all day. */
  readonly schedule: Readonly<Partial<Record<Weekday, readonly OpenRange[]>>>;
  /** Local dates (`YYYY-MM-DD`) closed all day, e.g. holidays. Default: none. */
  readonly closedDates: readonly string[];
  /** Transfer to a person when closed (to `number`). Default false. */
  readonly allowHumanTransfer: boolean;
  /** The after-hours destination. */
  readonly number?: string;
}

/**
 * Which destinations beyond the configured ones may be dialed (DESIGN.md invariant 6).
 * Default: none — only the numbers the configuration names.
 */
export interface DestinationPolicy {
  /** Patterns: `+14155550100` (exact), `+1415555*` (prefix), `sip:*@pbx.example.com` (glob). */
  readonly allow: readonly string[];
  /** ISO 3166-1 alpha-2 countries whose numbers may be dialed, e.g. `['US', 'CA']`. */
  readonly countries: readonly string[];
}

/** A whole agents file after parsing. */
export interface AgentsConfig {
  /** Region national numbers were read in (the file's `defaultRegion`, else the daemon's). */
  readonly defaultRegion: string;
  readonly agents: readonly AgentConfig[];
}
