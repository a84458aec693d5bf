import { ulawToLinear } from '../media/mulaw.js';

/** Mean absolute amplitude above which a 20 ms μ-law frame counts as speech (≈ −30 dBFS). */
export const SPEECH_LEVEL = 1000;

const LEVEL = new Int16Array(256).map((_, code) => Math.abs(ulawToLinear(code)));

/** Mean absolute amplitude of a μ-law frame (the table avoids decoding to a buffer). */
export function mulawLevel(frame: Uint8Array): number {
  if (frame.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += LEVEL[frame[i] ?? 0xff] ?? 0;
  return sum / frame.length;
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

  /** Caller audio arrived at `atMs`. */
  callerAudio(frame: Uint8Array, atMs: number): void {
    if (mulawLevel(frame) >= SPEECH_LEVEL) {
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

  /** True once when the silence has lasted `timeoutMs` at `nowMs`. */
  due(nowMs: number): boolean {
    if (this.#fired || nowMs - this.#lastActivityMs < this.#timeoutMs) return false;
    this.#fired = true;
    return true;
  }
}
