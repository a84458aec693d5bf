import { DaemonError } from '../domain/errors.js';

/**
 * A carrier's frame rules for audio sent to it. Exotel's Voicebot stream takes chunks that are
 * multiples of 320 B, at least 3 200 B and at most 100 000 B (protocols.md §4.2); Twilio takes
 * any size (§2.3) and needs no rule.
 */
export interface RechunkRule {
  /** Every chunk's length is a multiple of this, in bytes (e.g. 320). */
  readonly multipleOf: number;
  /** Smallest chunk, in bytes (e.g. 3 200). Rounded up to a multiple of `multipleOf`. */
  readonly minBytes: number;
  /** Largest chunk, in bytes (e.g. 100 000). Rounded down to a multiple of `multipleOf`. */
  readonly maxBytes: number;
}

/**
 * Re-cuts a stream of audio into chunks that obey a {@link RechunkRule}. Audio leaves as soon
 * as a legal chunk is available; the remainder waits for more audio or for `flush()`, which pads
 * it with silence to a legal size (needed before a mark, so the mark still follows the audio it
 * was sent after).
 */
export class Rechunker {
  readonly #multipleOf: number;
  readonly #minBytes: number;
  readonly #maxBytes: number;
  readonly #silence: number;
  readonly #acc: Buffer;
  #length = 0;

  constructor(rule: RechunkRule, silenceByte: number) {
    const { multipleOf } = rule;
    if (!Number.isInteger(multipleOf) || multipleOf < 1) {
      throw new DaemonError('invalid_rechunk_rule', 'multipleOf must be a positive integer');
    }
    const minBytes = Math.max(multipleOf, Math.ceil(rule.minBytes / multipleOf) * multipleOf);
    const maxBytes = Math.floor(rule.maxBytes / multipleOf) * multipleOf;
    if (maxBytes < minBytes) {
      throw new DaemonError('invalid_rechunk_rule', 'maxBytes must be at least minBytes');
    }
    this.#multipleOf = multipleOf;
    this.#minBytes = minBytes;
    this.#maxBytes = maxBytes;
    this.#silence = silenceByte;
    this.#acc = Buffer.alloc(maxBytes);
  }

  /** Bytes held back, waiting for more audio or a flush. */
  get pendingBytes(): number {
    return this.#length;
  }

  /** Adds audio; calls `emit` for every chunk that became complete. */
  push(payload: Buffer, emit: (chunk: Buffer) => void): void {
    let offset = 0;
    while (offset < payload.length) {
      const room = this.#maxBytes - this.#length;
      const take = Math.min(room, payload.length - offset);
      payload.copy(this.#acc, this.#length, offset, offset + take);
      this.#length += take;
      offset += take;
      if (this.#length === this.#maxBytes) this.#emit(this.#maxBytes, emit);
    }
    if (this.#length >= this.#minBytes) {
      this.#emit(this.#length - (this.#length % this.#multipleOf), emit);
    }
  }

  /** Emits what is held, padded with silence to a legal chunk. Nothing happens when nothing is held. */
  flush(emit: (chunk: Buffer) => void): void {
    if (this.#length === 0) return;
    const size = Math.max(this.#minBytes, Math.ceil(this.#length / this.#multipleOf) * this.#multipleOf);
    this.#acc.fill(this.#silence, this.#length, size);
    this.#length = size;
    this.#emit(size, emit);
  }

  /** Drops what is held (barge-in). */
  reset(): void {
    this.#length = 0;
  }

  #emit(size: number, emit: (chunk: Buffer) => void): void {
    // The chunk outlives this call (it sits in a queue or a socket buffer), so it gets its own copy.
    const chunk = Buffer.allocUnsafe(size);
    this.#acc.copy(chunk, 0, 0, size);
    this.#acc.copyWithin(0, size, this.#length);
    this.#length -= size;
    emit(chunk);
  }
}
