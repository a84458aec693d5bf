import { z } from 'zod';
import type { AudioFormat } from '../domain/media.js';

/**
 * What an agent may send the daemon (docs/agent-protocol.md). The base is Twilio's Media Streams
 * protocol, server → Twilio direction (protocols.md §2.3): `media`, `mark`, `clear`. Everything
 * else is an optional extension, so a bot written for Twilio works unchanged.
 */

const streamSid = z.string().optional();
const shortText = z.string().min(1).max(256);

/** Twilio `media`: base64 audio in the stream's `mediaFormat`, any length. */
export const agentMediaSchema = z.object({
  event: z.literal('media'),
  streamSid,
  media: z.object({ payload: z.string() }),
});

/** Twilio `mark`: echoed back once the audio sent before it has played to the caller. */
export const agentMarkSchema = z.object({
  event: z.literal('mark'),
  streamSid,
  mark: z.object({ name: shortText }),
});

/** Twilio `clear`: barge-in; drop all audio not yet played. */
export const agentClearSchema = z.object({ event: z.literal('clear'), streamSid });

/** Extension: ask for a transfer. At most one of `destination`, `rule`, `skill`; none means the default destination. */
export const agentTransferSchema = z
  .object({
    event: z.literal('transfer'),
    destination: shortText.optional(),
    rule: shortText.optional(),
    skill: shortText.optional(),
    reason: z.string().max(2000).optional(),
    summary: z.string().max(4000).optional(),
    mode: z.enum(['cold', 'warm']).optional(),
    /** For a skill with `requiresConfirmation`: the caller already agreed. */
    confirmed: z.boolean().optional(),
  })
  .refine(
    (frame) =>
      (frame.destination === undefined ? 0 : 1) +
        (frame.rule === undefined ? 0 : 1) +
        (frame.skill === undefined ? 0 : 1) <=
      1,
    { message: 'at most one of destination, rule, skill' },
  );

/** Extension: a delta of the text being spoken, scanned for `[TRANSFER:…]` tags; `final` ends the turn. */
export const agentTextSchema = z.object({
  event: z.literal('text'),
  text: z.string().max(16_000),
  final: z.boolean().optional(),
});

/** Extension: an LLM tool call (`transfer_call`, `connect_to_live_agent`, a skill's tool); answered by `tool_result`. */
export const agentToolCallSchema = z.object({
  event: z.literal('tool_call'),
  id: shortText,
  name: z.string().min(1).max(128),
  /** An object, or a JSON string of one (the OpenAI convention). */
  arguments: z.unknown().optional(),
});

/** Extension: the answer to `summary_request` (1–2 sentences for the whisper). */
export const agentSummarySchema = z.object({
  event: z.literal('summary'),
  text: z.string().min(1).max(4000),
  transferId: z.string().optional(),
});

/** Extension: the agent ends the call. */
export const agentHangupSchema = z.object({
  event: z.literal('hangup'),
  reason: z.string().max(500).optional(),
});

export const agentFrameSchema = z.discriminatedUnion('event', [
  agentMediaSchema,
  agentMarkSchema,
  agentClearSchema,
  agentTransferSchema,
  agentTextSchema,
  agentToolCallSchema,
  agentSummarySchema,
  agentHangupSchema,
]);

export type AgentFrame = z.infer<typeof agentFrameSchema>;
export type AgentFrameEvent = AgentFrame['event'];

export const AGENT_FRAME_EVENTS: ReadonlySet<string> = new Set<AgentFrameEvent>([
  'media',
  'mark',
  'clear',
  'transfer',
  'text',
  'tool_call',
  'summary',
  'hangup',
]);

/** Codes of the `error` event the daemon answers a bad frame with. */
export type AgentErrorCode = 'invalid_json' | 'invalid_frame' | 'invalid_audio';

/** A parsed frame other than `media`. */
export type AgentMessage = Exclude<AgentFrame, { event: 'media' }>;

export type ParseResult =
  /** Audio, decoded; kept apart from other frames so the 50-a-second path allocates one object. */
  | { readonly type: 'media'; readonly payload: Buffer }
  | { readonly type: 'ok'; readonly message: AgentMessage }
  /** A well-formed frame with an event this daemon does not know: ignored, as Twilio would. */
  | { readonly type: 'unknown'; readonly event: string }
  | { readonly type: 'invalid'; readonly code: AgentErrorCode; readonly message: string };

/**
 * Parses one text frame. `media` takes a hand-written fast path (it is 50 frames a second per
 * call) that accepts exactly what {@link agentMediaSchema} accepts; everything else goes through
 * the schemas. Error messages name fields, never their values (a value may be a phone number).
 */
export function parseAgentFrame(text: string, format: AudioFormat): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { type: 'invalid', code: 'invalid_json', message: 'frame is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { type: 'invalid', code: 'invalid_frame', message: 'frame is not a JSON object' };
  }
  const event = (raw as { event?: unknown }).event;
  if (typeof event !== 'string') {
    return { type: 'invalid', code: 'invalid_frame', message: 'event: expected a string' };
  }
  if (event === 'media') return parseMedia(raw as { streamSid?: unknown; media?: unknown }, format);
  if (!AGENT_FRAME_EVENTS.has(event)) return { type: 'unknown', event };
  const parsed = agentFrameSchema.safeParse(raw);
  if (!parsed.success) return { type: 'invalid', code: 'invalid_frame', message: describe(parsed.error) };
  return { type: 'ok', message: parsed.data as AgentMessage };
}

function parseMedia(raw: { streamSid?: unknown; media?: unknown }, format: AudioFormat): ParseResult {
  const media = raw.media;
  if (raw.streamSid !== undefined && typeof raw.streamSid !== 'string') {
    return { type: 'invalid', code: 'invalid_frame', message: 'streamSid: expected a string' };
  }
  if (typeof media !== 'object' || media === null) {
    return { type: 'invalid', code: 'invalid_frame', message: 'media: expected an object' };
  }
  const payload = (media as { payload?: unknown }).payload;
  if (typeof payload !== 'string') {
    return { type: 'invalid', code: 'invalid_frame', message: 'media.payload: expected a string' };
  }
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length === 0 && payload.length > 0) {
    return { type: 'invalid', code: 'invalid_audio', message: 'media.payload: not base64' };
  }
  if (format.encoding === 'pcm16' && bytes.length % 2 !== 0) {
    return {
      type: 'invalid',
      code: 'invalid_audio',
      message: 'media.payload: PCM16 needs an even byte count',
    };
  }
  return { type: 'media', payload: bytes };
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
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
