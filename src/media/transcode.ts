import type { AudioFormat } from '../domain/media.js';
import { sameFormat } from './formats.js';
import { decodeMulaw, encodeMulaw } from './mulaw.js';
import { Resampler } from './resample.js';

/** Converts one chunk of audio; keeps state across chunks (resampler phase). */
export type Transcode = (payload: Buffer) => Buffer;

/**
 * A converter from `from` to `to`, or `undefined` when the formats are equal — then audio must
 * pass through untouched (bit-exact, never decoded). Otherwise: decode to PCM16, resample,
 * encode (src/media/mulaw.ts for μ-law).
 */
export function createTranscoder(from: AudioFormat, to: AudioFormat): Transcode | undefined {
  if (sameFormat(from, to)) return undefined;
  const resampler =
    from.sampleRate === to.sampleRate ? undefined : new Resampler(from.sampleRate, to.sampleRate);
  return (payload) => {
    let pcm = from.encoding === 'mulaw' ? decodeMulaw(payload) : payload;
    if (resampler !== undefined) pcm = toBuffer(resampler.process(toSamples(pcm)));
    return to.encoding === 'mulaw' ? encodeMulaw(pcm) : pcm;
  };
}

/** True on little-endian hosts (x86, ARM as Node runs them): PCM16 LE bytes are then Int16Array memory. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** PCM16 little-endian bytes → samples (copied: a Buffer may sit at an odd offset in its pool). */
export function toSamples(pcm16le: Buffer): Int16Array {
  const samples = new Int16Array(pcm16le.length >> 1);
  if (LITTLE_ENDIAN) {
    new Uint8Array(samples.buffer).set(pcm16le.subarray(0, samples.length << 1));
    return samples;
  }
  for (let i = 0; i < samples.length; i++) samples[i] = pcm16le.readInt16LE(i << 1);
  return samples;
}

/** Samples → PCM16 little-endian bytes (the samples' own memory on a little-endian host). */
export function toBuffer(samples: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = Buffer.allocUnsafe(samples.length << 1);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, i << 1);
  return out;
}
