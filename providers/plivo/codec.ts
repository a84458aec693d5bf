import { DaemonError } from '../../src/domain/errors.js';
import {
  type AudioFormat,
  type InboundMediaEvent,
  MULAW_8K,
  type OutboundMediaEvent,
} from '../../src/domain/media.js';
import {
  DIGITS,
  decodeDtmf,
  decodePayload,
  isObject,
  type Json,
  otherTrack,
  parseFrame,
} from '../shared/codec-frames.js';
import { CodecError, type MediaCodec } from '../types.js';
import { decodeExtraHeaders } from './extra-headers.js';

/**
 * Plivo audio-stream frames (protocols.md §3.3) to and from the daemon's media vocabulary. Pure:
 * no I/O, no REST (STYLE.md 5). Checked by hand rather than with a schema: `media` frames arrive
 * 50 times a second per call.
 *
 * Plivo → daemon: `start` (format, `extra_headers` with the per-call parameters), `media`
 * (`sequenceNumber` and `chunk` numbers, `timestamp` a string of epoch ms), `dtmf`, `playedStream`
 * (a `checkpoint` whose audio has played: the daemon's mark echo), `clearedAudio`, and `stop`,
 * which Plivo does not document (the socket closing ends a stream) but some peers handle.
 * Daemon → Plivo: `playAudio` in the stream's own format, `checkpoint` for marks, `clearAudio`
 * for barge-in, each with the `streamId` learned at `start`.
 */
export function createPlivoCodec(): MediaCodec {
  return new PlivoCodec();
}

/** `contentType` of each format Plivo streams (§3.2), and back. */
function formatOf(encoding: unknown, sampleRate: unknown): AudioFormat | undefined {
  const rate = typeof sampleRate === 'string' && DIGITS.test(sampleRate) ? Number(sampleRate) : sampleRate;
  if (encoding === 'audio/x-mulaw' && rate === 8000) return MULAW_8K;
  if (encoding === 'audio/x-l16' && (rate === 8000 || rate === 16000)) {
    return Object.freeze({ encoding: 'pcm16', sampleRate: rate });
  }
  return undefined;
}

function contentTypeOf(format: AudioFormat): string {
  return format.encoding === 'mulaw' ? 'audio/x-mulaw' : 'audio/x-l16';
}

class PlivoCodec implements MediaCodec {
  #format: AudioFormat = MULAW_8K;
  #streamId: string | undefined;
  #firstTimestamp: number | undefined;

  get format(): AudioFormat {
    return this.#format;
  }

  get streamId(): string | undefined {
    return this.#streamId;
  }

  decode(frame: string): InboundMediaEvent | CodecError | null {
    const parsed = parseFrame(frame);
    if (parsed instanceof CodecError) return parsed;
    const { message, event } = parsed;
    const sequence = message['sequenceNumber'];
    // §3.3 says a number; a string of digits is tolerated rather than dropping the frame.
    if (sequence !== undefined && !isCount(sequence)) {
      return new CodecError('sequenceNumber', 'sequenceNumber is not a number');
    }
    if (event === 'start') return this.#start(message);
    if (this.#streamId === undefined) return new CodecError('event', `${event} before start`);
    const streamId = message['streamId'];
    if (streamId !== undefined && streamId !== this.#streamId)
      return new CodecError('streamId', 'not this stream');
    switch (event) {
      case 'media':
        return this.#media(message['media']);
      case 'dtmf':
        // Shape from the 3rd-party AsyncAPI (UNCONFIRMED): `dtmf.digit`.
        return decodeDtmf(message);
      case 'playedStream': {
        const name = message['name'];
        if (typeof name !== 'string') return new CodecError('name', 'playedStream.name is not a string');
        return { type: 'mark', name };
      }
      case 'stop':
        return { type: 'stop' };
      default:
        // `clearedAudio` (the bridge settles marks itself on clear) and events Plivo may add.
        return null;
    }
  }

  encode(event: OutboundMediaEvent): string {
    const streamId = this.#streamId;
    if (streamId === undefined) {
      throw new DaemonError('codec_not_started', 'cannot send to a Plivo stream before its start');
    }
    switch (event.type) {
      case 'audio':
        return JSON.stringify({
          event: 'playAudio',
          streamId,
          media: {
            contentType: contentTypeOf(this.#format),
            sampleRate: this.#format.sampleRate,
            payload: event.payload.toString('base64'),
          },
        });
      case 'mark':
        return JSON.stringify({ event: 'checkpoint', streamId, name: event.name });
      case 'clear':
        return JSON.stringify({ event: 'clearAudio', streamId });
    }
  }

  #start(message: Json): InboundMediaEvent | CodecError {
    const start = message['start'];
    if (!isObject(start)) return new CodecError('start', 'start is not an object');
    const streamId = start['streamId'] ?? message['streamId'];
    if (typeof streamId !== 'string' || streamId === '')
      return new CodecError('start.streamId', 'start.streamId is missing');
    const callId = start['callId'];
    if (typeof callId !== 'string' || callId === '')
      return new CodecError('start.callId', 'start.callId is missing');
    const mediaFormat = start['mediaFormat'];
    if (!isObject(mediaFormat))
      return new CodecError('start.mediaFormat', 'start.mediaFormat is not an object');
    const format = formatOf(mediaFormat['encoding'], mediaFormat['sampleRate']);
    if (format === undefined) {
      return new CodecError('start.mediaFormat', 'start.mediaFormat is not μ-law 8 kHz or L16 8/16 kHz');
    }
    const customParameters = decodeExtraHeaders(message['extra_headers'] ?? start['extra_headers']);
    if (customParameters === undefined)
      return new CodecError('extra_headers', 'extra_headers is not a k=v list');
    this.#streamId = streamId;
    this.#format = format;
    return { type: 'start', streamId, carrierCallId: callId, format, customParameters };
  }

  #media(media: unknown): InboundMediaEvent | CodecError | null {
    if (!isObject(media)) return new CodecError('media', 'media is not an object');
    // A bidirectional stream carries the inbound track only (§3.2); anything else is not the caller.
    const other = otherTrack(media['track']);
    if (other !== undefined) return other;
    const bytes = decodePayload(media['payload']);
    if (bytes instanceof CodecError) return bytes;
    const timestamp = media['timestamp'];
    if (timestamp === undefined) return { type: 'audio', payload: bytes };
    if (!isCount(timestamp))
      return new CodecError('media.timestamp', 'media.timestamp is not epoch milliseconds');
    // Plivo stamps epoch ms; the daemon's media vocabulary counts from the stream's first frame.
    const epochMs = Number(timestamp);
    this.#firstTimestamp ??= epochMs;
    return { type: 'audio', payload: bytes, timestampMs: Math.max(0, epochMs - this.#firstTimestamp) };
  }
}

function isCount(value: unknown): boolean {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
    (typeof value === 'string' && DIGITS.test(value) && value.length <= 16)
  );
}
