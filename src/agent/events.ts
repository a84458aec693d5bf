import type { DaemonError } from '../domain/errors.js';
import type { TransferMode } from '../domain/outcome.js';

/**
 * Why the link to the agent was lost, in terms any transport can report: `dropped` (it went away
 * without a goodbye), `unreachable` (it could not be reached, or did not accept in time), `error`
 * (it ended the link with an error of its own).
 */
export type AgentDropCause = 'dropped' | 'unreachable' | 'error';

/** What the agent asked for or said: the control events every transport delivers the same way. */
export type AgentControlEvent =
  /**
   * The agent asked for a transfer. None of destination/rule/skill: the default destination.
   * `requestId`: set by a transport whose requests expect an answer (an RPC); the answer is then
   * a `tool_result` with that id. The WebSocket dialect's `transfer` event has none.
   */
  | {
      readonly type: 'agent.transfer';
      readonly requestId?: string;
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
  /** An LLM tool call; answer with `AgentTransport.sendToolResult(id, …)`. `args` is an object. */
  | {
      readonly type: 'agent.tool_call';
      readonly id: string;
      readonly name: string;
      readonly args: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'agent.summary'; readonly text: string; readonly transferId?: string }
  /** The agent sent the audio of the `say` for this transfer (its caller message). */
  | { readonly type: 'agent.said'; readonly transferId: string }
  /** The agent ended the call: by saying so (`event`), or by leaving normally (`close`). */
  | { readonly type: 'agent.hangup'; readonly via: 'event' | 'close'; readonly reason?: string }
  /** A briefing socket's decision (`role: briefing`): the human accepted the transfer or not. */
  | { readonly type: 'agent.briefing_result'; readonly accepted: boolean; readonly reason?: string };

/**
 * What an agent transport reports to the runtime. Media (audio, marks, clear) goes to the media
 * bridge instead ({@link import('../media/agent-port.js').AgentMediaSink}), so the
 * 50-frames-a-second path never passes through the runtime.
 */
export type AgentEvent =
  /** The agent is reachable; `resumed` is true when this replaces a link that was lost. */
  | { readonly type: 'agent.connected'; readonly resumed: boolean }
  /** The link was lost; the transport is getting it back. Caller audio is held meanwhile. */
  | { readonly type: 'agent.reconnecting'; readonly cause: AgentDropCause }
  | AgentControlEvent
  /** The agent is gone for good (not a hang-up): send the caller to the default destination. */
  | { readonly type: 'agent.failed'; readonly error: DaemonError };

export type AgentEventType = AgentEvent['type'];

/** The runtime's side of an agent transport. */
export interface AgentListener {
  onAgentEvent(event: AgentEvent): void;
}
