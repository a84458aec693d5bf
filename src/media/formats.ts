import type { AudioFormat } from '../domain/media.js';

/**
 * Byte arithmetic over {@link AudioFormat}s. μ-law is 1 byte per sample, PCM16 2 bytes
 * (little-endian, protocols.md §1.1).
 */

/** Sample rates the media path supports, in Hz. */
export const SAMPLE_RATES = [8000, 16000, 24000] as const;

export function bytesPerSample(format: AudioFormat): number {
  return format.encoding === 'mulaw' ? 1 : 2;
}

/** Bytes of audio per millisecond (8 for μ-law 8 kHz, 32 for PCM16 16 kHz). */
export function bytesPerMs(format: AudioFormat): number {
  return (format.sampleRate * bytesPerSample(format)) / 1000;
}

/** Duration of `bytes` of audio, in ms. */
export function durationMs(format: AudioFormat, bytes: number): number {
  return bytes / bytesPerMs(format);
}

/** The byte that encodes silence: μ-law 0xFF (linear 0), PCM16 0x00 (protocols.md §1.2). */
export function silenceByte(format: AudioFormat): number {
  return format.encoding === 'mulaw' ? 0xff : 0x00;
}

export function sameFormat(a: AudioFormat, b: AudioFormat): boolean {
  return a.encoding === b.encoding && a.sampleRate === b.sampleRate;
}

/** The `mediaFormat.encoding` string of the agent protocol (Twilio's `audio/x-mulaw`; PCM16 as `audio/x-l16`). */
export function wireEncoding(format: AudioFormat): 'audio/x-mulaw' | 'audio/x-l16' {
  return format.encoding === 'mulaw' ? 'audio/x-mulaw' : 'audio/x-l16';
}

export function isSupportedFormat(format: AudioFormat): boolean {
  return (
    (format.encoding === 'mulaw' && format.sampleRate === 8000) ||
    (format.encoding === 'pcm16' && (SAMPLE_RATES as readonly number[]).includes(format.sampleRate))
  );
}
