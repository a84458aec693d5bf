import { DaemonError } from '../../src/domain/errors.js';
import {
  type AudioFormat,
  type InboundMediaEvent,
  MULAW_8K,
  type OutboundMediaEvent,
} from '../../src/domain/media.js';
import { framePart, putPart } from '../../src/lib/ascii-frame.js';
import {
  type Base64Payload,
  type Base64Span,
  base64Length,
  putBase64,
} from '../../src/lib/base64-payload.js';
import { END, FrameScan, keyNames } from '../../src/lib/frame-scan.js';
import {
  DIGITS,
  decodeCustomParameters,
  decodeDtmf,
  decodeMark,
  decodePayload,
  isObject,
  type Json,
  otherTrack,
  parseFrame,
} from '../shared/codec-frames.js';
import { CodecError, type MediaCodec } from '../types.js';

/** The keys of a Twilio `media` frame and of its `media` object, in the order Twilio writes them. */
const FRAME_KEYS = keyNames('event', 'sequenceNumber', 'media', 'streamSid');
const MEDIA_KEYS = keyNames('track', 'chunk', 'timestamp', 'payload');
const MEDIA = framePart('media');
const INBOUND = framePart('inbound');
const MEDIA_TAIL = framePart('"}}');

/**
 * Twilio Media Streams frames (protocols.md §2.3) to and from the daemon's media vocabulary.
 * Pure: no I/O, no REST (STYLE.md 5). Checked by hand rather than with a schema, because `media`
 * frames arrive 50 times a second per call.
 *
 * Twilio → daemon: `connected`, `start`, `media`, `dtmf`, `mark`, `stop` (JSON text frames;
 * `sequenceNumber`, `chunk`, `timestamp` are strings). Daemon → Twilio: `media` (any length),
 * `mark`, `clear`, each carrying the `streamSid` learned at `start`.
 */
export function createTwilioCodec(): MediaCodec {
  return new TwilioCodec();
}

class TwilioCodec implements MediaCodec {
  readonly format: AudioFormat = MULAW_8K;
  #streamSid: string | undefined;
  #quotedSid = '""';
  /** `{"event":"media","streamSid":"…","media":{"payload":"` once the stream started. */
  #mediaHead: Buffer | undefined;
  readonly #scan = new FrameScan();
  /** The sid's bytes as they appear unescaped in a frame; undefined (no fast path) for a sid JSON escapes. */
  #plainSid: Uint8Array | undefined;

  get streamId(): string | undefined {
    return this.#streamSid;
  }

  decode(frame: string): InboundMediaEvent | CodecError | null {
    const parsed = parseFrame(frame);
    if (parsed instanceof CodecError) return parsed;
    const { message, event } = parsed;
    if (event === 'connected') return null;
    const sequence = message['sequenceNumber'];
    if (sequence !== undefined && !(typeof sequence === 'string' && DIGITS.test(sequence))) {
      return new CodecError('sequenceNumber', 'sequenceNumber is not a string of digits');
    }
    if (event === 'start') return this.#start(message);
    if (this.#streamSid === undefined) {
      // Twilio always sends `start` before anything that belongs to a stream.
      return new CodecError('event', `${event} before start`);
    }
    if (message['streamSid'] !== this.#streamSid) return new CodecError('streamSid', 'not this stream');
    switch (event) {
      case 'media':
        return decodeMedia(message['media']);
      case 'dtmf':
        return decodeDtmf(message);
      case 'mark':
        return decodeMark(message);
      case 'stop':
        return { type: 'stop' };
      default:
        // Events Twilio may add later carry nothing the daemon acts on.
        return null;
    }
  }

  encode(event: OutboundMediaEvent): string {
    const streamSid = this.#streamSid;
    if (streamSid === undefined) {
      throw new DaemonError('codec_not_started', 'cannot send to a Twilio stream before its start');
    }
    switch (event.type) {
      case 'audio':
        // The hot path (50 frames a second per call): the same JSON as JSON.stringify would
        // write, by concatenation — base64 needs no escaping, the sid was quoted once at start.
        return `{"event":"media","streamSid":${this.#quotedSid},"media":{"payload":"${event.payload.toString('base64')}"}}`;
      case 'mark':
        return JSON.stringify({ event: 'mark', streamSid, mark: { name: event.name } });
      case 'clear':
        return JSON.stringify({ event: 'clear', streamSid });
    }
  }

  /**
   * A plain inbound `media` frame of this stream — `event`, `sequenceNumber`, `streamSid` and
   * `media` with `track` (inbound), `chunk`, `timestamp` and `payload`, in any order, each at
   * most once — checked as {@link decode} checks it; anything else is left to `decode`.
   */
  scanAudio(frame: Uint8Array): Base64Span | undefined {
    const sid = this.#plainSid;
    const scan = this.#scan;
    if (sid === undefined || !scan.begin(frame)) return undefined;
    let seen = 0;
    for (let key = scan.keyOf(true, FRAME_KEYS); key !== END; key = scan.keyOf(false, FRAME_KEYS)) {
      switch (key) {
        case 0: // event
          if (!scan.stringEquals(MEDIA)) return undefined;
          break;
        case 1: // sequenceNumber
          if (!scan.digits()) return undefined;
          break;
        case 2: // media
          if (!scan.open() || !this.#scanMedia()) return undefined;
          break;
        case 3: // streamSid
          if (!scan.stringEquals(sid)) return undefined;
          break;
        default:
          return undefined;
      }
      const bit = 1 << key;
      if ((seen & bit) !== 0) return undefined;
      seen |= bit;
    }
    // `event`, `media` and `streamSid` are required; the outer object ends the frame.
    return (seen & 0b1101) === 0b1101 && scan.done() ? scan.payload : undefined;
  }

  /** The `media` object of a plain frame: true when it holds a payload and nothing unplain. */
  #scanMedia(): boolean {
    const scan = this.#scan;
    let seen = 0;
    for (let key = scan.keyOf(true, MEDIA_KEYS); key !== END; key = scan.keyOf(false, MEDIA_KEYS)) {
      switch (key) {
        case 0: // track
          if (!scan.stringEquals(INBOUND)) return false;
          break;
        case 1: // chunk
          if (!scan.string()) return false;
          break;
        case 2: // timestamp
          if (!scan.digits()) return false;
          break;
        case 3: // payload
          if (!scan.base64()) return false;
          break;
        default:
          return false;
      }
      const bit = 1 << key;
      if ((seen & bit) !== 0) return false;
      seen |= bit;
    }
    return (seen & 0b1000) !== 0;
  }

  encodeAudioBase64(payload: Base64Payload, headroom?: (length: number) => number): Buffer {
    const head = this.#mediaHead;
    if (head === undefined) {
      throw new DaemonError('codec_not_started', 'cannot send to a Twilio stream before its start');
    }
    // The bytes of the concatenation `encode` writes, in one buffer (src/lib/ascii-frame.ts).
    const length = head.length + base64Length(payload) + MEDIA_TAIL.length;
    const room = headroom === undefined ? 0 : headroom(length);
    const out = Buffer.allocUnsafe(room + length);
    putPart(out, putBase64(out, putPart(out, room, head), payload), MEDIA_TAIL);
    return out;
  }

  #start(message: Json): InboundMediaEvent | CodecError {
    const start = message['start'];
    if (!isObject(start)) return new CodecError('start', 'start is not an object');
    const streamSid = message['streamSid'] ?? start['streamSid'];
    if (typeof streamSid !== 'string' || streamSid === '') {
      return new CodecError('streamSid', 'streamSid is missing');
    }
    const callSid = start['callSid'];
    if (typeof callSid !== 'string' || callSid === '') {
      return new CodecError('start.callSid', 'start.callSid is missing');
    }
    const format = start['mediaFormat'];
    if (!isObject(format)) return new CodecError('start.mediaFormat', 'start.mediaFormat is not an object');
    if (format['encoding'] !== 'audio/x-mulaw') {
      return new CodecError('start.mediaFormat.encoding', 'start.mediaFormat.encoding is not audio/x-mulaw');
    }
    if (format['sampleRate'] !== 8000) {
      return new CodecError('start.mediaFormat.sampleRate', 'start.mediaFormat.sampleRate is not 8000');
    }
    if (format['channels'] !== undefined && format['channels'] !== 1) {
      return new CodecError('start.mediaFormat.channels', 'start.mediaFormat.channels is not 1');
    }
    const customParameters = decodeCustomParameters(
      start['customParameters'] ?? {},
      'start.customParameters',
    );
    if (customParameters instanceof CodecError) return customParameters;
    this.#streamSid = streamSid;
    this.#quotedSid = JSON.stringify(streamSid);
    this.#mediaHead = framePart(`{"event":"media","streamSid":${this.#quotedSid},"media":{"payload":"`);
    this.#plainSid = this.#quotedSid === `"${streamSid}"` ? framePart(streamSid) : undefined;
    return { type: 'start', streamId: streamSid, carrierCallId: callSid, format: MULAW_8K, customParameters };
  }
}

function decodeMedia(media: unknown): InboundMediaEvent | CodecError | null {
  if (!isObject(media)) return new CodecError('media', 'media is not an object');
  // `<Connect><Stream>` streams the inbound track only; anything else is not the caller.
  const other = otherTrack(media['track']);
  if (other !== undefined) return other;
  const payload = decodePayload(media['payload']);
  if (payload instanceof CodecError) return payload;
  const timestamp = media['timestamp'];
  if (timestamp === undefined) return { type: 'audio', payload };
  if (typeof timestamp !== 'string' || !DIGITS.test(timestamp)) {
    return new CodecError('media.timestamp', 'media.timestamp is not a string of digits');
  }
  return { type: 'audio', payload, timestampMs: Number(timestamp) };
}
