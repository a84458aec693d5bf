import type { AudioFormat } from '../domain/media.js';
import { bytesPerMs, bytesPerSample } from './formats.js';
import { linearToUlaw } from './mulaw.js';

/**
 * Comfort noise: the faint hiss a phone line has when nobody speaks, so a caller waiting for the
 * agent hears that the line is alive rather than nothing (RFC 3389's idea, made here). Soft,
 * slightly darkened noise at about −45 dBFS, four seconds long so no rhythm is heard in its loop,
 * made once per format from a fixed seed: the same bytes every time.
 */

/** Length of one loop, ms. */
const LOOP_MS = 4000;
/** RMS level as a fraction of full scale (−45 dBFS). */
const LEVEL = 0.0056;
/** One-pole low-pass coefficient at 8 kHz: takes the edge off white noise (≈ 1.5 kHz corner). */
const SMOOTH = 0.45;

const loops = new Map<string, Buffer>();

/** Four seconds of comfort noise in `format` (cached; never modify it). */
export function comfortNoiseLoop(format: AudioFormat): Buffer {
  const key = `${format.encoding}/${format.sampleRate}`;
  let loop = loops.get(key);
  if (loop === undefined) {
    loop = makeNoise(format);
    loops.set(key, loop);
  }
  return loop;
}

function makeNoise(format: AudioFormat): Buffer {
  const samples = (format.sampleRate * LOOP_MS) / 1000;
  const width = bytesPerSample(format);
  const out = Buffer.allocUnsafe(samples * width);
  // A fixed-seed xorshift: reproducible bytes, no Math.random.
  let state = 0x9e3779b9;
  let smoothed = 0;
  // Corner in the same place whatever the rate.
  const a = SMOOTH ** (8000 / format.sampleRate);
  // The low-pass lowers the level; this restores the RMS asked for (white noise in −1..1 has RMS 1/√3).
  const gain = (LEVEL * 32767 * Math.sqrt(3)) / Math.sqrt((1 - a) / (1 + a));
  for (let i = 0; i < samples; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const white = (state >>> 0) / 0x80000000 - 1;
    smoothed = a * smoothed + (1 - a) * white;
    const value = Math.max(-32768, Math.min(32767, Math.round(gain * smoothed)));
    if (width === 1) out[i] = linearToUlaw(value);
    else out.writeInt16LE(value, i * 2);
  }
  return out;
}

/** Reads a {@link comfortNoiseLoop} round and round, `ms` at a time. */
export class ComfortNoise {
  readonly #loop: Buffer;
  readonly #bytesPerMs: number;
  #at = 0;

  constructor(format: AudioFormat) {
    this.#loop = comfortNoiseLoop(format);
    this.#bytesPerMs = bytesPerMs(format);
  }

  /** The next `ms` of noise (a fresh buffer). */
  next(ms: number): Buffer {
    const length = Math.round(ms * this.#bytesPerMs);
    const out = Buffer.allocUnsafe(length);
    let written = 0;
    while (written < length) {
      const n = Math.min(length - written, this.#loop.length - this.#at);
      this.#loop.copy(out, written, this.#at, this.#at + n);
      written += n;
      this.#at = (this.#at + n) % this.#loop.length;
    }
    return out;
  }
}
