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

/** Frequency from rising zero crossings (after a 10 ms settle), in Hz. */
function frequency(samples: Int16Array, rate: number): number {
  const skip = Math.round(rate / 100);
  const crossings: number[] = [];
  for (let i = skip + 1; i < samples.length; i++) {
    const a = samples[i - 1] as number;
    const b = samples[i] as number;
    if (a < 0 && b >= 0) crossings.push(i - 1 + -a / (b - a));
  }
  const first = crossings[0] as number;
  const last = crossings[crossings.length - 1] as number;
  return ((crossings.length - 1) * rate) / (last - first);
}

function rmsDb(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return 10 * Math.log10(sum / samples.length);
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

// Tolerances: frequency within 0.5 %; level within 1 dB (linear interpolation of a 1 kHz tone
// from 8 kHz loses about 0.45 dB; decimation by an integer factor loses nothing).
describe.each([
  [8000, 16000],
  [8000, 24000],
  [16000, 8000],
  [24000, 8000],
  [16000, 24000],
  [24000, 16000],
])('Resampler %i Hz → %i Hz', (inRate, outRate) => {
  it.each([440, 1000, 3000])('a %i Hz tone keeps its frequency and level', (toneHz) => {
    const input = sine(inRate, toneHz, 0.5);
    const output = new Resampler(inRate, outRate).process(input);
    // The output may lag by less than one input sample (it waits for the next chunk to interpolate).
    expect(Math.abs(output.length - (input.length * outRate) / inRate)).toBeLessThan(outRate / inRate + 1);
    expect(Math.abs(frequency(output, outRate) / toneHz - 1)).toBeLessThan(0.005);
    const lossDb = rmsDb(input) - rmsDb(output);
    expect(Math.abs(lossDb)).toBeLessThan(toneHz === 3000 && inRate < outRate ? 6 : 1);
  });
});

describe('Resampler', () => {
  it('gives the same samples however the input is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom([8000, 16000], [8000, 24000], [16000, 8000], [24000, 16000], [16000, 24000]),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 30 }),
        ([inRate, outRate], cuts) => {
          const total = cuts.reduce((n, c) => n + c, 0);
          const input = sine(inRate as number, 700, total / (inRate as number));
          const whole = new Resampler(inRate as number, outRate as number).process(input);
          const chunked = new Resampler(inRate as number, outRate as number);
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

  it('never drifts: a minute of 20 ms frames gives a minute of output, less the held-back fraction of a sample', () => {
    const r = new Resampler(8000, 24000);
    let produced = 0;
    for (let i = 0; i < 3000; i++) produced += r.process(new Int16Array(160)).length;
    expect(produced).toBe(60 * 24000 - 2);
  });

  it('same rate is the identity', () => {
    const input = sine(8000, 1000, 0.1);
    expect(Array.from(new Resampler(8000, 8000).process(input))).toEqual(Array.from(input));
  });

  it('refuses a non-positive rate', () => {
    expect(() => new Resampler(0, 8000)).toThrow(DaemonError);
  });
});
