import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTwilioCodec } from '../../providers/twilio/codec.js';
import { CodecError, type MediaCodec } from '../../providers/types.js';
import { parseAgentFrame, scanAgentMedia } from '../../src/agent/websocket/protocol.js';
import { type AudioFormat, MULAW_8K } from '../../src/domain/media.js';
import { base64Bytes, base64Text } from '../../src/lib/base64-payload.js';
import { FrameScan } from '../../src/lib/frame-scan.js';

/** The scanners read the frame's bytes as the socket carries them (UTF-8); the payload found, as text. */
function scanTwilio(codec: MediaCodec, text: string): string | undefined {
  const span = codec.scanAudio?.(Buffer.from(text, 'utf8'));
  return span === undefined ? undefined : base64Text(span);
}

function scanAgent(scan: FrameScan, text: string, format: AudioFormat): string | undefined {
  const span = scanAgentMedia(scan, Buffer.from(text, 'utf8'), format);
  return span === undefined ? undefined : base64Text(span);
}

/**
 * The media fast path's scanners (src/lib/frame-scan.ts) decide a frame only when its meaning is
 * plain; everything else goes to JSON.parse and the full checks. Held to that over fuzzed frames:
 * whenever a scanner answers, the full path gives the same audio bytes, and on the frames the
 * carriers and agents really send, the scanner does answer.
 */

const SID = 'MZ18ad3ab5a668481ce02b83e7395059f0';

function startedTwilio(): MediaCodec {
  const codec = createTwilioCodec();
  const start = codec.decode(
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      streamSid: SID,
      start: {
        streamSid: SID,
        callSid: 'CA1',
        tracks: ['inbound'],
        customParameters: {},
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    }),
  );
  expect(start).toMatchObject({ type: 'start' });
  return codec;
}

const audio = fc.uint8Array({ minLength: 0, maxLength: 400 }).map((b) => Buffer.from(b).toString('base64'));
const digits = fc.stringMatching(/^\d{1,8}$/);
/** Values that are sometimes right, sometimes subtly wrong, sometimes of another JSON type. */
const value = fc.oneof(
  audio,
  digits,
  fc.constantFrom('media', 'inbound', 'outbound', SID, 'MZother', '', 'A===', 'AB=C', 'abc', 'mark'),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const mediaKeys = fc.constantFrom('payload', 'track', 'chunk', 'timestamp', 'extra');
const topKeys = fc.constantFrom('event', 'streamSid', 'sequenceNumber', 'media', 'extra');

/** A JSON text built from (key, value) pairs in a given order, duplicates allowed. */
function objectText(pairs: readonly (readonly [string, string])[], spaced: boolean): string {
  const sep = spaced ? ', ' : ',';
  const colon = spaced ? ': ' : ':';
  return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}${colon}${v}`).join(sep)}}`;
}

const mediaObject = fc
  .tuple(fc.array(fc.tuple(mediaKeys, value), { maxLength: 6 }), fc.boolean())
  .map(([pairs, spaced]) =>
    objectText(
      pairs.map(([k, v]) => [k, JSON.stringify(v)] as const),
      spaced,
    ),
  );

const frameText = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.tuple(
          topKeys,
          value.map((v) => JSON.stringify(v)),
        ),
        fc.tuple(fc.constant('media'), mediaObject),
      ),
      { maxLength: 6 },
    ),
    fc.boolean(),
  )
  .map(([pairs, spaced]) => objectText(pairs, spaced));

/** A frame with a few bytes changed, cut or inserted: mostly not JSON, sometimes still JSON. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      base,
      fc.array(
        fc.tuple(fc.nat(), fc.constantFrom('', '"', '\\', '{', '}', ',', ':', ' ', 'x', '=', '\u00e9')),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    )
    .map(([text, edits]) => {
      let out = text;
      for (const [at, insert] of edits) {
        const i = out.length === 0 ? 0 : at % out.length;
        out = insert === '' ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + insert + out.slice(i);
      }
      return out;
    });
}

const anyFrame = fc.oneof(frameText, mutated(frameText), fc.string({ maxLength: 80 }));

/** A plain frame as Twilio sends it (fields in Twilio's order, or any order). */
const plainTwilio = fc
  .tuple(audio, digits, digits, digits, fc.boolean())
  .map(([payload, seq, chunk, ts, shuffled]) => {
    const media = { track: 'inbound', chunk, timestamp: ts, payload };
    const frame = { event: 'media', sequenceNumber: seq, media, streamSid: SID };
    return {
      payload,
      text: shuffled
        ? JSON.stringify({ streamSid: SID, media: { payload, timestamp: ts }, event: 'media' })
        : JSON.stringify(frame),
    };
  });

const plainText = plainTwilio.map((p) => p.text);

describe('Twilio codec: scanAudio against JSON.parse and decode', () => {
  it('whenever the scanner answers, decode gives audio with exactly those bytes', () => {
    const codec = startedTwilio();
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof(anyFrame, plainText, mutated(plainText)), (text) => {
        const payload = scanTwilio(codec, text);
        if (payload === undefined) return;
        answered += 1;
        const event = codec.decode(text);
        expect(event).not.toBeInstanceOf(CodecError);
        expect(event).toMatchObject({ type: 'audio' });
        const bytes = (event as { payload: Buffer }).payload;
        expect(bytes.equals(Buffer.from(payload, 'base64'))).toBe(true);
        expect(base64Bytes(payload)).toBe(bytes.length);
      }),
      { numRuns: 3000 },
    );
    // The fuzzer reaches the frames the scanner takes, not only the ones it refuses.
    expect(answered).toBeGreaterThan(0);
  });

  it('answers every plain media frame of its stream, whatever the field order', () => {
    const codec = startedTwilio();
    fc.assert(
      fc.property(plainTwilio, ({ payload, text }) => {
        expect(scanTwilio(codec, text)).toBe(payload);
      }),
    );
  });

  it('leaves to decode what is not plain or not this stream', () => {
    const codec = startedTwilio();
    const p = Buffer.from([1, 2, 3]).toString('base64');
    const refused = [
      `{"event":"media","streamSid":"MZother","media":{"payload":"${p}"}}`,
      `{"event":"media","streamSid":"${SID}","media":{"track":"outbound","payload":"${p}"}}`,
      `{"event":"media","streamSid":"${SID}","media":{"payload":"${p}"}} `,
      `{"event": "media","streamSid":"${SID}","media":{"payload":"${p}"}}`,
      `{"event":"media","streamSid":"${SID}","media":{"payload":"${p}","payload":"${p}"}}`,
      `{"event":"media","streamSid":"${SID}","sequenceNumber":"7","sequenceNumber":"8","media":{"payload":"${p}"}}`,
      `{"event":"med\\u0069a","streamSid":"${SID}","media":{"payload":"${p}"}}`,
      `{"event":"media","streamSid":"${SID}","media":{"payload":"AQI"}}`,
      `{"event":"media","streamSid":"${SID}","sequenceNumber":7,"media":{"payload":"${p}"}}`,
      `{"event":"media","streamSid":"${SID}"}`,
      `{"event":"mark","streamSid":"${SID}","mark":{"name":"x"}}`,
    ];
    for (const text of refused) expect(scanTwilio(codec, text), text).toBeUndefined();
    // Before `start` there is no stream to match.
    expect(
      scanTwilio(createTwilioCodec(), `{"event":"media","streamSid":"${SID}","media":{"payload":"${p}"}}`),
    ).toBeUndefined();
  });
});

const agentPlain = fc
  .tuple(audio, fc.option(fc.constant(SID), { nil: undefined }))
  .map(([payload, sid]) =>
    JSON.stringify(
      sid === undefined
        ? { event: 'media', media: { payload } }
        : { event: 'media', streamSid: sid, media: { payload } },
    ),
  );
const agentFrame = fc.oneof(
  anyFrame,
  mutated(agentPlain),
  fc
    .tuple(audio, fc.option(fc.constant(SID), { nil: undefined }))
    .map(([payload, sid]) =>
      JSON.stringify(
        sid === undefined
          ? { event: 'media', media: { payload } }
          : { event: 'media', streamSid: sid, media: { payload } },
      ),
    ),
);

describe('agent frames: scanAgentMedia against parseAgentFrame', () => {
  for (const format of [MULAW_8K, { encoding: 'pcm16' as const, sampleRate: 24000 }]) {
    it(`${format.encoding}: whenever the scanner answers, the full parse gives media with those bytes`, () => {
      const scan = new FrameScan();
      let answered = 0;
      fc.assert(
        fc.property(agentFrame, (text) => {
          const payload = scanAgent(scan, text, format);
          if (payload === undefined) return;
          answered += 1;
          const parsed = parseAgentFrame(text, format);
          expect(parsed.type).toBe('media');
          const bytes = (parsed as { payload: Buffer }).payload;
          expect(bytes.equals(Buffer.from(payload, 'base64'))).toBe(true);
          expect(base64Bytes(payload)).toBe(bytes.length);
        }),
        { numRuns: 3000 },
      );
      expect(answered).toBeGreaterThan(0);
    });
  }

  it('answers the frames a Twilio bot sends; refuses odd PCM16 byte counts', () => {
    const scan = new FrameScan();
    const p = Buffer.from([1, 2, 3]).toString('base64');
    expect(
      scanAgent(scan, `{"event":"media","streamSid":"${SID}","media":{"payload":"${p}"}}`, MULAW_8K),
    ).toBe(p);
    expect(scanAgent(scan, `{"event":"media","media":{"payload":"${p}"}}`, MULAW_8K)).toBe(p);
    expect(
      scanAgent(scan, `{"event":"media","media":{"payload":"${p}"}}`, {
        encoding: 'pcm16',
        sampleRate: 16000,
      }),
    ).toBeUndefined();
  });
});
