import { DaemonError } from '../../src/domain/errors.js';
import type { AudioFormat, InboundMediaEvent, OutboundMediaEvent } from '../../src/domain/media.js';
import { isSupportedFormat } from '../../src/media/formats.js';
import type { RechunkRule } from '../../src/media/rechunk.js';
import {
  DIGITS,
  decodeCustomParameters,
  decodeDtmf,
  decodeMark,
  decodePayload,
  field,
  isObject,
  type Json,
  parseFrame,
} from '../shared/codec-frames.js';
import { CodecError, type MediaCodec, STOP_CALL_ENDED } from '../types.js';

/**
 * Exotel Voicebot frames (protocols.md §4.2) to and from the daemon's media vocabulary. Pure: no
 * I/O (STYLE.md 5). Checked by hand rather than with a schema: `media` frames arrive ten times a
 * second per call.
 *
 * Exotel → daemon: `connected`, `start`, `media` (≈100 ms of PCM16 LE), `dtmf`, `mark` (ours,
 * echoed once the audio before it has played), `stop` with a reason, then close. Exotel's docs and
 * pipecat use snake_case (`stream_sid`, `sequence_number`); Exotel's own sample bridge sends
 * camelCase (`streamSid`): both are accepted. Daemon → Exotel: `media`, `mark`, `clear`, in
 * snake_case.
 *
 * Audio sent to Exotel must come in multiples of 320 bytes, 3.2 KB to 100 KB per message: the
 * bridge re-cuts it by {@link EXOTEL_RECHUNK}.
 */
export function createExotelCodec(): MediaCodec {
  return new ExotelCodec();
}

/** Exotel's default stream: PCM16 little-endian, 8 kHz (§1.1, §4.1). */
export const PCM16_8K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 8000 });

/** Outbound chunks: multiples of 320 B, at least 3 200 B, at most 100 000 B (§4.2). */
export const EXOTEL_RECHUNK: RechunkRule = Object.freeze({
  multipleOf: 320,
  minBytes: 3200,
  maxBytes: 100_000,
});

class ExotelCodec implements MediaCodec {
  readonly rechunk = EXOTEL_RECHUNK;
  #format: AudioFormat = PCM16_8K;
  #streamSid: string | undefined;

  get format(): AudioFormat {
    return this.#format;
  }

  get streamId(): string | undefined {
    return this.#streamSid;
  }

  decode(frame: string): InboundMediaEvent | CodecError | null {
    const parsed = parseFrame(frame);
    if (parsed instanceof CodecError) return parsed;
    const { message, event } = parsed;
    if (event === 'connected') return null;
    const sequence = either(message, 'sequence_number', 'sequenceNumber');
    if (sequence !== undefined && !isDigits(sequence)) {
      return new CodecError('sequence_number', 'sequence_number is not a number');
    }
    if (event === 'start') return this.#start(message);
    if (this.#streamSid === undefined) return new CodecError('event', `${event} before start`);
    const sid = either(message, 'stream_sid', 'streamSid');
    if (sid !== undefined && sid !== this.#streamSid) return new CodecError('stream_sid', 'not this stream');
    switch (event) {
      case 'media':
        return this.#media(message['media']);
      case 'dtmf':
        return decodeDtmf(message);
      case 'mark':
        return decodeMark(message);
      case 'stop': {
        // `callended`: the caller hung up; `stopped`: the stream ended and the flow goes on (§4.2).
        const reason = field(message, 'stop', 'reason');
        return reason === 'callended' ? { type: 'stop', reason: STOP_CALL_ENDED } : { type: 'stop' };
      }
      default:
        // Events Exotel may add later carry nothing the daemon acts on.
        return null;
    }
  }

  encode(event: OutboundMediaEvent): string {
    const stream_sid = this.#streamSid;
    if (stream_sid === undefined) {
      throw new DaemonError('codec_not_started', 'cannot send to an Exotel stream before its start');
    }
    switch (event.type) {
      case 'audio':
        return JSON.stringify({
          event: 'media',
          stream_sid,
          media: { payload: event.payload.toString('base64') },
        });
      case 'mark':
        return JSON.stringify({ event: 'mark', stream_sid, mark: { name: event.name } });
      case 'clear':
        return JSON.stringify({ event: 'clear', stream_sid });
    }
  }

  #start(message: Json): InboundMediaEvent | CodecError {
    const start = message['start'];
    if (!isObject(start)) return new CodecError('start', 'start is not an object');
    const streamSid = either(message, 'stream_sid', 'streamSid') ?? either(start, 'stream_sid', 'streamSid');
    if (typeof streamSid !== 'string' || streamSid === '') {
      return new CodecError('stream_sid', 'stream_sid is missing');
    }
    const callSid = either(start, 'call_sid', 'callSid');
    if (typeof callSid !== 'string' || callSid === '') {
      return new CodecError('start.call_sid', 'start.call_sid is missing');
    }
    const format = formatOf(either(start, 'media_format', 'mediaFormat'));
    if (format instanceof CodecError) return format;
    const customParameters = decodeCustomParameters(
      either(start, 'custom_parameters', 'customParameters') ?? {},
      'start.custom_parameters',
    );
    if (customParameters instanceof CodecError) return customParameters;
    this.#streamSid = streamSid;
    this.#format = format;
    return { type: 'start', streamId: streamSid, carrierCallId: callSid, format, customParameters };
  }

  #media(media: unknown): InboundMediaEvent | CodecError {
    if (!isObject(media)) return new CodecError('media', 'media is not an object');
    const audio = decodePayload(media['payload']);
    if (audio instanceof CodecError) return audio;
    if (this.#format.encoding === 'pcm16' && audio.length % 2 !== 0) {
      return new CodecError('media.payload', 'media.payload is not whole PCM16 samples');
    }
    const timestamp = media['timestamp'];
    if (timestamp === undefined) return { type: 'audio', payload: audio };
    if (!isDigits(timestamp)) return new CodecError('media.timestamp', 'media.timestamp is not a number');
    return { type: 'audio', payload: audio, timestampMs: Number(timestamp) };
  }
}

/**
 * `media_format` (§4.2): `audio/x-raw` (PCM16 LE, the base guide's default; also `audio/L16`),
 * or `audio/x-mulaw` (the beta extension); `sample_rate` 8000, 16000 or 24000, as a string in the
 * docs' example. Absent: PCM16 at 8 kHz.
 */
function formatOf(raw: unknown): AudioFormat | CodecError {
  if (raw === undefined) return PCM16_8K;
  if (!isObject(raw)) return new CodecError('start.media_format', 'start.media_format is not an object');
  const encoding = raw['encoding'];
  const rateValue = either(raw, 'sample_rate', 'sampleRate') ?? '8000';
  if (!isDigits(rateValue)) {
    return new CodecError('start.media_format.sample_rate', 'start.media_format.sample_rate is not a number');
  }
  const sampleRate = Number(rateValue);
  const name = typeof encoding === 'string' ? encoding.toLowerCase().split(';')[0] : undefined;
  const format: AudioFormat | undefined =
    name === undefined || name === 'audio/x-raw' || name === 'audio/l16' || name === 'audio/x-l16'
      ? { encoding: 'pcm16', sampleRate }
      : name === 'audio/x-mulaw'
        ? { encoding: 'mulaw', sampleRate }
        : undefined;
  if (format === undefined) {
    return new CodecError('start.media_format.encoding', 'start.media_format.encoding is not PCM16 or μ-law');
  }
  if (!isSupportedFormat(format)) {
    return new CodecError(
      'start.media_format.sample_rate',
      'start.media_format.sample_rate is not supported',
    );
  }
  return format;
}

function either(message: Json, snake: string, camel: string): unknown {
  return message[snake] ?? message[camel];
}

function isDigits(value: unknown): boolean {
  return (
    (typeof value === 'string' && DIGITS.test(value)) ||
    (typeof value === 'number' && Number.isInteger(value) && value >= 0)
  );
}
