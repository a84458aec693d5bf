import { z } from 'zod';
import type { AudioFormat } from '../../domain/media.js';
import { framePart } from '../../lib/ascii-frame.js';
import { type Base64Span, base64Bytes } from '../../lib/base64-payload.js';
import { END, type FrameScan, keyNames } from '../../lib/frame-scan.js';
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
 * The agent's plain `media` frame, read in place in its bytes ({@link FrameScan}): `event`, an
 * optional `streamSid` and `media` holding only `payload`, each once. Where the payload's base64
 * lies (canonical base64; whole samples for PCM16) — the scanner's span, read at once — or
 * `undefined` for anything else, which then goes to {@link parseAgentFrame}.
 */
export function scanAgentMedia(
  scan: FrameScan,
  frame: Uint8Array,
  format: AudioFormat,
): Base64Span | undefined {
  if (!scan.begin(frame)) return undefined;
  let seen = 0;
  for (let key = scan.keyOf(true, AGENT_MEDIA_KEYS); key !== END; key = scan.keyOf(false, AGENT_MEDIA_KEYS)) {
    switch (key) {
      case 0: // event
        if (!scan.stringEquals(MEDIA)) return undefined;
        break;
      case 1: // streamSid
        if (!scan.string()) return undefined;
        break;
      case 2: // media
        if (!scan.open() || scan.keyOf(true, PAYLOAD_KEY) !== 0) return undefined;
        if (!scan.base64() || scan.keyOf(false, PAYLOAD_KEY) !== END) return undefined;
        break;
      default:
        return undefined;
    }
    const bit = 1 << key;
    if ((seen & bit) !== 0) return undefined;
    seen |= bit;
  }
  if ((seen & 5) !== 5 || !scan.done()) return undefined;
  const payload = scan.payload;
  if (format.encoding === 'pcm16' && base64Bytes(payload) % 2 !== 0) return undefined;
  return payload;
}

/** The keys of an agent's plain `media` frame, and of its `media` object. */
const AGENT_MEDIA_KEYS = keyNames('event', 'streamSid', 'media');
const PAYLOAD_KEY = keyNames('payload');
const MEDIA = framePart('media');

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
