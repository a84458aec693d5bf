/**
 * Decoding what a media-stream server sends to Twilio (protocols.md §2.3, server → Twilio):
 * `media` (base64 μ-law, any length), `mark`, `clear`. Text JSON frames only, each carrying the
 * stream's `streamSid`. Pure: no I/O.
 */
import { decodeBase64, readJsonFrame } from '../../media-client.js';

export type ServerMessage =
  | { readonly type: 'media'; readonly payload: Buffer }
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'clear' }
  /** Ignored by Twilio; the simulator logs why. */
  | { readonly type: 'rejected'; readonly detail: string };

export function decodeServerMessage(
  text: string | undefined,
  streamSid: string,
  bidirectional: boolean,
): ServerMessage {
  // An array passes as an object here: it is then rejected for its missing streamSid.
  const frame = readJsonFrame(text, true);
  if ('rejected' in frame) return { type: 'rejected', detail: frame.rejected };
  const { message: m, event } = frame;
  if (!bidirectional) return { type: 'rejected', detail: `${event} on a unidirectional stream` };
  if (m['streamSid'] !== streamSid)
    return { type: 'rejected', detail: `wrong or missing streamSid in ${event}` };
  switch (event) {
    case 'media': {
      const payload = decodeBase64((m['media'] as Record<string, unknown> | undefined)?.['payload']);
      return payload
        ? { type: 'media', payload }
        : { type: 'rejected', detail: 'media payload is not base64' };
    }
    case 'mark': {
      const name = (m['mark'] as Record<string, unknown> | undefined)?.['name'];
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
