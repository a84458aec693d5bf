import type { AudioFormat } from '../domain/media.js';
import { ulawToLinear } from '../media/mulaw.js';

/** Mean absolute amplitude above which a caller frame counts as speech (≈ −30 dBFS), on the int16 scale. */
export const SPEECH_LEVEL = 1000;

const LEVEL = new Int16Array(256).map((_, code) => Math.abs(ulawToLinear(code)));

/** Mean absolute amplitude of a μ-law frame (the table avoids decoding to a buffer). */
export function mulawLevel(frame: Uint8Array): number {
  if (frame.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += LEVEL[frame[i] ?? 0xff] ?? 0;
  return sum / frame.length;
}

/** Mean absolute amplitude of a PCM16 little-endian frame (protocols.md §1.2); a trailing odd byte is ignored. */
export function pcm16Level(frame: Uint8Array): number {
  const samples = frame.length >> 1;
  if (samples === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    const lo = frame[2 * i] ?? 0;
    const hi = frame[2 * i + 1] ?? 0;
    sum += Math.abs((((hi << 8) | lo) << 16) >> 16);
  }
  return sum / samples;
}

/**
 * Mean absolute amplitude of a frame in the stream's own encoding: μ-law on Twilio and Plivo's
 * μ-law streams, PCM16 LE on Exotel and Plivo L16. The two differ where it matters: μ-law 0x00
 * is a full-scale sample, PCM16 0x0000 is silence.
 */
export function audioLevel(frame: Uint8Array, format: AudioFormat): number {
  return format.encoding === 'mulaw' ? mulawLevel(frame) : pcm16Level(frame);
}

/**
 * Caller silence for `callControl.onNoResponseAction`: the caller said nothing for `timeoutMs`
 * since they last spoke or the agent last spoke, whichever is later. Fires once per silence;
 * speech re-arms it. Pure apart from the times it is given.
 */
export class SilenceWatch {
  readonly #timeoutMs: number;
  #lastActivityMs: number;
  #fired = false;

  constructor(timeoutMs: number, startMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#lastActivityMs = startMs;
  }

  /** Caller audio in `format` (the carrier stream's, from its `start`) arrived at `atMs`. */
  callerAudio(frame: Uint8Array, format: AudioFormat, atMs: number): void {
    if (audioLevel(frame, format) >= SPEECH_LEVEL) {
      this.#lastActivityMs = atMs;
      this.#fired = false;
    }
  }

  /** The agent spoke at `atMs` (its last frame toward the caller). */
  agentSpoke(atMs: number): void {
    if (atMs > this.#lastActivityMs) {
      this.#lastActivityMs = atMs;
      this.#fired = false;
    }
  }

  /** The caller was not expected to speak before `atMs` (the agent was not there): count from then. */
  restart(atMs: number): void {
    if (atMs > this.#lastActivityMs) this.#lastActivityMs = atMs;
    this.#fired = false;
  }

  /** True once when the silence has lasted `timeoutMs` at `nowMs`. */
  due(nowMs: number): boolean {
    if (this.#fired || nowMs - this.#lastActivityMs < this.#timeoutMs) return false;
    this.#fired = true;
    return true;
  }
}
