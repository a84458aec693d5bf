/**
 * Decoding what a Voicebot server sends to Exotel (protocols.md §4.2, bot → Exotel): `media`
 * (base64 PCM16 LE), `mark`, `clear`, each naming the stream. Exotel documents snake_case
 * (`stream_sid`); its own sample bridge sends camelCase (`streamSid`): both are accepted. Audio
 * must come in multiples of 320 bytes, 3 200 to 100 000 bytes per message. Pure: no I/O.
 */
import { decodeBase64, readJsonFrame } from '../../media-client.js';

export type BotMessage =
  | { readonly type: 'media'; readonly payload: Buffer }
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'clear' }
  /** Not something Exotel acts on; the simulator logs why. */
  | { readonly type: 'rejected'; readonly detail: string };

/** Exotel's outbound chunk rules (§4.2). */
export const CHUNK_MULTIPLE = 320;
export const CHUNK_MIN_BYTES = 3200;
export const CHUNK_MAX_BYTES = 100_000;

export function decodeBotMessage(
  text: string | undefined,
  streamSid: string,
  enforceChunkRules: boolean,
): BotMessage {
  const frame = readJsonFrame(text);
  if ('rejected' in frame) return { type: 'rejected', detail: frame.rejected };
  const { message: m, event } = frame;
  const sid = m['stream_sid'] ?? m['streamSid'];
  if (sid !== streamSid) return { type: 'rejected', detail: `wrong or missing stream_sid in ${event}` };
  switch (event) {
    case 'media': {
      const audio = decodeBase64(inner(m, 'media', 'payload'));
      if (!audio) return { type: 'rejected', detail: 'media payload is not base64' };
      if (
        enforceChunkRules &&
        (audio.length % CHUNK_MULTIPLE !== 0 ||
          audio.length < CHUNK_MIN_BYTES ||
          audio.length > CHUNK_MAX_BYTES)
      ) {
        return {
          type: 'rejected',
          detail: `media chunk of ${audio.length} bytes: must be a multiple of ${CHUNK_MULTIPLE} from ${CHUNK_MIN_BYTES} to ${CHUNK_MAX_BYTES}`,
        };
      }
      return { type: 'media', payload: audio };
    }
    case 'mark': {
      const name = inner(m, 'mark', 'name');
      return typeof name === 'string'
        ? { type: 'mark', name }
        : { type: 'rejected', detail: 'mark without a name' };
    }
    case 'clear':
      return { type: 'clear' };
    default:
      return { type: 'rejected', detail: `unknown event ${event}` };
  }
}

function inner(m: Record<string, unknown>, object: string, name: string): unknown {
  const value = m[object];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
