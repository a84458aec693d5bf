import type { DaemonError } from '../domain/errors.js';
import type { AudioFormat } from '../domain/media.js';
import type { TransferMode } from '../domain/outcome.js';

/**
 * What an agent connection reports to the runtime. Media (audio, marks, clear) goes to the
 * {@link AgentMediaSink} instead — the media bridge — so the 50-frames-a-second path never
 * passes through the runtime.
 */
export type AgentEvent =
  /** `connected` and `start` were sent; `resumed` is true on the socket that replaced a failed one. */
  | { readonly type: 'agent.connected'; readonly resumed: boolean }
  /** The socket failed once; one reconnect follows. `code` is the WebSocket close code (1006: dropped). */
  | { readonly type: 'agent.reconnecting'; readonly code: number }
  /** The agent asked for a transfer (`transfer` event). None of destination/rule/skill: the default destination. */
  | {
      readonly type: 'agent.transfer';
      readonly destination?: string;
      readonly rule?: string;
      readonly skill?: string;
      readonly reason?: string;
      readonly summary?: string;
      readonly mode?: TransferMode;
      readonly confirmed?: boolean;
    }
  /** A delta of spoken text, for the `[TRANSFER:…]` tag scanner; `final` ends the turn. */
  | { readonly type: 'agent.text'; readonly text: string; readonly final: boolean }
  /** An LLM tool call; answer with `AgentConnection.sendToolResult(id, …)`. `args` is an object. */
  | {
      readonly type: 'agent.tool_call';
      readonly id: string;
      readonly name: string;
      readonly args: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'agent.summary'; readonly text: string; readonly transferId?: string }
  /** The agent ended the call: a `hangup` event, or a normal close (1000, or a close frame without a code). */
  | { readonly type: 'agent.hangup'; readonly via: 'event' | 'close'; readonly reason?: string }
  /** The socket failed twice (or could not be opened twice): send the caller to the default destination. */
  | { readonly type: 'agent.failed'; readonly error: DaemonError };

export type AgentEventType = AgentEvent['type'];

/** The runtime's side of an agent connection. */
export interface AgentListener {
  onAgentEvent(event: AgentEvent): void;
}

/** The media bridge's side of an agent connection: what the agent wants played to the caller. */
export interface AgentMediaSink {
  /** Audio in the agent's format, any length. */
  onAgentAudio(payload: Buffer): void;
  onAgentMark(name: string): void;
  onAgentClear(): void;
}

/** What the media bridge needs of an agent connection. */
export interface AgentMediaPort {
  /** The format agent audio is in, both ways (`start.mediaFormat`). */
  readonly format: AudioFormat;
  /** Caller audio, already in {@link format}. Dropped while the socket is not open. */
  sendAudio(payload: Buffer): void;
  sendDtmf(digit: string): void;
  /** Echo of an agent mark whose audio has played (or was discarded). */
  sendMark(name: string): void;
  /** Bytes queued on the socket but not yet written (`ws.bufferedAmount`). */
  bufferedBytes(): number;
  setMediaSink(sink: AgentMediaSink | undefined): void;
}
