import { DaemonError } from '../domain/errors.js';

/**
 * Streaming polyphase resampler for 16-bit mono audio, with a windowed-sinc (Kaiser) anti-alias
 * and anti-image low-pass filter.
 *
 * Rate change `inRate → outRate` is upsampling by `L`, filtering, and keeping every `M`-th
 * sample (`L/M = outRate/inRate`, reduced); the filter runs only at the samples that are kept
 * (its `L` phases, precomputed). The cut-off sits below the lower rate's Nyquist frequency:
 * flat (±0.05 dB) up to {@link PASSBAND} of it (3 kHz at 8 kHz, the telephone band), about
 * {@link STOPBAND_DB} dB down from its Nyquist frequency up (below μ-law's own quantization noise).
 * So a 6 kHz tone from a 24 kHz agent is removed on an 8 kHz line instead of folding to 2 kHz,
 * and upsampling leaves no images.
 *
 * Chunk boundaries are seamless: the last input samples are carried to the next chunk, positions
 * are exact integers, so a long call never drifts and any split of the input gives the same
 * output samples as one chunk. Output sample `n` is emitted as soon as input sample
 * `⌊n·M/L⌋` has arrived; the filter delays the audio by about 1.5 ms. Per output sample the
 * cost is `⌈taps/L⌉` multiply-adds (24–72 at the rates used here, taps precomputed); no
 * allocation but the output array and, rarely, a larger work buffer.
 */
export class Resampler {
  readonly #up: number;
  readonly #down: number;
  /** Polyphase taps: phase `p`'s are `#taps[p·K … p·K+K−1]`, weighing x[i−K+1] … x[i] (oldest first). */
  readonly #taps: Float64Array;
  /** Taps per phase (K). */
  readonly #perPhase: number;
  /** Work buffer: the last K−1 input samples of earlier chunks, then the current chunk. */
  #work: Float64Array;
  /** Index (in the upsampled stream, relative to the current chunk's first input sample × L) of the next output. */
  #pos = 0;
  readonly #identity: boolean;

  constructor(inRate: number, outRate: number) {
    if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
      throw new DaemonError('invalid_sample_rate', 'sample rates must be positive integers');
    }
    const g = gcd(inRate, outRate);
    this.#up = outRate / g;
    this.#down = inRate / g;
    this.#identity = inRate === outRate;
    const { taps, perPhase } = tapsFor(this.#up, this.#down);
    this.#taps = taps;
    this.#perPhase = perPhase;
    this.#work = new Float64Array(perPhase - 1 + 4096);
  }

  /**
   * Resamples one chunk. An output sample waits only for the input sample it is aligned to, so
   * nothing is held back beyond that; over many chunks nothing is lost or added.
   */
  process(input: Int16Array): Int16Array {
    if (this.#identity) return input.slice();
    const n = input.length;
    const k = this.#perPhase;
    const hist = k - 1;
    if (this.#work.length < hist + n) {
      const grown = new Float64Array(hist + n);
      grown.set(this.#work.subarray(0, hist));
      this.#work = grown;
    }
    const work = this.#work;
    for (let i = 0; i < n; i++) work[hist + i] = input[i] as number;
    const up = this.#up;
    const down = this.#down;
    const taps = this.#taps;
    // Output m sits at upsampled index pos + m·down; it needs input ⌊that/up⌋ < n.
    const limit = n * up;
    const count = this.#pos >= limit ? 0 : Math.ceil((limit - this.#pos) / down);
    const out = new Int16Array(count);
    let pos = this.#pos;
    for (let m = 0; m < count; m++) {
      const i = Math.floor(pos / up);
      const phase = pos - i * up;
      // x[i] is work[hist + i]; the phase's taps are stored oldest-sample first.
      // Four running sums (K is a multiple of 4): additions in one chain wait on each other.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      const t = phase * k;
      for (let j = 0; j < k; j += 4) {
        a0 += (taps[t + j] as number) * (work[i + j] as number);
        a1 += (taps[t + j + 1] as number) * (work[i + j + 1] as number);
        a2 += (taps[t + j + 2] as number) * (work[i + j + 2] as number);
        a3 += (taps[t + j + 3] as number) * (work[i + j + 3] as number);
      }
      const v = Math.round(a0 + a1 + (a2 + a3));
      out[m] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      pos += down;
    }
    this.#pos = pos - limit;
    // Keep the last K−1 samples (earlier history too, when the chunk was shorter than that).
    work.copyWithin(0, n, n + hist);
    return out;
  }
}

const TAPS = new Map<string, { taps: Float64Array; perPhase: number }>();

/** The filter for one ratio, designed once per process (read-only afterwards). */
function tapsFor(up: number, down: number): { taps: Float64Array; perPhase: number } {
  const key = `${up}/${down}`;
  let found = TAPS.get(key);
  if (found === undefined) {
    found = polyphaseTaps(up, down);
    TAPS.set(key, found);
  }
  return found;
}

/** Fraction of the lower rate's Nyquist frequency kept flat (3 kHz of 4 kHz at 8 kHz). */
export const PASSBAND = 0.75;
/**
 * Attenuation from the lower rate's Nyquist frequency up, dB (the design target; ≥ 50 measured).
 * More would be inaudible under μ-law's ≈ 38 dB signal-to-quantization-noise ratio and cost taps.
 */
export const STOPBAND_DB = 50;

/**
 * Kaiser-windowed sinc low-pass at the upsampled rate (`inRate·L`), cut-off midway between the
 * passband edge and the lower Nyquist frequency, gain `L` (upsampling spreads each input sample
 * over `L` positions), split into its `L` phases. Kaiser's formulas (Oppenheim & Schafer
 * 7.2): order `(A − 7.95) / (2.285 Δω)`, β = 0.1102 (A − 8.7) for A ≥ 50. The taps per
 * phase are rounded up to a multiple of 4 (a slightly longer window, four running sums).
 */
function polyphaseTaps(up: number, down: number): { taps: Float64Array; perPhase: number } {
  // Normalized to the upsampled rate (1 = that rate): the lower Nyquist is 1 / (2·max(L, M)).
  const nyquist = 1 / (2 * Math.max(up, down));
  const edge = PASSBAND * nyquist;
  const cutoff = (edge + nyquist) / 2;
  const transition = 2 * Math.PI * (nyquist - edge);
  const order = Math.ceil((STOPBAND_DB - 7.95) / (2.285 * transition));
  const perPhase = Math.ceil((order + 1) / up / 4) * 4;
  const length = perPhase * up;
  const beta = 0.1102 * (STOPBAND_DB - 8.7);
  const centre = (length - 1) / 2;
  const proto = new Float64Array(length);
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const x = i - centre;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const r = x / (centre + 0.5);
    proto[i] = sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / besselI0(beta));
    sum += proto[i] as number;
  }
  const taps = new Float64Array(length);
  for (let p = 0; p < up; p++) {
    // Reversed, so the inner loop walks taps and input forward together: tap j of the phase
    // weighs input x[i − (K−1) + j].
    for (let j = 0; j < perPhase; j++) {
      taps[p * perPhase + (perPhase - 1 - j)] = ((proto[p + j * up] as number) * up) / sum;
    }
  }
  return { taps, perPhase };
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β < 10). */
function besselI0(x: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
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
