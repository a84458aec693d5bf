import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTwilioCodec } from '../../providers/twilio/codec.js';
import { MULAW_8K } from '../../src/domain/media.js';
import type { Base64Span } from '../../src/lib/base64-payload.js';
import { linearToUlaw } from '../../src/media/mulaw.js';
import { tone } from '../../src/media/tone.js';
import {
  audioLevel,
  base64AudioLevel,
  mulawLevel,
  SilenceWatch,
  SPEECH_LEVEL,
} from '../../src/runtime/silence.js';

const PCM8 = { encoding: 'pcm16', sampleRate: 8000 } as const;
const PCM16K = { encoding: 'pcm16', sampleRate: 16000 } as const;

const frame = (amplitude: number): Uint8Array =>
  Uint8Array.from({ length: 160 }, (_, i) =>
    linearToUlaw(Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / 8000))),
  );

describe('silence watch', () => {
  it('measures μ-law frames: silence is quiet, a tone is loud', () => {
    expect(mulawLevel(new Uint8Array(160).fill(0xff))).toBe(0);
    expect(mulawLevel(frame(8000))).toBeGreaterThan(SPEECH_LEVEL);
    expect(mulawLevel(frame(200))).toBeLessThan(SPEECH_LEVEL);
  });

  it.each([
    ['μ-law 8 kHz', MULAW_8K],
    ['PCM16 8 kHz', PCM8],
    ['PCM16 16 kHz', PCM16K],
  ] as const)(
    'measures %s in its own encoding: silence is quiet, a tone is loud, a whisper is quiet',
    (_name, format) => {
      expect(audioLevel(tone(format, { frequencyHz: 0, durationMs: 20 }), format)).toBe(0);
      expect(
        audioLevel(tone(format, { frequencyHz: 440, durationMs: 20, amplitude: 0.25 }), format),
      ).toBeGreaterThan(SPEECH_LEVEL);
      expect(
        audioLevel(tone(format, { frequencyHz: 440, durationMs: 20, amplitude: 0.006 }), format),
      ).toBeLessThan(SPEECH_LEVEL);
    },
  );

  it('PCM16 silence (zeros) is not read as μ-law, where 0x00 is a full-scale sample', () => {
    const zeros = new Uint8Array(320);
    expect(mulawLevel(zeros)).toBeGreaterThan(30_000);
    expect(audioLevel(zeros, PCM8)).toBe(0);
    const w = new SilenceWatch(3_000, 0);
    for (let t = 0; t <= 11_000; t += 100) w.callerAudio(zeros, PCM8, t);
    expect(w.due(11_000)).toBe(true);
  });

  it('a PCM16 caller who talks is not silent; negative samples count by their magnitude', () => {
    const w = new SilenceWatch(3_000, 0);
    const speech = tone(PCM8, { frequencyHz: 300, durationMs: 100, amplitude: 0.3 });
    for (let t = 0; t <= 11_000; t += 100) w.callerAudio(speech, PCM8, t);
    expect(w.due(11_000)).toBe(false);
    // A frame of only negative samples (0xFC18 = −1000 little-endian: 0x18, 0xFC) sits at the level.
    const negative = Uint8Array.from({ length: 320 }, (_, i) => (i % 2 === 0 ? 0x18 : 0xfc));
    expect(audioLevel(negative, PCM8)).toBe(1000);
  });

  it('fires once after the timeout of silence, and speech re-arms it', () => {
    const w = new SilenceWatch(10_000, 0);
    w.callerAudio(new Uint8Array(160).fill(0xff), MULAW_8K, 5_000);
    expect(w.due(9_999)).toBe(false);
    expect(w.due(10_000)).toBe(true);
    expect(w.due(15_000)).toBe(false);
    w.callerAudio(frame(8000), MULAW_8K, 16_000);
    expect(w.due(25_999)).toBe(false);
    expect(w.due(26_000)).toBe(true);
  });

  it('measures a base64 payload in place as the decoded bytes measure, in either encoding', () => {
    // The span sits inside other bytes, as a payload does inside its frame.
    const spanOf = (text: string, before: number, after: number): Base64Span => {
      const bytes = Buffer.concat([
        Buffer.alloc(before, 0x22),
        Buffer.from(text, 'latin1'),
        Buffer.alloc(after, 0x7d),
      ]);
      return { bytes, start: before, end: before + text.length };
    };
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ minLength: 30_000, maxLength: 40_000 })),
        fc.nat(40),
        fc.nat(40),
        fc.constantFrom(MULAW_8K, PCM8, PCM16K),
        (audio, before, after, format) => {
          const span = spanOf(Buffer.from(audio).toString('base64'), before, after);
          expect(base64AudioLevel(span, format)).toBe(audioLevel(audio, format));
        },
      ),
      { numRuns: 500 },
    );
    // Padding whose spare bits are set decodes as Node decodes it (the bits dropped).
    for (const text of ['AB==', 'ABC=', '/+9=', '////', '']) {
      const decoded = Buffer.from(text, 'base64');
      expect(base64AudioLevel(spanOf(text, 3, 2), MULAW_8K)).toBe(audioLevel(decoded, MULAW_8K));
      expect(base64AudioLevel(spanOf(text, 3, 2), PCM8)).toBe(audioLevel(decoded, PCM8));
    }
  });

  it('a Twilio frame read by the fast path tells speech from silence as its decoded audio does', () => {
    const codec = createTwilioCodec();
    const sid = `MZ${'a'.repeat(32)}`;
    codec.decode(
      JSON.stringify({
        event: 'start',
        streamSid: sid,
        start: {
          streamSid: sid,
          callSid: `CA${'1'.repeat(32)}`,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    /** Whether the caller counts as speaking: through the fast path's watch, and by the decoded audio. */
    const speaking = (audio: Uint8Array): { fast: boolean; decoded: boolean } => {
      const text = `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"2","timestamp":"40","payload":"${Buffer.from(audio).toString('base64')}"},"streamSid":"${sid}"}`;
      const span = codec.scanAudio?.(Buffer.from(text));
      expect(span).toBeDefined();
      const w = new SilenceWatch(1_000, 0);
      w.callerAudioBase64(span!, MULAW_8K, 900);
      // Speech at 900 ms re-arms the watch: not due at 1 000 ms. Silence leaves it due.
      return { fast: !w.due(1_000), decoded: audioLevel(audio, MULAW_8K) >= SPEECH_LEVEL };
    };
    expect(speaking(frame(8000))).toEqual({ fast: true, decoded: true });
    expect(speaking(new Uint8Array(160).fill(0xff))).toEqual({ fast: false, decoded: false });
  });

  it('counts the agent speaking as activity', () => {
    const w = new SilenceWatch(10_000, 0);
    w.agentSpoke(8_000);
    expect(w.due(12_000)).toBe(false);
    expect(w.due(18_000)).toBe(true);
  });
});
