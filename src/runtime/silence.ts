import type { AudioFormat } from '../domain/media.js';
import type { Base64Span } from '../lib/base64-payload.js';
import { ulawToLinear } from '../media/mulaw.js';

/** Mean absolute amplitude above which a caller frame counts as speech (≈ −30 dBFS), on the int16 scale. */
export const SPEECH_LEVEL = 1000;

const LEVEL = new Int16Array(256).map((_, code) => Math.abs(ulawToLinear(code)));

/** Mean absolute amplitude of a μ-law frame (the table avoids decoding to a buffer). */
export function mulawLevel(frame: Uint8Array): number {
  return mulawLevelOf(frame, frame.length);
}

/** {@link mulawLevel} of the first `length` bytes of `bytes`. */
function mulawLevelOf(bytes: Uint8Array, length: number): number {
  if (length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += LEVEL[bytes[i] ?? 0xff] ?? 0;
  return sum / length;
}

/** Mean absolute amplitude of a PCM16 little-endian frame (protocols.md §1.2); a trailing odd byte is ignored. */
export function pcm16Level(frame: Uint8Array): number {
  return pcm16LevelOf(frame, frame.length);
}

/** {@link pcm16Level} of the first `length` bytes of `bytes`. */
function pcm16LevelOf(bytes: Uint8Array, length: number): number {
  const samples = length >> 1;
  if (samples === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    const lo = bytes[2 * i] ?? 0;
    const hi = bytes[2 * i + 1] ?? 0;
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
  return levelOf(frame, frame.length, format);
}

function levelOf(bytes: Uint8Array, length: number, format: AudioFormat): number {
  return format.encoding === 'mulaw' ? mulawLevelOf(bytes, length) : pcm16LevelOf(bytes, length);
}

/** 6-bit values of base64's alphabet (`A–Z a–z 0–9 + /`); 0 for every other byte. */
const SEXTET = (() => {
  const table = new Uint8Array(256);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let k = 0; k < alphabet.length; k++) table[alphabet.charCodeAt(k)] = k;
  return table;
})();
const EQUALS = 0x3d;

/** Where {@link base64AudioLevel} decodes, reused; grown up to {@link SCRATCH_MOST} bytes. */
let scratch = new Uint8Array(1024);
/** A second of PCM16 at 16 kHz: a larger frame is decoded into a buffer of its own, not kept. */
const SCRATCH_MOST = 32_000;

/**
 * {@link audioLevel} of the audio in a canonical base64 payload — `[A-Za-z0-9+/]*` then up to
 * two `=`, a multiple of 4 long, as the media fast path's scanner finds it in a frame's bytes
 * (src/lib/frame-scan.ts) — decoded into a buffer kept for the purpose rather than a new one: a
 * session watching for silence keeps the fast path. The same bytes as `Buffer.from(text,
 * 'base64')` (the padding's spare bits are dropped, as Node drops them).
 */
export function base64AudioLevel(payload: Base64Span, format: AudioFormat): number {
  const { bytes, start, end } = payload;
  const most = ((end - start) >> 2) * 3;
  if (scratch.length < most && most <= SCRATCH_MOST) scratch = new Uint8Array(most);
  const out = scratch.length < most ? new Uint8Array(most) : scratch;
  let n = 0;
  for (let i = start; i + 3 < end; i += 4) {
    const a = SEXTET[bytes[i] as number] as number;
    const b = SEXTET[bytes[i + 1] as number] as number;
    out[n++] = (a << 2) | (b >> 4);
    const c3 = bytes[i + 2] as number;
    if (c3 === EQUALS) break;
    const c = SEXTET[c3] as number;
    out[n++] = ((b & 0x0f) << 4) | (c >> 2);
    const d4 = bytes[i + 3] as number;
    if (d4 === EQUALS) break;
    out[n++] = ((c & 0x03) << 6) | (SEXTET[d4] as number);
  }
  return levelOf(out, n, format);
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
    this.#heard(audioLevel(frame, format), atMs);
  }

  /** {@link callerAudio} of a frame's base64 payload, read in place (the media fast path). */
  callerAudioBase64(payload: Base64Span, format: AudioFormat, atMs: number): void {
    this.#heard(base64AudioLevel(payload, format), atMs);
  }

  #heard(level: number, atMs: number): void {
    if (level >= SPEECH_LEVEL) {
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
