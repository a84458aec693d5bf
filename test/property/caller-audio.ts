/**
 * What property-test callers say: noise in which no two 20 ms frames are alike, so every frame
 * the agent receives can be named by its position in what the caller said, and a frame lost or
 * reordered anywhere on the way shows. Quiet noise (far below the daemon's silence threshold of
 * about −30 dBFS) for callers who are meant to be silent.
 */
import { linearToUlaw } from '../../src/media/mulaw.js';

/** One 20 ms μ-law frame at 8 kHz. */
export const FRAME_BYTES = 160;
/** Longer than any scenario, so the caller never runs out (and never loops, which would repeat frames). */
const SECONDS = 120;

export interface CallerAudio {
  readonly mulaw: Uint8Array;
  /** The position of a 20 ms frame in {@link mulaw}, or -1 when the caller never said it. */
  frameOf(frame: Uint8Array): number;
}

/** xorshift32 from a fixed start: the same noise on every run. */
function* randoms(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x;
  }
}

/**
 * μ-law code 0x7f and 0xff are both zero: a carrier that decodes to PCM16 and back (Exotel's
 * stream) writes 0xff for either. Frames are compared in this form.
 */
function key(frame: Uint8Array): string {
  let s = '';
  for (const b of frame) s += String.fromCharCode(b === 0x7f ? 0xff : b);
  return s;
}

function indexed(mulaw: Uint8Array): CallerAudio {
  const at = new Map<string, number>();
  for (let i = 0; i * FRAME_BYTES + FRAME_BYTES <= mulaw.length; i++) {
    const k = key(mulaw.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES));
    if (!at.has(k)) at.set(k, i);
  }
  return { mulaw, frameOf: (frame) => (frame.length === FRAME_BYTES ? (at.get(key(frame)) ?? -1) : -1) };
}

let loud: CallerAudio | undefined;
let quiet: CallerAudio | undefined;

/** A caller talking: random μ-law codes at full scale. */
export function loudCaller(): CallerAudio {
  if (loud === undefined) {
    const out = new Uint8Array(8000 * SECONDS);
    const r = randoms(0x2545f491);
    for (let i = 0; i < out.length; i++) out[i] = (r.next().value as number) & 0xff;
    loud = indexed(out);
  }
  return loud;
}

/** A caller saying nothing the daemon hears as speech: samples within ±48 of 32768 (about −57 dBFS). */
export function quietCaller(): CallerAudio {
  if (quiet === undefined) {
    const out = new Uint8Array(8000 * SECONDS);
    const r = randoms(0x9e3779b9);
    for (let i = 0; i < out.length; i++) out[i] = linearToUlaw(((r.next().value as number) % 97) - 48);
    quiet = indexed(out);
  }
  return quiet;
}
