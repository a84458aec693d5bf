import { z } from 'zod';
import type { AudioFormat } from '../../domain/media.js';
import {
  CONTROL_EVENTS,
  type ControlMessage,
  controlMessageSchema,
  describeIssues,
} from '../control-events.js';

/**
 * What an agent may send the daemon over a WebSocket (docs/agent-protocol.md). The base is
 * Twilio's Media Streams protocol, server → Twilio direction (protocols.md §2.3): `media`,
 * `mark`, `clear`. Everything else is a control message (control-events.ts), optional, so a bot
 * written for Twilio works unchanged.
 */

const streamSid = z.string().optional();

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
  mark: z.object({ name: z.string().min(1).max(256) }),
});

/** Twilio `clear`: barge-in; drop all audio not yet played. */
export const agentClearSchema = z.object({ event: z.literal('clear'), streamSid });

/** Codes of the `error` event the daemon answers a bad frame with. */
export type AgentErrorCode = 'invalid_json' | 'invalid_frame' | 'invalid_audio';

/** A parsed frame other than `media`: Twilio's `mark` and `clear`, or a control message. */
export type AgentMessage =
  | z.infer<typeof agentMarkSchema>
  | z.infer<typeof agentClearSchema>
  | ControlMessage;

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
  const schema = event === 'mark' ? agentMarkSchema : event === 'clear' ? agentClearSchema : undefined;
  if (schema === undefined && !CONTROL_EVENTS.has(event)) return { type: 'unknown', event };
  const parsed = (schema ?? controlMessageSchema).safeParse(raw);
  if (!parsed.success)
    return { type: 'invalid', code: 'invalid_frame', message: describeIssues(parsed.error) };
  return { type: 'ok', message: parsed.data };
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
