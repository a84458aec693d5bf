/**
 * Audio the simulated parties send and the generated signals the network plays. Everything is
 * μ-law 8 kHz in 160-byte frames (20 ms), the format on every carrier's wire for Twilio
 * (protocols.md §1.1); front-ends transcode for carriers that differ.
 */
import { pcm16ToMulaw as encodeMulaw } from './codec.js';

/** μ-law silence (linear 0). */
const MULAW_SILENCE = 0xff;

export const SAMPLE_RATE = 8000;
/** Bytes in one 20 ms μ-law frame. */
export const FRAME_BYTES = 160;

/** What an endpoint sends. Durations default to "until told otherwise". */
export type AudioSpec =
  | {
      readonly type: 'tone';
      /** Frequency in Hz (rounded to an integer), default 440. */
      readonly hz?: number;
      /** Peak amplitude 0–1 of full scale, default 0.3. */
      readonly amplitude?: number;
      readonly durationMs?: number;
    }
  | { readonly type: 'silence'; readonly durationMs?: number }
  /** Raw μ-law bytes, played once (or looped), split into 160-byte frames. */
  | { readonly type: 'mulaw'; readonly data: Uint8Array; readonly loop?: boolean }
  /** Signed 16-bit little-endian PCM at 8 kHz, encoded to μ-law. */
  | { readonly type: 'pcm16'; readonly data: Uint8Array; readonly loop?: boolean };

/** A pull source of 160-byte μ-law frames; `undefined` means it has finished. */
export interface FrameSource {
  next(): Buffer | undefined;
}

export const SILENCE_FRAME: Buffer = Buffer.alloc(FRAME_BYTES, MULAW_SILENCE);

const toneCache = new Map<string, Buffer[]>();

/**
 * One second of an integer-frequency tone repeats exactly, so 50 precomputed frames cover it.
 * `hz2` adds a second tone (dual-tone signals such as ringback).
 */
function toneFrames(hz: number, amplitude: number, hz2 = 0): Buffer[] {
  const key = `${hz}/${hz2}/${amplitude}`;
  const cached = toneCache.get(key);
  if (cached) return cached;
  const pcm = Buffer.alloc(SAMPLE_RATE * 2);
  const peak = Math.max(0, Math.min(1, amplitude)) * 32767;
  for (let i = 0; i < SAMPLE_RATE; i++) {
    const t = i / SAMPLE_RATE;
    let v = Math.sin(2 * Math.PI * hz * t);
    if (hz2 > 0) v = (v + Math.sin(2 * Math.PI * hz2 * t)) / 2;
    pcm.writeInt16LE(Math.round(v * peak), i * 2);
  }
  const mulaw = encodeMulaw(pcm);
  const frames: Buffer[] = [];
  for (let off = 0; off < mulaw.length; off += FRAME_BYTES)
    frames.push(mulaw.subarray(off, off + FRAME_BYTES));
  toneCache.set(key, frames);
  return frames;
}

function framesFor(durationMs: number | undefined): number {
  return durationMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.ceil(durationMs / 20));
}

/** A tone, or two summed tones, optionally with an on/off cadence (in ms). */
export function toneSource(options: {
  hz: number;
  hz2?: number;
  amplitude?: number;
  durationMs?: number;
  onMs?: number;
  offMs?: number;
}): FrameSource {
  const frames = toneFrames(Math.round(options.hz), options.amplitude ?? 0.3, Math.round(options.hz2 ?? 0));
  const total = framesFor(options.durationMs);
  const on = options.onMs === undefined ? Number.POSITIVE_INFINITY : framesFor(options.onMs);
  const cycle = on + (options.offMs === undefined ? 0 : framesFor(options.offMs));
  let i = 0;
  return {
    next() {
      if (i >= total) return undefined;
      const inCycle = Number.isFinite(cycle) ? i % cycle : i;
      const frame = inCycle < on ? (frames[i % frames.length] as Buffer) : SILENCE_FRAME;
      i++;
      return frame;
    },
  };
}

export function silenceSource(durationMs?: number): FrameSource {
  const total = framesFor(durationMs);
  let i = 0;
  return {
    next() {
      if (i >= total) return undefined;
      i++;
      return SILENCE_FRAME;
    },
  };
}

/** Splits μ-law bytes into frames; the last frame may be shorter than 160 bytes. */
export function bufferSource(mulaw: Uint8Array, loop = false): FrameSource {
  const data = Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength);
  let off = 0;
  return {
    next() {
      if (data.length === 0) return undefined;
      if (off >= data.length) {
        if (!loop) return undefined;
        off = 0;
      }
      const frame = data.subarray(off, Math.min(off + FRAME_BYTES, data.length));
      off += FRAME_BYTES;
      return frame;
    },
  };
}

/** Builds the frame source an {@link AudioSpec} describes. */
export function sourceFor(spec: AudioSpec): FrameSource {
  switch (spec.type) {
    case 'tone':
      return toneSource({ hz: spec.hz ?? 440, amplitude: spec.amplitude, durationMs: spec.durationMs });
    case 'silence':
      return silenceSource(spec.durationMs);
    case 'mulaw':
      return bufferSource(spec.data, spec.loop);
    case 'pcm16':
      return bufferSource(
        encodeMulaw(Buffer.from(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength)),
        spec.loop,
      );
  }
}

/**
 * The generated signals the network plays in place of fetched audio. The simulator never
 * downloads audio files: a `<Play>` URL, a hold or wait URL, and `<Say>` text each become a
 * recognizable tone, and the recording labels them with the URL or text instead.
 */
export const SIGNALS = {
  /** `<Say>`: 300 Hz while "speaking". */
  say: (durationMs: number): FrameSource => toneSource({ hz: 300, amplitude: 0.25, durationMs }),
  /** `<Play>`: 700 Hz. */
  play: (durationMs: number): FrameSource => toneSource({ hz: 700, amplitude: 0.25, durationMs }),
  /** Hold / wait music: 523 Hz + 659 Hz, endless. */
  hold: (): FrameSource => toneSource({ hz: 523, hz2: 659, amplitude: 0.2 }),
  /** North-American ringback: 440 + 480 Hz, 2 s on, 4 s off. */
  ringback: (): FrameSource => toneSource({ hz: 440, hz2: 480, amplitude: 0.2, onMs: 2000, offMs: 4000 }),
  /** Conference entry/exit beep: 1 kHz for 200 ms. */
  beep: (): FrameSource => toneSource({ hz: 1000, amplitude: 0.3, durationMs: 200 }),
} as const;
