/**
 * Decoding what a media-stream server sends to Twilio (protocols.md §2.3, server → Twilio):
 * `media` (base64 μ-law, any length), `mark`, `clear`. Text JSON frames only, each carrying the
 * stream's `streamSid`. Pure: no I/O.
 */

export type ServerMessage =
  | { readonly type: 'media'; readonly payload: Buffer }
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'clear' }
  /** Ignored by Twilio; the simulator logs why. */
  | { readonly type: 'rejected'; readonly detail: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeServerMessage(
  text: string | undefined,
  streamSid: string,
  bidirectional: boolean,
): ServerMessage {
  if (text === undefined) return { type: 'rejected', detail: 'binary frame' };
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { type: 'rejected', detail: 'invalid JSON' };
  }
  if (typeof msg !== 'object' || msg === null) return { type: 'rejected', detail: 'not an object' };
  const m = msg as Record<string, unknown>;
  const event = String(m['event']);
  if (!bidirectional) return { type: 'rejected', detail: `${event} on a unidirectional stream` };
  if (m['streamSid'] !== streamSid)
    return { type: 'rejected', detail: `wrong or missing streamSid in ${event}` };
  switch (event) {
    case 'media': {
      const payload = (m['media'] as Record<string, unknown> | undefined)?.['payload'];
      if (typeof payload !== 'string' || payload.length % 4 !== 0 || !BASE64.test(payload)) {
        return { type: 'rejected', detail: 'media payload is not base64' };
      }
      return { type: 'media', payload: Buffer.from(payload, 'base64') };
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
