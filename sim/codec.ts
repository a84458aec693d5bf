/**
 * The simulated carriers' own audio conversions, kept apart from the daemon's (src/media/), so
 * a conversion bug in one shows up as wrong audio in the other. G.711 μ-law as the ITU-T / Sun
 * `g711.c` reference computes it (protocols.md §1.2); PCM16 is signed 16-bit little-endian.
 * Resampling is by whole ratios only (8 kHz ↔ 16 / 24 kHz, the rates carriers stream at):
 * linear interpolation up, the mean of each group down — plain, not a studio resampler.
 */

/** μ-law byte → int16 (ITU-T G.711 reference decoder). */
export function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** int16 → μ-law byte (ITU-T G.711 reference encoder: 14-bit domain, bias 33, clip 8159). */
export function linearToUlaw(sample: number): number {
  let pcm = sample >> 2;
  const mask = pcm < 0 ? 0x7f : 0xff;
  if (pcm < 0) pcm = -pcm;
  pcm = Math.min(pcm, 8159) + 33;
  let seg = 0;
  while (seg < 8 && pcm > (0x3f << seg) + ((1 << seg) - 1)) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  return (((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask) & 0xff;
}

/** μ-law bytes → PCM16 LE bytes. */
export function mulawToPcm16(mulaw: Buffer): Buffer {
  const out = Buffer.alloc(mulaw.length * 2);
  for (let i = 0; i < mulaw.length; i++) out.writeInt16LE(ulawToLinear(mulaw[i] ?? 0xff), i * 2);
  return out;
}

/** PCM16 LE bytes → μ-law bytes (a trailing odd byte is ignored). */
export function pcm16ToMulaw(pcm: Buffer): Buffer {
  const out = Buffer.alloc(pcm.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = linearToUlaw(pcm.readInt16LE(i * 2));
  return out;
}

/** An audio format on a carrier's wire. */
export interface WireAudio {
  readonly encoding: 'mulaw' | 'pcm16';
  /** Hz: 8000, 16000 or 24000. */
  readonly sampleRate: number;
}

/** The network's own format: μ-law 8 kHz (sim/audio.ts). */
export const NETWORK_AUDIO: WireAudio = Object.freeze({ encoding: 'mulaw', sampleRate: 8000 });

/** One direction of a stream's conversion; keeps state across chunks (the last sample, a partial group). */
export type Convert = (payload: Buffer) => Buffer;

/** A converter between the network's μ-law 8 kHz and `wire`, one per stream and direction. */
export function wireConverter(direction: 'to-wire' | 'from-wire', wire: WireAudio): Convert {
  if (wire.encoding === 'mulaw' && wire.sampleRate === 8000) return (payload) => payload;
  const ratio = wire.sampleRate / 8000;
  if (!Number.isInteger(ratio) || ratio < 1)
    throw new RangeError(`unsupported sample rate ${wire.sampleRate}`);
  if (direction === 'to-wire') {
    const up = upsampler(ratio);
    return (mulaw) => {
      const pcm = up(mulawToPcm16(mulaw));
      return wire.encoding === 'mulaw' ? pcm16ToMulaw(pcm) : pcm;
    };
  }
  const down = downsampler(ratio);
  return (payload) => pcm16ToMulaw(down(wire.encoding === 'mulaw' ? mulawToPcm16(payload) : payload));
}

/** ×`ratio` by linear interpolation from the previous chunk's last sample. */
function upsampler(ratio: number): Convert {
  let last = 0;
  return (pcm) => {
    if (ratio === 1) return pcm;
    const n = pcm.length >> 1;
    const out = Buffer.alloc(n * ratio * 2);
    for (let i = 0; i < n; i++) {
      const s = pcm.readInt16LE(i * 2);
      for (let k = 1; k <= ratio; k++) {
        out.writeInt16LE(Math.round(last + ((s - last) * k) / ratio), (i * ratio + k - 1) * 2);
      }
      last = s;
    }
    return out;
  };
}

/** ÷`ratio`: the mean of each group of `ratio` samples; an incomplete group waits for the next chunk. */
function downsampler(ratio: number): Convert {
  let carry: number[] = [];
  return (pcm) => {
    if (ratio === 1) return pcm.subarray(0, pcm.length - (pcm.length % 2));
    const samples = [...carry];
    for (let i = 0; i + 1 < pcm.length; i += 2) samples.push(pcm.readInt16LE(i));
    const groups = Math.floor(samples.length / ratio);
    const out = Buffer.alloc(groups * 2);
    for (let g = 0; g < groups; g++) {
      let sum = 0;
      for (let k = 0; k < ratio; k++) sum += samples[g * ratio + k] ?? 0;
      out.writeInt16LE(Math.round(sum / ratio), g * 2);
    }
    carry = samples.slice(groups * ratio);
    return out;
  };
}
