import { z } from 'zod';
import type { TransferOutcome } from '../domain/outcome.js';
import type { TransferStatus } from '../transfer/machine-types.js';
import { TRANSFER_MODE_NAMES } from '../transfer/modes.js';
import type { AgentControlEvent } from './events.js';

/**
 * The control vocabulary between the daemon and an agent, whatever the transport
 * (docs/agent-protocol.md): JSON objects named by `event`. The WebSocket transport sends them as
 * extension frames of the Twilio dialect; another transport carries the same bodies in its own
 * envelope (data packets, RPC payloads). Audio, marks and `clear` are not part of it: they are
 * media, and each transport carries them natively.
 */

const shortText = z.string().min(1).max(256);

/**
 * Ask for a transfer. At most one of `destination`, `rule`, `skill` — except `skill` with a
 * `destination`, for a skill without a fixed one; none means the default destination.
 */
export const agentTransferSchema = z
  .object({
    event: z.literal('transfer'),
    destination: shortText.optional(),
    rule: shortText.optional(),
    skill: shortText.optional(),
    reason: z.string().max(2000).optional(),
    summary: z.string().max(4000).optional(),
    mode: z.enum(TRANSFER_MODE_NAMES).optional(),
    /** For a skill with `requiresConfirmation`: the caller already agreed. */
    confirmed: z.boolean().optional(),
  })
  .refine(
    (frame) =>
      (frame.destination === undefined || frame.skill !== undefined ? 0 : 1) +
        (frame.rule === undefined ? 0 : 1) +
        (frame.skill === undefined ? 0 : 1) <=
      1,
    { message: 'at most one of destination, rule, skill (or a skill with a destination)' },
  );

/** A delta of the text being spoken, scanned for `[TRANSFER:…]` tags; `final` ends the turn. */
export const agentTextSchema = z.object({
  event: z.literal('text'),
  text: z.string().max(16_000),
  final: z.boolean().optional(),
});

/** An LLM tool call (`transfer_call`, `connect_to_live_agent`, a skill's tool); answered by `tool_result`. */
export const agentToolCallSchema = z.object({
  event: z.literal('tool_call'),
  id: shortText,
  name: z.string().min(1).max(128),
  /** An object, or a JSON string of one (the OpenAI convention). */
  arguments: z.unknown().optional(),
});

/** The answer to `summary_request` (1–2 sentences for the whisper). */
export const agentSummarySchema = z.object({
  event: z.literal('summary'),
  text: z.string().min(1).max(4000),
  transferId: z.string().optional(),
});

/** The agent has sent the audio of a `say` (the transfer's caller message); it may still be playing. */
export const agentSaidSchema = z.object({
  event: z.literal('said'),
  transferId: shortText,
});

/** The agent ends the call. */
export const agentHangupSchema = z.object({
  event: z.literal('hangup'),
  reason: z.string().max(500).optional(),
});

/** A briefing socket (`role: briefing`): the human accepted or declined the transfer. */
export const agentBriefingResultSchema = z.object({
  event: z.literal('briefing_result'),
  accepted: z.boolean(),
  reason: z.string().max(500).optional(),
});

export const controlMessageSchema = z.discriminatedUnion('event', [
  agentTransferSchema,
  agentTextSchema,
  agentToolCallSchema,
  agentSummarySchema,
  agentHangupSchema,
  agentSaidSchema,
  agentBriefingResultSchema,
]);

/** A validated control message from the agent. */
export type ControlMessage = z.infer<typeof controlMessageSchema>;

export const CONTROL_EVENTS: ReadonlySet<string> = new Set<ControlMessage['event']>([
  'transfer',
  'text',
  'tool_call',
  'summary',
  'hangup',
  'said',
  'briefing_result',
]);

export type ControlParse =
  | { readonly type: 'ok'; readonly event: AgentControlEvent }
  /** An event name this daemon does not know: ignored, so agents may run ahead of the daemon. */
  | { readonly type: 'unknown'; readonly event: string }
  | { readonly type: 'invalid'; readonly message: string };

/**
 * Validates one control message (a JSON object with a string `event`) and turns it into the
 * runtime's event. Error messages name fields, never their values (a value may be a phone number).
 */
export function parseControlMessage(raw: { readonly event: string }): ControlParse {
  if (!CONTROL_EVENTS.has(raw.event)) return { type: 'unknown', event: raw.event };
  const parsed = controlMessageSchema.safeParse(raw);
  if (!parsed.success) return { type: 'invalid', message: describeIssues(parsed.error) };
  return { type: 'ok', event: toAgentEvent(parsed.data) };
}

/** The listener event for one validated control message. Pure. */
export function toAgentEvent(message: ControlMessage): AgentControlEvent {
  switch (message.event) {
    case 'transfer': {
      const { event: _event, ...request } = message;
      return { type: 'agent.transfer', ...request };
    }
    case 'text':
      return { type: 'agent.text', text: message.text, final: message.final ?? false };
    case 'tool_call':
      return {
        type: 'agent.tool_call',
        id: message.id,
        name: message.name,
        args: toolArguments(message.arguments),
      };
    case 'summary':
      return message.transferId === undefined
        ? { type: 'agent.summary', text: message.text }
        : { type: 'agent.summary', text: message.text, transferId: message.transferId };
    case 'said':
      return { type: 'agent.said', transferId: message.transferId };
    case 'hangup':
      return message.reason === undefined
        ? { type: 'agent.hangup', via: 'event' }
        : { type: 'agent.hangup', via: 'event', reason: message.reason };
    case 'briefing_result':
      return message.reason === undefined
        ? { type: 'agent.briefing_result', accepted: message.accepted }
        : { type: 'agent.briefing_result', accepted: message.accepted, reason: message.reason };
  }
}

/**
 * Tool-call arguments as an object: OpenAI-style JSON strings are parsed; anything else that is
 * not an object becomes `{}`.
 */
export function toolArguments(value: unknown): Record<string, unknown> {
  let candidate = value;
  if (typeof value === 'string') {
    try {
      candidate = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate)) {
    return candidate as Record<string, unknown>;
  }
  return {};
}

/** The first few problems of a failed parse, by field path. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** The answer to a `tool_call`. */
export type ToolResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** What the daemon tells the agent, as the bodies every transport carries. */
export type DaemonControl =
  /** Progress of a transfer. `destination` is redacted (src/phone/redact.ts). */
  | {
      readonly event: 'transfer_status';
      readonly transferId: string;
      readonly status: TransferStatus;
      readonly destination?: string;
      readonly outcome?: TransferOutcome;
    }
  /**
   * Speak `text` to the caller now, in your own voice, then answer `said` with the same
   * `transferId` (agent.speaksMessages: the transfer's caller message, VoiceDock `message`). On a
   * briefing socket (`whisperVoice: agent`) the same, to the human: the warm whisper.
   */
  | { readonly event: 'say'; readonly transferId: string; readonly text: string }
  /** Send `summary` (1–2 sentences) within `timeoutMs` for the warm-transfer whisper. */
  | { readonly event: 'summary_request'; readonly transferId: string; readonly timeoutMs: number }
  /** The caller is back with the agent after a failed transfer. */
  | {
      readonly event: 'resume';
      readonly transferId: string;
      readonly outcome: TransferOutcome;
      readonly carrierCode?: string;
    }
  | ({ readonly event: 'tool_result'; readonly id: string } & ToolResult);

export type DaemonControlEvent = DaemonControl['event'];
