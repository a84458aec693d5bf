import { describe, expect, it } from 'vitest';
import { type AudioFormat, MULAW_8K } from '../../src/domain/media.js';
import { bytesPerMs, isSupportedFormat, silenceByte } from '../../src/media/formats.js';
import { decodeMulaw } from '../../src/media/mulaw.js';
import { silence, tone } from '../../src/media/tone.js';
import { createTranscoder, toSamples } from '../../src/media/transcode.js';

const PCM8: AudioFormat = { encoding: 'pcm16', sampleRate: 8000 };
const PCM16K: AudioFormat = { encoding: 'pcm16', sampleRate: 16000 };
const PCM24K: AudioFormat = { encoding: 'pcm16', sampleRate: 24000 };

function samplesOf(format: AudioFormat, audio: Buffer): Int16Array {
  return toSamples(format.encoding === 'mulaw' ? decodeMulaw(audio) : audio);
}

/** Rising zero crossings per second, after a 10 ms settle. */
function frequency(samples: Int16Array, rate: number): number {
  let count = 0;
  let first = -1;
  let last = -1;
  for (let i = Math.round(rate / 100) + 1; i < samples.length; i++) {
    if ((samples[i - 1] as number) < 0 && (samples[i] as number) >= 0) {
      if (first < 0) first = i;
      last = i;
      count += 1;
    }
  }
  return ((count - 1) * rate) / (last - first);
}

function peak(samples: Int16Array): number {
  let max = 0;
  for (const s of samples) max = Math.max(max, Math.abs(s));
  return max;
}

describe('createTranscoder', () => {
  it('is absent for equal formats: μ-law passes through untouched', () => {
    expect(createTranscoder(MULAW_8K, { encoding: 'mulaw', sampleRate: 8000 })).toBeUndefined();
    expect(createTranscoder(PCM16K, PCM16K)).toBeUndefined();
  });

  it('μ-law 8 kHz → PCM16 8 kHz is exactly the G.711 decode', () => {
    const audio = tone(MULAW_8K, { frequencyHz: 1000, durationMs: 100 });
    const transcode = createTranscoder(MULAW_8K, PCM8);
    expect(transcode?.(audio).equals(decodeMulaw(audio))).toBe(true);
  });

  it('μ-law → PCM16 → μ-law gives back the same bytes', () => {
    const audio = tone(MULAW_8K, { frequencyHz: 440, durationMs: 200, amplitude: 0.8 });
    const there = createTranscoder(MULAW_8K, PCM8);
    const back = createTranscoder(PCM8, MULAW_8K);
    expect(back?.(there?.(audio) ?? Buffer.alloc(0)).equals(audio)).toBe(true);
  });

  it.each([
    ['μ-law 8k', MULAW_8K, 'PCM16 16k', PCM16K],
    ['μ-law 8k', MULAW_8K, 'PCM16 24k', PCM24K],
    ['PCM16 16k', PCM16K, 'μ-law 8k', MULAW_8K],
    ['PCM16 24k', PCM24K, 'μ-law 8k', MULAW_8K],
    ['PCM16 8k', PCM8, 'PCM16 16k', PCM16K],
  ])('%s → %s keeps a 1 kHz tone at its frequency (±0.5 %%) and level (±1 dB)', (_a, from, _b, to) => {
    const input = tone(from, { frequencyHz: 1000, durationMs: 500, amplitude: 0.5 });
    const transcode = createTranscoder(from, to);
    // In 20 ms frames, as a call would deliver it.
    const frame = bytesPerMs(from) * 20;
    const parts: Buffer[] = [];
    for (let offset = 0; offset < input.length; offset += frame) {
      parts.push(transcode?.(input.subarray(offset, offset + frame)) ?? Buffer.alloc(0));
    }
    const output = samplesOf(to, Buffer.concat(parts));
    expect(Math.abs(frequency(output, to.sampleRate) / 1000 - 1)).toBeLessThan(0.005);
    const inPeak = peak(samplesOf(from, input));
    expect(Math.abs(20 * Math.log10(peak(output) / inPeak))).toBeLessThan(1);
  });
});

describe('tone and formats', () => {
  it('silence is 0xFF in μ-law and zeros in PCM16, of the right length', () => {
    expect(silence(MULAW_8K, 20)).toEqual(Buffer.alloc(160, 0xff));
    expect(silence(PCM16K, 20)).toEqual(Buffer.alloc(640, 0));
    expect(silenceByte(MULAW_8K)).toBe(0xff);
  });

  it('knows which formats it supports', () => {
    expect(isSupportedFormat(MULAW_8K)).toBe(true);
    expect(isSupportedFormat(PCM24K)).toBe(true);
    expect(isSupportedFormat({ encoding: 'mulaw', sampleRate: 16000 })).toBe(false);
    expect(isSupportedFormat({ encoding: 'pcm16', sampleRate: 44100 })).toBe(false);
  });
});
