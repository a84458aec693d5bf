import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import { Resampler } from '../../src/media/resample.js';

function sine(rate: number, frequencyHz: number, seconds: number, amplitude = 10_000): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rate));
  return out;
}

/**
 * Level of the component at `hz`, in dB relative to full scale (a full-scale sine is 0 dB): one
 * Hann-windowed DFT bin at exactly `hz` (a Goertzel at a non-integer bin), after skipping the
 * first 20 ms (the filter settling from the silence before the signal).
 */
function toneDb(samples: Int16Array, rate: number, hz: number): number {
  const from = Math.round(rate / 50);
  const n = samples.length - from;
  const w = (2 * Math.PI * hz) / rate;
  let re = 0;
  let im = 0;
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    const x = (samples[from + i] as number) * hann;
    re += x * Math.cos(w * i);
    im -= x * Math.sin(w * i);
    windowSum += hann;
  }
  const amplitude = (2 * Math.hypot(re, im)) / windowSum;
  return 20 * Math.log10(Math.max(amplitude, 1e-9) / 32768);
}

/** RMS level of everything after the first 20 ms, dB relative to a full-scale sine. */
function rmsDb(samples: Int16Array, rate: number): number {
  const from = Math.round(rate / 50);
  let sum = 0;
  for (let i = from; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  const rms = Math.sqrt(sum / (samples.length - from));
  return 20 * Math.log10(Math.max(rms * Math.SQRT2, 1e-9) / 32768);
}

/** Where a tone of `hz` lands when sampled at `rate` without a filter (folded into 0…rate/2). */
function aliasOf(hz: number, rate: number): number {
  const folded = hz % rate;
  return folded > rate / 2 ? rate - folded : folded;
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Resamples `input` as a call delivers it: 20 ms frames through one resampler. */
function inFrames(input: Int16Array, inRate: number, outRate: number): Int16Array {
  const r = new Resampler(inRate, outRate);
  const frame = inRate / 50;
  const parts: Int16Array[] = [];
  for (let offset = 0; offset < input.length; offset += frame)
    parts.push(r.process(input.subarray(offset, offset + frame)));
  return concat(parts);
}

const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [8000, 16000],
  [8000, 24000],
  [16000, 8000],
  [24000, 8000],
  [16000, 24000],
  [24000, 16000],
];

describe.each(PAIRS)('Resampler %i Hz → %i Hz', (inRate, outRate) => {
  const nyquist = Math.min(inRate, outRate) / 2;
  // The telephone band at 8 kHz, and up to 6 kHz when both rates are 16 kHz or more.
  const passband = nyquist === 4000 ? [300, 1000, 2000, 3000] : [300, 1000, 3000, 5000, 6000];

  it.each(passband)('a %i Hz tone keeps its level within 1 dB (20 ms frames)', (hz) => {
    const input = sine(inRate, hz, 0.5);
    const output = inFrames(input, inRate, outRate);
    expect(Math.abs(output.length - (input.length * outRate) / inRate)).toBeLessThanOrEqual(outRate / inRate);
    const change = toneDb(output, outRate, hz) - toneDb(input, inRate, hz);
    expect(Math.abs(change)).toBeLessThan(1);
  });

  if (outRate < inRate) {
    // Above the output's Nyquist frequency, right from its edge up to the input's own.
    const above = [nyquist * 1.05, nyquist * 1.25, nyquist * 1.4, inRate / 2 - 200];
    it.each(above.map(Math.round))(
      'a %i Hz tone (above the output Nyquist) is attenuated by 40 dB or more',
      (hz) => {
        const input = sine(inRate, hz, 0.5);
        const output = inFrames(input, inRate, outRate);
        const inputDb = toneDb(input, inRate, hz);
        // Not at the frequency it would fold to, and not anywhere else either.
        expect(inputDb - toneDb(output, outRate, aliasOf(hz, outRate))).toBeGreaterThanOrEqual(40);
        expect(inputDb - rmsDb(output, outRate)).toBeGreaterThanOrEqual(40);
      },
    );
  } else {
    it.each(passband)(
      'upsampling a %i Hz tone leaves no image above the input Nyquist (40 dB down)',
      (hz) => {
        const input = sine(inRate, hz, 0.5);
        const output = inFrames(input, inRate, outRate);
        const inputDb = toneDb(input, inRate, hz);
        for (let image = inRate - hz; image < outRate / 2; image += inRate) {
          expect(inputDb - toneDb(output, outRate, image)).toBeGreaterThanOrEqual(40);
        }
        for (let image = inRate + hz; image < outRate / 2; image += inRate) {
          expect(inputDb - toneDb(output, outRate, image)).toBeGreaterThanOrEqual(40);
        }
      },
    );
  }
});

describe('Resampler', () => {
  it('a 6 kHz tone from a 24 kHz agent does not come out as 2 kHz on an 8 kHz line', () => {
    const input = sine(24000, 6000, 0.5, 30_000);
    const output = inFrames(input, 24000, 8000);
    expect(toneDb(output, 8000, 2000)).toBeLessThan(toneDb(input, 24000, 6000) - 40);
  });

  it('a continuous tone split into 20 ms frames equals the one-shot result, sample for sample', () => {
    for (const [inRate, outRate] of PAIRS) {
      const input = sine(inRate, 1234, 1);
      const whole = new Resampler(inRate, outRate).process(input);
      expect(Array.from(inFrames(input, inRate, outRate))).toEqual(Array.from(whole));
    }
  });

  it('gives the same samples however the input is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAIRS),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 30 }),
        ([inRate, outRate], cuts) => {
          const total = cuts.reduce((n, c) => n + c, 0);
          const input = sine(inRate, 700, total / inRate);
          const whole = new Resampler(inRate, outRate).process(input);
          const chunked = new Resampler(inRate, outRate);
          const parts: Int16Array[] = [];
          let offset = 0;
          for (const cut of cuts) {
            parts.push(chunked.process(input.subarray(offset, offset + cut)));
            offset += cut;
          }
          expect(Array.from(concat(parts))).toEqual(Array.from(whole));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never drifts: a minute of 20 ms frames gives exactly a minute of output', () => {
    for (const [inRate, outRate] of PAIRS) {
      const r = new Resampler(inRate, outRate);
      let produced = 0;
      for (let i = 0; i < 3000; i++) produced += r.process(new Int16Array(inRate / 50)).length;
      expect(produced).toBe(60 * outRate);
    }
  });

  it('clips instead of wrapping around: a full-scale square wave keeps its sign between edges', () => {
    // 50 Hz, full scale: the filter's ringing overshoots ±32767 after every edge.
    const square = Int16Array.from({ length: 4800 }, (_, i) =>
      Math.floor(i / 240) % 2 === 0 ? 32767 : -32768,
    );
    const output = new Resampler(24000, 8000).process(square);
    const signChanges = (samples: Int16Array): number => {
      let changes = 0;
      let sign = 0;
      for (const s of samples) {
        const now = Math.sign(s);
        if (now !== 0 && sign !== 0 && now !== sign) changes += 1;
        if (now !== 0) sign = now;
      }
      return changes;
    };
    // A wrapped overshoot would flip a sample's sign in the middle of a plateau. (The first
    // 20 output samples hold the filter's pre-ringing before the signal's start.)
    expect(signChanges(output.subarray(20))).toBe(signChanges(square));
    expect(Math.max(...output)).toBe(32767);
    expect(Math.min(...output)).toBe(-32768);
  });

  it('same rate is the identity', () => {
    const input = sine(8000, 1000, 0.1);
    expect(Array.from(new Resampler(8000, 8000).process(input))).toEqual(Array.from(input));
  });

  it('refuses a non-positive rate', () => {
    expect(() => new Resampler(0, 8000)).toThrow(DaemonError);
  });
});
