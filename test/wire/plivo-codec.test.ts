import { describe, expect, it } from 'vitest';
import { createPlivoCodec } from '../../providers/plivo/codec.js';
import { encodeExtraHeaders } from '../../providers/plivo/extra-headers.js';
import { CodecError } from '../../providers/types.js';

/** The Plivo audio-stream codec (protocols.md §3.3), both ways, on frames built from §3.3. */

const CALL = '0d7f0c52-5a8e-4a3f-9f7e-3b1b1b0c0001';
const STREAM = '5b1c9e1a-7a47-4d2b-8b0b-000000000001';

const start = (
  format: Record<string, unknown>,
  extra: unknown = encodeExtraHeaders({ callId: CALL, mediaToken: 'tok' }),
) =>
  JSON.stringify({
    event: 'start',
    sequenceNumber: 1,
    start: {
      callId: CALL,
      streamId: STREAM,
      accountId: 'MAXXXXXXXXXXXXXXXXXX',
      tracks: ['inbound'],
      mediaFormat: format,
    },
    extra_headers: extra,
  });

const media = (payload: Buffer, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event: 'media',
    sequenceNumber: 2,
    streamId: STREAM,
    media: { track: 'inbound', timestamp: '1767225600020', chunk: 1, payload: payload.toString('base64') },
    ...extra,
  });

describe('Plivo codec: Plivo → daemon', () => {
  it('start: μ-law 8 kHz, the stream id, the per-call parameters from extra_headers', () => {
    const codec = createPlivoCodec();
    expect(codec.decode(start({ encoding: 'audio/x-mulaw', sampleRate: 8000 }))).toEqual({
      type: 'start',
      streamId: STREAM,
      carrierCallId: CALL,
      format: { encoding: 'mulaw', sampleRate: 8000 },
      customParameters: { callId: CALL, mediaToken: 'tok' },
    });
    expect(codec.streamId).toBe(STREAM);
  });

  it('start: L16 8 and 16 kHz are PCM16; another format is refused; `;`-separated and object extra_headers are read', () => {
    const l16 = createPlivoCodec();
    expect(l16.decode(start({ encoding: 'audio/x-l16', sampleRate: 16000 }, 'a=1;b=2'))).toMatchObject({
      format: { encoding: 'pcm16', sampleRate: 16000 },
      customParameters: { a: '1', b: '2' },
    });
    expect(l16.format).toEqual({ encoding: 'pcm16', sampleRate: 16000 });
    expect(
      createPlivoCodec().decode(start({ encoding: 'audio/x-l16', sampleRate: '8000' }, { tenant: 'acme' })),
    ).toMatchObject({
      format: { encoding: 'pcm16', sampleRate: 8000 },
      customParameters: { tenant: 'acme' },
    });
    const bad = createPlivoCodec().decode(start({ encoding: 'audio/opus', sampleRate: 48000 }));
    expect(bad).toBeInstanceOf(CodecError);
    expect((bad as CodecError).field).toBe('start.mediaFormat');
  });

  it('media: the inbound bytes, timestamps from the first frame; the outbound track carries nothing', () => {
    const codec = createPlivoCodec();
    codec.decode(start({ encoding: 'audio/x-mulaw', sampleRate: 8000 }));
    const payload = Buffer.from(Array.from({ length: 160 }, (_, i) => i));
    expect(codec.decode(media(payload))).toEqual({ type: 'audio', payload, timestampMs: 0 });
    const later = JSON.stringify({
      event: 'media',
      sequenceNumber: 3,
      streamId: STREAM,
      media: { track: 'inbound', timestamp: '1767225600040', chunk: 2, payload: payload.toString('base64') },
    });
    expect(codec.decode(later)).toMatchObject({ timestampMs: 20 });
    expect(
      codec.decode(
        JSON.stringify({ event: 'media', streamId: STREAM, media: { track: 'outbound', payload: '' } }),
      ),
    ).toBeNull();
    expect((codec.decode(media(payload).replace(STREAM, 'other')) as CodecError).field).toBe('streamId');
    expect(
      (
        codec.decode(
          JSON.stringify({ event: 'media', streamId: STREAM, media: { payload: '%%%' } }),
        ) as CodecError
      ).field,
    ).toBe('media.payload');
  });

  it('dtmf, playedStream (a mark echo), clearedAudio, stop; nothing before start', () => {
    const codec = createPlivoCodec();
    expect((codec.decode(media(Buffer.alloc(160))) as CodecError).field).toBe('event');
    codec.decode(start({ encoding: 'audio/x-mulaw', sampleRate: 8000 }));
    expect(
      codec.decode(
        JSON.stringify({
          event: 'dtmf',
          sequenceNumber: 5,
          streamId: STREAM,
          dtmf: { track: 'inbound', digit: '5', timestamp: '1' },
        }),
      ),
    ).toEqual({ type: 'dtmf', digit: '5' });
    expect(
      codec.decode(
        JSON.stringify({ event: 'playedStream', sequenceNumber: 57, streamId: STREAM, name: 'pt7' }),
      ),
    ).toEqual({ type: 'mark', name: 'pt7' });
    expect(
      codec.decode(JSON.stringify({ event: 'clearedAudio', sequenceNumber: 58, streamId: STREAM })),
    ).toBeNull();
    expect(codec.decode(JSON.stringify({ event: 'stop', sequenceNumber: 59, streamId: STREAM }))).toEqual({
      type: 'stop',
    });
    expect(codec.decode(JSON.stringify({ event: 'somethingNew', streamId: STREAM }))).toBeNull();
    expect(
      (codec.decode(JSON.stringify({ event: 'dtmf', streamId: STREAM, sequenceNumber: 'x' })) as CodecError)
        .field,
    ).toBe('sequenceNumber');
  });
});

describe('Plivo codec: daemon → Plivo', () => {
  it('playAudio in the stream format, checkpoint for marks, clearAudio for barge-in', () => {
    const codec = createPlivoCodec();
    expect(() => codec.encode({ type: 'clear' })).toThrow(
      expect.objectContaining({ code: 'codec_not_started' }),
    );
    codec.decode(start({ encoding: 'audio/x-mulaw', sampleRate: 8000 }));
    expect(JSON.parse(text(codec.encode({ type: 'audio', payload: Buffer.alloc(160, 0xff) })))).toEqual({
      event: 'playAudio',
      streamId: STREAM,
      media: {
        contentType: 'audio/x-mulaw',
        sampleRate: 8000,
        payload: Buffer.alloc(160, 0xff).toString('base64'),
      },
    });
    expect(JSON.parse(text(codec.encode({ type: 'mark', name: 'pt1' })))).toEqual({
      event: 'checkpoint',
      streamId: STREAM,
      name: 'pt1',
    });
    expect(JSON.parse(text(codec.encode({ type: 'clear' })))).toEqual({
      event: 'clearAudio',
      streamId: STREAM,
    });
    const l16 = createPlivoCodec();
    l16.decode(start({ encoding: 'audio/x-l16', sampleRate: 16000 }));
    expect(JSON.parse(text(l16.encode({ type: 'audio', payload: Buffer.alloc(640) }))).media).toMatchObject({
      contentType: 'audio/x-l16',
      sampleRate: 16000,
    });
  });
});

/** A text frame's text (the carrier's codecs send JSON as text frames). */
function text(frame: string | Buffer): string {
  if (typeof frame !== 'string') throw new Error('expected a text frame');
  return frame;
}
