import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTwilioCodec } from '../../providers/twilio/codec.js';
import { CodecError, type MediaCodec } from '../../providers/types.js';
import { DaemonError } from '../../src/domain/errors.js';
import { MULAW_8K } from '../../src/domain/media.js';

const MZ = `MZ${'0'.repeat(31)}1`;
const AC = `AC${'0'.repeat(31)}1`;
const CA = `CA${'0'.repeat(31)}1`;

// Frames exactly as in protocols.md §2.3.
const CONNECTED = '{"event":"connected","protocol":"Call","version":"1.0.0"}';
const START = JSON.stringify({
  event: 'start',
  sequenceNumber: '1',
  streamSid: MZ,
  start: {
    streamSid: MZ,
    accountSid: AC,
    callSid: CA,
    tracks: ['inbound'],
    customParameters: { tenant: 'acme' },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  },
});
const MEDIA = JSON.stringify({
  event: 'media',
  sequenceNumber: '2',
  streamSid: MZ,
  media: { track: 'inbound', chunk: '1', timestamp: '20', payload: '/////////w==' },
});
const DTMF = JSON.stringify({
  event: 'dtmf',
  sequenceNumber: '40',
  streamSid: MZ,
  dtmf: { track: 'inbound_track', digit: '5' },
});
const MARK = JSON.stringify({ event: 'mark', sequenceNumber: '41', streamSid: MZ, mark: { name: 'utt-7' } });
const STOP = JSON.stringify({
  event: 'stop',
  sequenceNumber: '42',
  streamSid: MZ,
  stop: { accountSid: AC, callSid: CA },
});

function started(): MediaCodec {
  const codec = createTwilioCodec();
  codec.decode(CONNECTED);
  codec.decode(START);
  return codec;
}

function codecError(result: unknown): CodecError {
  expect(result).toBeInstanceOf(CodecError);
  return result as CodecError;
}

describe('Twilio → daemon (protocols.md §2.3)', () => {
  it('connected carries nothing', () => {
    expect(createTwilioCodec().decode(CONNECTED)).toBeNull();
  });

  it('start: stream id, call id, μ-law 8 kHz, custom parameters; the codec keeps the stream id', () => {
    const codec = createTwilioCodec();
    expect(codec.streamId).toBeUndefined();
    expect(codec.decode(START)).toEqual({
      type: 'start',
      streamId: MZ,
      carrierCallId: CA,
      format: MULAW_8K,
      customParameters: { tenant: 'acme' },
    });
    expect(codec.streamId).toBe(MZ);
    expect(codec.format).toEqual(MULAW_8K);
  });

  it('media: base64 μ-law decoded, timestamp in ms', () => {
    const event = started().decode(MEDIA);
    expect(event).toEqual({
      type: 'audio',
      payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      timestampMs: 20,
    });
  });

  it('a full 20 ms frame is 160 bytes', () => {
    const payload = Buffer.alloc(160, 0x7f).toString('base64');
    const frame = JSON.stringify({
      event: 'media',
      sequenceNumber: '3',
      streamSid: MZ,
      media: { track: 'inbound', chunk: '2', timestamp: '40', payload },
    });
    const event = started().decode(frame);
    expect(event).toMatchObject({ type: 'audio', timestampMs: 40 });
    expect((event as { payload: Buffer }).payload.length).toBe(160);
  });

  it('dtmf, mark, stop', () => {
    const codec = started();
    expect(codec.decode(DTMF)).toEqual({ type: 'dtmf', digit: '5' });
    expect(codec.decode(MARK)).toEqual({ type: 'mark', name: 'utt-7' });
    expect(codec.decode(STOP)).toEqual({ type: 'stop' });
  });

  it('the outbound track and unknown events are ignored', () => {
    const codec = started();
    const outbound = JSON.parse(MEDIA);
    outbound.media.track = 'outbound';
    expect(codec.decode(JSON.stringify(outbound))).toBeNull();
    expect(
      codec.decode(JSON.stringify({ event: 'something-new', sequenceNumber: '9', streamSid: MZ })),
    ).toBeNull();
  });
});

describe('bad frames come back as CodecError naming the field', () => {
  const withMedia = (media: Record<string, unknown>) =>
    JSON.stringify({
      event: 'media',
      sequenceNumber: '2',
      streamSid: MZ,
      media: { track: 'inbound', chunk: '1', timestamp: '20', payload: 'AAAA', ...media },
    });
  const withStart = (start: Record<string, unknown>) => {
    const frame = JSON.parse(START);
    frame.start = { ...frame.start, ...start };
    return JSON.stringify(frame);
  };

  it.each([
    ['frame', 'not json'],
    ['frame', '[1,2]'],
    ['event', '{"streamSid":"MZ1"}'],
    [
      'sequenceNumber',
      JSON.stringify({ event: 'mark', sequenceNumber: 41, streamSid: MZ, mark: { name: 'x' } }),
    ],
    [
      'streamSid',
      JSON.stringify({ event: 'mark', sequenceNumber: '41', streamSid: 'MZother', mark: { name: 'x' } }),
    ],
    ['media', JSON.stringify({ event: 'media', sequenceNumber: '2', streamSid: MZ })],
    ['media.payload', withMedia({ payload: 'not base64!' })],
    ['media.payload', withMedia({ payload: 'AAA' })],
    ['media.payload', withMedia({ payload: 42 })],
    ['media.timestamp', withMedia({ timestamp: 20 })],
    ['media.track', withMedia({ track: 'both' })],
    [
      'dtmf.digit',
      JSON.stringify({ event: 'dtmf', sequenceNumber: '3', streamSid: MZ, dtmf: { digit: '55' } }),
    ],
    ['mark.name', JSON.stringify({ event: 'mark', sequenceNumber: '3', streamSid: MZ, mark: {} })],
  ])('%s', (field, frame) => {
    const err = codecError(started().decode(frame));
    expect(err.field).toBe(field);
    expect(err.code).toBe('codec_invalid_frame');
  });

  it.each([
    ['start.callSid', withStart({ callSid: undefined })],
    [
      'start.mediaFormat.encoding',
      withStart({ mediaFormat: { encoding: 'audio/x-l16', sampleRate: 8000, channels: 1 } }),
    ],
    [
      'start.mediaFormat.sampleRate',
      withStart({ mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 16000 } }),
    ],
    ['start.customParameters.n', withStart({ customParameters: { n: 1 } })],
    ['start', JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid: MZ })],
  ])('%s', (field, frame) => {
    const codec = createTwilioCodec();
    expect(codecError(codec.decode(frame)).field).toBe(field);
    expect(codec.streamId).toBeUndefined();
  });

  it('media before start', () => {
    expect(codecError(createTwilioCodec().decode(MEDIA)).field).toBe('event');
  });
});

describe('daemon → Twilio', () => {
  it('media, mark, clear carry the stream id (§2.3 server → Twilio)', () => {
    const codec = started();
    expect(codec.encode({ type: 'audio', payload: Buffer.from([0xff, 0x7f, 0x00]) })).toBe(
      `{"event":"media","streamSid":"${MZ}","media":{"payload":"/38A"}}`,
    );
    expect(codec.encode({ type: 'mark', name: 'utt-7' })).toBe(
      `{"event":"mark","streamSid":"${MZ}","mark":{"name":"utt-7"}}`,
    );
    expect(codec.encode({ type: 'clear' })).toBe(`{"event":"clear","streamSid":"${MZ}"}`);
  });

  it('outbound media of any size', () => {
    const payload = Buffer.alloc(8000, 0xd5);
    const frame = JSON.parse(text(started().encode({ type: 'audio', payload })));
    expect(Buffer.from(frame.media.payload, 'base64').equals(payload)).toBe(true);
  });

  it('encodeAudioBase64 writes the bytes of the frame encode writes, for any payload, stream id and headroom', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 1600 }),
        fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
        fc.nat({ max: 16 }),
        (bytes, sid, headroom) => {
          const codec = createTwilioCodec();
          const start = JSON.parse(START);
          codec.decode(
            JSON.stringify({ ...start, streamSid: sid, start: { ...start.start, streamSid: sid } }),
          );
          const payload = Buffer.from(bytes);
          const expected = Buffer.from(text(codec.encode({ type: 'audio', payload })), 'utf8');
          let asked: number | undefined;
          const frame = codec.encodeAudioBase64?.(payload.toString('base64'), (length) => {
            asked = length;
            return headroom;
          });
          expect(asked).toBe(expected.length);
          expect(frame?.length).toBe(headroom + expected.length);
          expect(frame?.subarray(headroom).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    expect(() => createTwilioCodec().encodeAudioBase64?.('AAAA')).toThrow(
      expect.objectContaining({ code: 'codec_not_started' }),
    );
  });

  it('refuses to encode before start', () => {
    const codec = createTwilioCodec();
    expect(() => codec.encode({ type: 'clear' })).toThrow(DaemonError);
    expect(() => codec.encode({ type: 'mark', name: 'x' })).toThrow(
      expect.objectContaining({ code: 'codec_not_started' }),
    );
  });
});

describe('round trips', () => {
  it('any audio the daemon sends decodes back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), fc.nat({ max: 1_000_000 }), (bytes, ts) => {
        const codec = started();
        const payload = Buffer.from(bytes);
        const out = JSON.parse(text(codec.encode({ type: 'audio', payload })));
        // Echo it back the way Twilio frames inbound audio.
        const inbound = JSON.stringify({
          event: 'media',
          sequenceNumber: '7',
          streamSid: out.streamSid,
          media: { track: 'inbound', chunk: '3', timestamp: String(ts), payload: out.media.payload },
        });
        expect(codec.decode(inbound)).toEqual({ type: 'audio', payload, timestampMs: ts });
      }),
      { numRuns: 200 },
    );
  });

  it('a mark sent comes back as the same mark', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        const codec = started();
        const out = JSON.parse(text(codec.encode({ type: 'mark', name })));
        const echo = JSON.stringify({
          event: 'mark',
          sequenceNumber: '9',
          streamSid: out.streamSid,
          mark: out.mark,
        });
        expect(codec.decode(echo)).toEqual({ type: 'mark', name });
      }),
      { numRuns: 100 },
    );
  });
});

/** A text frame's text (the carrier's codecs send JSON as text frames). */
function text(frame: string | Buffer): string {
  if (typeof frame !== 'string') throw new Error('expected a text frame');
  return frame;
}
