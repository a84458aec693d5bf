/**
 * Decoding what an audio-stream server sends to Plivo (protocols.md §3.3, server → Plivo):
 * `playAudio` (base64 audio in the stream's own `contentType` and `sampleRate`, given as a number
 * or a string), `checkpoint` (`name`), `clearAudio`, `sendDTMF`. Text JSON frames only; a
 * `streamId`, when present, must be the stream's. Pure: no I/O.
 */
import { decodeBase64, readJsonFrame } from '../../media-client.js';

/** The audio format of a stream, from its `contentType` attribute (§3.2). */
export interface StreamFormat {
  readonly encoding: 'audio/x-mulaw' | 'audio/x-l16';
  readonly sampleRate: 8000 | 16000;
}

export const STREAM_CONTENT_TYPES: Readonly<Record<string, StreamFormat>> = {
  'audio/x-l16;rate=8000': { encoding: 'audio/x-l16', sampleRate: 8000 },
  'audio/x-l16;rate=16000': { encoding: 'audio/x-l16', sampleRate: 16000 },
  'audio/x-mulaw;rate=8000': { encoding: 'audio/x-mulaw', sampleRate: 8000 },
};

/** Plivo's default `contentType` (§3.2). */
export const DEFAULT_CONTENT_TYPE = 'audio/x-l16;rate=8000';

export type ServerMessage =
  | { readonly type: 'playAudio'; readonly payload: Buffer }
  | { readonly type: 'checkpoint'; readonly name: string }
  | { readonly type: 'clearAudio' }
  | { readonly type: 'sendDTMF'; readonly digits: string }
  /** Ignored by Plivo; the simulator logs why. */
  | { readonly type: 'rejected'; readonly detail: string };

export function decodeServerMessage(
  text: string | undefined,
  streamId: string,
  bidirectional: boolean,
  format: StreamFormat,
): ServerMessage {
  const frame = readJsonFrame(text);
  if ('rejected' in frame) return { type: 'rejected', detail: frame.rejected };
  const { message: m, event } = frame;
  if (!bidirectional) return { type: 'rejected', detail: `${event} on a stream that is not bidirectional` };
  if (m['streamId'] !== undefined && m['streamId'] !== streamId)
    return { type: 'rejected', detail: `wrong streamId in ${event}` };
  switch (event) {
    case 'playAudio':
      return playAudio(m['media'], format);
    case 'checkpoint': {
      const name = m['name'];
      return typeof name === 'string' && name !== ''
        ? { type: 'checkpoint', name }
        : { type: 'rejected', detail: 'checkpoint without a name' };
    }
    case 'clearAudio':
      return { type: 'clearAudio' };
    case 'sendDTMF': {
      const digits = m['dtmf'];
      return typeof digits === 'string' && /^[0-9*#A-Da-d]+$/.test(digits)
        ? { type: 'sendDTMF', digits }
        : { type: 'rejected', detail: 'sendDTMF without digits' };
    }
    default:
      return { type: 'rejected', detail: `unknown event ${event}` };
  }
}

function playAudio(media: unknown, format: StreamFormat): ServerMessage {
  if (typeof media !== 'object' || media === null)
    return { type: 'rejected', detail: 'playAudio without media' };
  const m = media as Record<string, unknown>;
  const contentType = typeof m['contentType'] === 'string' ? m['contentType'] : '';
  const [encoding, rateParam] = contentType.split(';').map((s) => s.trim());
  if (encoding !== format.encoding) {
    return {
      type: 'rejected',
      detail: `playAudio contentType ${contentType} does not match the stream (${format.encoding})`,
    };
  }
  const rawRate = m['sampleRate'];
  const rate =
    typeof rawRate === 'number' ? rawRate : typeof rawRate === 'string' ? Number(rawRate) : Number.NaN;
  const paramRate = rateParam?.startsWith('rate=') ? Number(rateParam.slice(5)) : undefined;
  if (rate !== format.sampleRate || (paramRate !== undefined && paramRate !== format.sampleRate)) {
    return {
      type: 'rejected',
      detail: `playAudio sampleRate ${String(rawRate)} does not match the stream (${format.sampleRate})`,
    };
  }
  const payload = decodeBase64(m['payload']);
  return payload
    ? { type: 'playAudio', payload }
    : { type: 'rejected', detail: 'playAudio payload is not base64' };
}
