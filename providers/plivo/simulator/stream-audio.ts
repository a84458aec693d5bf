/**
 * The caller's side of the network is μ-law 8 kHz (sim/audio.ts); a Plivo stream carries its
 * `contentType` (protocols.md §3.2, §3.3): μ-law 8 kHz as is, L16 8/16 kHz as signed 16-bit PCM,
 * little-endian unless the (UNCONFIRMED) byte order option says otherwise. One converter per
 * stream: the resampler keeps its phase across frames.
 */
import { type AudioFormat, MULAW_8K } from '../../../src/domain/media.js';
import { createTranscoder, type Transcode } from '../../../src/media/transcode.js';
import type { StreamFormat } from './stream-messages.js';

export class StreamAudio {
  readonly #l16: boolean;
  readonly #bigEndian: boolean;
  readonly #toWire: Transcode | undefined;
  readonly #fromWire: Transcode | undefined;

  constructor(format: StreamFormat, byteOrder: 'le' | 'be') {
    const wire: AudioFormat =
      format.encoding === 'audio/x-mulaw' ? MULAW_8K : { encoding: 'pcm16', sampleRate: format.sampleRate };
    this.#l16 = format.encoding === 'audio/x-l16';
    this.#bigEndian = byteOrder === 'be';
    this.#toWire = createTranscoder(MULAW_8K, wire);
    this.#fromWire = createTranscoder(wire, MULAW_8K);
  }

  /** One 20 ms μ-law frame of the caller → the stream's format. */
  toWire(mulaw: Buffer): Buffer {
    const out = this.#toWire ? this.#toWire(mulaw) : mulaw;
    return this.#l16 && this.#bigEndian ? swap16(out) : out;
  }

  /** A `playAudio` payload in the stream's format → μ-law 8 kHz (a trailing odd byte of L16 is dropped). */
  fromWire(payload: Buffer): Buffer {
    const pcm = this.#l16 ? (this.#bigEndian ? swap16(payload) : even(payload)) : payload;
    return this.#fromWire ? this.#fromWire(pcm) : pcm;
  }
}

function even(buf: Buffer): Buffer {
  return buf.subarray(0, buf.length - (buf.length % 2));
}

/** Swaps the bytes of every 16-bit sample (a copy). */
function swap16(buf: Buffer): Buffer {
  return Buffer.from(even(buf)).swap16();
}
