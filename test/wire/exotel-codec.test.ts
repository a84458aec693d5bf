import { describe, expect, it } from 'vitest';
import { createExotelCodec, EXOTEL_RECHUNK } from '../../providers/exotel/codec.js';
import { CodecError, STOP_CALL_ENDED } from '../../providers/types.js';
import { Rechunker } from '../../src/media/rechunk.js';

/** The Voicebot codec on frames built from protocols.md §4.2 (snake_case and camelCase). */

const SID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CALL = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

const start = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event: 'start',
    sequence_number: '1',
    stream_sid: SID,
    start: {
      stream_sid: SID,
      call_sid: CALL,
      account_sid: 'acme1',
      from: '+919876543210',
      to: '+918047491899',
      custom_parameters: { callId: 'c1', mediaToken: 't1' },
      media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
      ...extra,
    },
  });

function started() {
  const codec = createExotelCodec();
  codec.decode(start());
  return codec;
}

describe('exotel codec: Exotel → daemon', () => {
  it('connected carries nothing; start gives the stream, the call, PCM16 8 kHz and the custom parameters', () => {
    const codec = createExotelCodec();
    expect(codec.decode('{"event":"connected"}')).toBeNull();
    expect(codec.decode(start())).toEqual({
      type: 'start',
      streamId: SID,
      carrierCallId: CALL,
      format: { encoding: 'pcm16', sampleRate: 8000 },
      customParameters: { callId: 'c1', mediaToken: 't1' },
    });
    expect(codec.streamId).toBe(SID);
    expect(codec.format).toEqual({ encoding: 'pcm16', sampleRate: 8000 });
    expect(codec.rechunk).toEqual({ multipleOf: 320, minBytes: 3200, maxBytes: 100_000 });
  });

  it('accepts camelCase (Exotel’s sample bridge), 16 kHz, μ-law, and a missing media_format (PCM16 8 kHz)', () => {
    const camel = createExotelCodec();
    const frame = JSON.stringify({
      event: 'start',
      sequenceNumber: 1,
      streamSid: SID,
      start: {
        callSid: CALL,
        customParameters: {},
        mediaFormat: { encoding: 'audio/x-raw', sampleRate: 16000 },
      },
    });
    expect(camel.decode(frame)).toMatchObject({
      type: 'start',
      format: { encoding: 'pcm16', sampleRate: 16000 },
    });
    expect(
      createExotelCodec().decode(start({ media_format: { encoding: 'audio/x-mulaw', sample_rate: '8000' } })),
    ).toMatchObject({ format: { encoding: 'mulaw', sampleRate: 8000 } });
    expect(createExotelCodec().decode(start({ media_format: undefined }))).toMatchObject({
      format: { encoding: 'pcm16', sampleRate: 8000 },
    });
  });

  it('refuses an unsupported format, a missing call_sid, non-string custom parameters', () => {
    expect(createExotelCodec().decode(start({ media_format: { encoding: 'audio/opus' } }))).toMatchObject({
      field: 'start.media_format.encoding',
    });
    expect(
      createExotelCodec().decode(start({ media_format: { encoding: 'audio/x-raw', sample_rate: '11025' } })),
    ).toBeInstanceOf(CodecError);
    expect(createExotelCodec().decode(start({ call_sid: '' }))).toMatchObject({ field: 'start.call_sid' });
    expect(createExotelCodec().decode(start({ custom_parameters: { n: 1 } }))).toMatchObject({
      field: 'start.custom_parameters.n',
    });
  });

  it('media: the PCM16 bytes and the timestamp; odd lengths and bad base64 refused', () => {
    const codec = started();
    const pcm = Buffer.alloc(1600, 7);
    expect(
      codec.decode(
        JSON.stringify({
          event: 'media',
          sequence_number: '2',
          stream_sid: SID,
          media: { chunk: '1', timestamp: '100', payload: pcm.toString('base64') },
        }),
      ),
    ).toEqual({ type: 'audio', payload: pcm, timestampMs: 100 });
    expect(
      codec.decode(
        JSON.stringify({
          event: 'media',
          stream_sid: SID,
          media: { payload: Buffer.alloc(3).toString('base64') },
        }),
      ),
    ).toMatchObject({ field: 'media.payload' });
    expect(
      codec.decode(JSON.stringify({ event: 'media', stream_sid: SID, media: { payload: '!!' } })),
    ).toMatchObject({
      field: 'media.payload',
    });
  });

  it('dtmf, mark, and stop: callended means the call is over, stopped only the stream', () => {
    const codec = started();
    expect(
      codec.decode(JSON.stringify({ event: 'dtmf', stream_sid: SID, dtmf: { digit: '5', duration: '100' } })),
    ).toEqual({
      type: 'dtmf',
      digit: '5',
    });
    expect(codec.decode(JSON.stringify({ event: 'mark', stream_sid: SID, mark: { name: 'utt-7' } }))).toEqual(
      {
        type: 'mark',
        name: 'utt-7',
      },
    );
    const stop = (reason: string) =>
      codec.decode(JSON.stringify({ event: 'stop', stream_sid: SID, stop: { call_sid: CALL, reason } }));
    expect(stop('callended')).toEqual({ type: 'stop', reason: STOP_CALL_ENDED });
    expect(stop('stopped')).toEqual({ type: 'stop' });
  });

  it('refuses frames before start and frames of another stream; ignores unknown events', () => {
    expect(
      createExotelCodec().decode(JSON.stringify({ event: 'mark', stream_sid: SID, mark: { name: 'x' } })),
    ).toMatchObject({
      field: 'event',
    });
    const codec = started();
    expect(
      codec.decode(JSON.stringify({ event: 'mark', stream_sid: 'other', mark: { name: 'x' } })),
    ).toMatchObject({
      field: 'stream_sid',
    });
    expect(codec.decode(JSON.stringify({ event: 'future', stream_sid: SID }))).toBeNull();
  });
});

describe('exotel codec: daemon → Exotel', () => {
  it('media, mark and clear in snake_case with the stream id', () => {
    const codec = started();
    const payload = Buffer.alloc(3200, 1);
    expect(JSON.parse(text(codec.encode({ type: 'audio', payload })))).toEqual({
      event: 'media',
      stream_sid: SID,
      media: { payload: payload.toString('base64') },
    });
    expect(JSON.parse(text(codec.encode({ type: 'mark', name: 'm1' })))).toEqual({
      event: 'mark',
      stream_sid: SID,
      mark: { name: 'm1' },
    });
    expect(JSON.parse(text(codec.encode({ type: 'clear' })))).toEqual({ event: 'clear', stream_sid: SID });
  });

  it('the rechunk rule cuts any agent audio into chunks Exotel takes', () => {
    const rechunker = new Rechunker(EXOTEL_RECHUNK, 0);
    const out: number[] = [];
    for (const size of [160, 1600, 50, 33_000, 7, 200_000])
      rechunker.push(Buffer.alloc(size), (c) => out.push(c.length));
    rechunker.flush((c) => out.push(c.length));
    for (const size of out) {
      expect(size % 320).toBe(0);
      expect(size).toBeGreaterThanOrEqual(3200);
      expect(size).toBeLessThanOrEqual(100_000);
    }
  });
});

/** A text frame's text (the carrier's codecs send JSON as text frames). */
function text(frame: string | Buffer): string {
  if (typeof frame !== 'string') throw new Error('expected a text frame');
  return frame;
}
