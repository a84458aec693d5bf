import type { AudioFormat } from '../domain/media.js';
import { bytesPerSample, silenceByte } from './formats.js';
import { linearToUlaw } from './mulaw.js';

/**
 * Test and demo audio: a sine tone or silence in any supported format. Used by the scripted
 * agent server and the simulators, and by tests that check a tone survives the bridge.
 */
export interface ToneSpec {
  /** Tone frequency in Hz; 0 makes silence. */
  readonly frequencyHz: number;
  readonly durationMs: number;
  /** Peak amplitude as a fraction of full scale (0–1). Default 0.3. */
  readonly amplitude?: number;
  /** Phase offset in samples, so consecutive chunks of one tone join without a click. Default 0. */
  readonly startSample?: number;
}

export function tone(format: AudioFormat, spec: ToneSpec): Buffer {
  const samples = Math.round((format.sampleRate * spec.durationMs) / 1000);
  const width = bytesPerSample(format);
  if (spec.frequencyHz === 0) return Buffer.alloc(samples * width, silenceByte(format));
  const peak = (spec.amplitude ?? 0.3) * 32767;
  const start = spec.startSample ?? 0;
  const out = Buffer.allocUnsafe(samples * width);
  const w = (2 * Math.PI * spec.frequencyHz) / format.sampleRate;
  for (let i = 0; i < samples; i++) {
    const value = Math.round(peak * Math.sin(w * (start + i)));
    if (width === 1) out[i] = linearToUlaw(value);
    else out.writeInt16LE(value, i * 2);
  }
  return out;
}

export function silence(format: AudioFormat, durationMs: number): Buffer {
  return tone(format, { frequencyHz: 0, durationMs });
}
