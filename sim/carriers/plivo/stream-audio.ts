/**
 * The caller's side of the network is μ-law 8 kHz (sim/audio.ts); a Plivo stream carries its
 * `contentType` (protocols.md §3.2, §3.3): μ-law 8 kHz as is, L16 8/16 kHz as signed 16-bit PCM,
 * little-endian unless the (UNCONFIRMED) byte order option says otherwise. One converter per
 * stream: the converter keeps its state across frames (sim/codec.ts, not the daemon's).
 */
import { type Convert, type WireAudio, wireConverter } from '../../codec.js';
import type { StreamFormat } from './stream-messages.js';

export class StreamAudio {
  readonly #l16: boolean;
  readonly #bigEndian: boolean;
  readonly #toWire: Convert;
  readonly #fromWire: Convert;

  constructor(format: StreamFormat, byteOrder: 'le' | 'be') {
    const wire: WireAudio =
      format.encoding === 'audio/x-mulaw'
        ? { encoding: 'mulaw', sampleRate: 8000 }
        : { encoding: 'pcm16', sampleRate: format.sampleRate };
    this.#l16 = format.encoding === 'audio/x-l16';
    this.#bigEndian = byteOrder === 'be';
    this.#toWire = wireConverter('to-wire', wire);
    this.#fromWire = wireConverter('from-wire', wire);
  }

  /** One 20 ms μ-law frame of the caller → the stream's format. */
  toWire(mulaw: Buffer): Buffer {
    const out = this.#toWire(mulaw);
    return this.#l16 && this.#bigEndian ? swap16(out) : out;
  }

  /** A `playAudio` payload in the stream's format → μ-law 8 kHz (a trailing odd byte of L16 is dropped). */
  fromWire(payload: Buffer): Buffer {
    const pcm = this.#l16 ? (this.#bigEndian ? swap16(payload) : even(payload)) : payload;
    return this.#fromWire(pcm);
  }
}

function even(buf: Buffer): Buffer {
  return buf.subarray(0, buf.length - (buf.length % 2));
}

/** Swaps the bytes of every 16-bit sample (a copy). */
function swap16(buf: Buffer): Buffer {
  return Buffer.from(even(buf)).swap16();
}
