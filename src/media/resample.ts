import { DaemonError } from '../domain/errors.js';

/**
 * Streaming linear-interpolation resampler for 16-bit mono audio. Positions are kept as exact
 * integer fractions (`inRate/outRate` reduced), so a long call never drifts and chunk boundaries
 * are seamless: the last input sample of one chunk is interpolated with the first of the next.
 *
 * Linear interpolation is enough for speech on a phone line: at the rates used here (8, 16,
 * 24 kHz, integer ratios down) decimation is exact, and upsampling a 1 kHz tone from 8 kHz
 * loses about 0.45 dB. It does not low-pass before decimating, so energy above the new Nyquist
 * frequency aliases; telephony audio has next to none.
 */
export class Resampler {
  /** Input samples advanced per output sample, as `step / den`. */
  readonly #step: number;
  readonly #den: number;
  /** Position of the next output sample, in input samples × den, relative to the current chunk; ≥ −den. */
  #pos = 0;
  /** The previous chunk's last sample (position −1). */
  #prev = 0;

  constructor(inRate: number, outRate: number) {
    if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
      throw new DaemonError('invalid_sample_rate', 'sample rates must be positive integers');
    }
    const g = gcd(inRate, outRate);
    this.#step = inRate / g;
    this.#den = outRate / g;
  }

  /**
   * Resamples one chunk. Output may lag the input by less than one input sample (the last input
   * sample waits for the next chunk to interpolate against); over many chunks nothing is lost or
   * added.
   */
  process(input: Int16Array): Int16Array {
    const n = input.length;
    if (n === 0) return new Int16Array(0);
    const den = this.#den;
    const step = this.#step;
    const last = (n - 1) * den;
    const count = this.#pos > last ? 0 : Math.floor((last - this.#pos) / step) + 1;
    const out = new Int16Array(count);
    let pos = this.#pos;
    for (let k = 0; k < count; k++) {
      const i = Math.floor(pos / den);
      const frac = pos - i * den;
      const a = i < 0 ? this.#prev : (input[i] ?? 0);
      if (frac === 0) {
        out[k] = a;
      } else {
        const b = input[i + 1] ?? 0;
        out[k] = Math.round(a + ((b - a) * frac) / den);
      }
      pos += step;
    }
    this.#pos = pos - n * den;
    this.#prev = input[n - 1] ?? 0;
    return out;
  }
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}
