import type { AgentTransportSpec } from '../config/agent-transports.js';
import type { AgentEndpointConfig } from '../config/agent-types.js';
import type { LivekitCredentials } from '../config/env.js';
import type { Carrier } from '../domain/carrier.js';
import type { DaemonError } from '../domain/errors.js';
import type { AudioFormat } from '../domain/media.js';
import type { TransferOutcome } from '../domain/outcome.js';
import type { Base64Payload } from '../lib/base64-payload.js';
import type { Log } from '../log.js';
import type { AgentMediaPort } from '../media/agent-port.js';
import type { Clock, Timers } from '../media/clock.js';
import type { TransferStatus } from '../transfer/machine-types.js';
import type { DaemonControl, ToolResult } from './control-events.js';
import type { AgentControlEvent, AgentDropCause, AgentListener } from './events.js';

/** Why the daemon ends the agent's side of a call (sent to the agent where its transport can say so). */
export type AgentCloseReason =
  | 'call ended'
  | 'transferred'
  | 'worker stopping'
  | 'caller hung up'
  /** Another worker took the call's agent session over (src/runtime/socket-commands.ts). */
  | 'handed over'
  /** A briefing socket (`role: briefing`) is over: `briefing accepted`, `briefing declined`, … */
  | `briefing ${string}`;

/** A `transfer_status` to send: the destination is redacted before it leaves. */
export interface TransferStatusUpdate {
  readonly transferId: string;
  readonly status: TransferStatus;
  /** The leg it is about (`transferId:n`), for ordering. */
  readonly legId?: string;
  readonly destination?: string;
  readonly outcome?: TransferOutcome;
  /** `false` for a refused request (never a transfer): sent as is, not ordered. */
  readonly ordered?: boolean;
}

/**
 * One call's agent, as the runtime sees it, whatever carries it. Media goes through the
 * {@link AgentMediaPort} (the bridge), control through the `send*` methods, events to the
 * {@link AgentListener} given at creation. Everything sent before the agent is reachable — first
 * connect, or a reconnect — is held in order and delivered once it is (src/agent/agent-link.ts).
 */
export interface AgentTransport extends AgentMediaPort {
  /**
   * Starts connecting. Resolves `true` once the agent is reachable, `false` if it never was
   * (the listener also got `agent.failed`, or the call was closed first). Never rejects.
   */
  connect(): Promise<boolean>;
  /** Only progress is sent: a status behind the last one sent for its transfer is dropped. */
  sendTransferStatus(update: TransferStatusUpdate): void;
  sendSummaryRequest(transferId: string, timeoutMs: number): void;
  /** Asks the agent to speak `text` to the caller in its own voice (`say`); it answers `said`. */
  sendSay(transferId: string, text: string): void;
  /** The caller is back with the agent after a failed transfer. */
  sendResume(transferId: string, outcome: TransferOutcome, carrierCode?: string): void;
  sendToolResult(id: string, result: ToolResult): void;
  /** Ends the agent's side of the call. Resolves once it is closed. Idempotent. */
  close(reason?: AgentCloseReason): Promise<void>;
  stats(): AgentTransportStats;
  /** Whether the agent can be reached now: connected, not still connecting or reconnecting. */
  readonly isOpen: boolean;
}

export interface AgentTransportStats {
  /** Caller frames that waited for the agent to be reachable, then were delivered in order. */
  readonly heldFrames: number;
  /** Media frames never delivered: past the hold bound, the call over first, or agent audio with no bridge. */
  readonly droppedFrames: number;
}

/** How the agent's link ended for good. */
export type AgentWireEnd =
  /** Closed by the daemon ({@link AgentWire.close}). */
  | { readonly type: 'closed' }
  /** The agent left normally: a hang-up. */
  | { readonly type: 'hangup' }
  /** The agent is unreachable for good. */
  | { readonly type: 'failed'; readonly error: DaemonError };

/** What an {@link AgentWire} reports. Called only between `open` and the end it reports. */
export interface AgentWireEvents {
  /** The agent can take frames now. `resumed`: this replaces a link that was lost. */
  opened(resumed: boolean): void;
  /** The link was lost and the wire is getting it back; frames sent meanwhile are held. */
  lost(cause: AgentDropCause): void;
  ended(end: AgentWireEnd): void;
  /** Agent audio, in the wire's {@link AgentWire.format}. */
  audio(payload: Buffer): void;
  /**
   * Agent audio as the wire's base64 (text, or a span of the frame: read at once), checked
   * (canonical base64, whole samples), `bytes` long once decoded: a wire that carries base64
   * reports it so, and it is decoded only if the other side needs bytes.
   */
  audioBase64(payload: Base64Payload, bytes: number): void;
  mark(name: string): void;
  clear(): void;
  /** A validated control event (control-events.ts). */
  control(event: AgentControlEvent): void;
}

/**
 * The part of an agent transport that differs per kind: how frames reach the agent and come
 * back. A kind implements this; {@link AgentLink} (src/agent/agent-link.ts) turns it into an
 * {@link AgentTransport} with the behaviour every kind shares: holding until open, ordered
 * transfer statuses, redaction, listener isolation.
 *
 * Each `send*` returns `false` when the frame cannot go now (not open yet, or the link is going
 * away under us): the link then holds it, in order, for the next `opened`.
 */
export interface AgentWire {
  /** The agent's audio format, both ways. */
  readonly format: AudioFormat;
  /**
   * How long frames may have to wait for the link to open (connect timeout, plus any wait before
   * a reconnect), in ms: the bound on held caller audio.
   */
  readonly holdMs: number;
  /** Starts connecting; called once. Reports through `events`. */
  open(events: AgentWireEvents): void;
  /** `capturedAtMs`: when the caller said it, on the link's clock (held audio keeps its time). */
  sendAudio(payload: Buffer, capturedAtMs: number): boolean;
  /**
   * The same, from base64 text (`bytes` once decoded) — optional: a wire that carries base64
   * sends it on untouched; without it the link decodes and calls {@link sendAudio}.
   */
  sendAudioBase64?(payload: Base64Payload, bytes: number, capturedAtMs: number): boolean;
  /**
   * {@link sendAudioBase64} unless the wire's socket holds `underBytes` bytes or more unsent:
   * false, and nothing sent, then (optional: the link then goes by {@link backlogBytes}).
   */
  trySendAudioBase64?(payload: Base64Payload, capturedAtMs: number, underBytes: number): boolean;
  sendDtmf(digit: string): boolean;
  sendMark(name: string): boolean;
  sendControl(message: DaemonControl): boolean;
  /** Bytes accepted but not yet handed to the agent (back-pressure). */
  backlogBytes(): number;
  /** Ends the link. Resolves once it is down; no `ended` is reported for it. Idempotent. */
  close(reason: AgentCloseReason): Promise<void>;
}

/** What a transport kind gets to build one call's wire. */
export interface AgentWireContext {
  readonly endpoint: AgentEndpointConfig;
  readonly callId: string;
  readonly agentId: string;
  readonly carrier: Carrier;
  readonly direction: 'inbound' | 'outbound';
  /** The agent's audio format (`agent.audio`). */
  readonly format: AudioFormat;
  readonly clock: Clock;
  /** The wire's timers (close and reconnect waits, the connect deadline); default the system's. */
  readonly timers?: Timers;
  /** The call's child logger. */
  readonly log: Log;
  /**
   * The agent already had a link for this call, held by another worker that handed it over: the
   * first link continues the conversation (WebSocket: `start` carries `resumed: "true"`).
   */
  readonly resumed?: boolean;
  /**
   * More parameters for the agent's `start` (WebSocket: `customParameters`), e.g. a briefing
   * socket's `role: briefing`; the daemon's own keys win on a clash.
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Credentials from the environment (src/config/env.ts); each kind reads its own. */
  readonly secrets?: AgentTransportSecrets;
}

/** What the environment gives transports: never in the agents file. */
export interface AgentTransportSecrets {
  /** `LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET` (docs/livekit.md). */
  readonly livekit?: LivekitCredentials;
}

/**
 * One agent transport kind, as listed in the registry (src/agent/transports.ts): what the agents
 * file may say for it (`kind`, URL schemes) and how to build one call's wire.
 */
export interface AgentTransportKind extends AgentTransportSpec {
  createWire(context: AgentWireContext): AgentWire;
}

/** Options of an {@link AgentTransport} that every kind shares. */
export interface AgentTransportOptions {
  readonly listener: AgentListener;
  readonly clock?: Clock;
  readonly log?: Log;
  /** Caller audio frames that waited for the agent and were then delivered (metrics). */
  readonly onAudioHeld?: (frames: number) => void;
  /** Caller audio frames never delivered: over the hold bound, or the call ended first (metrics). */
  readonly onAudioDropped?: (frames: number) => void;
}
