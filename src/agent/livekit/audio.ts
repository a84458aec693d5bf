import { DaemonError } from '../../domain/errors.js';
import type { AudioFormat } from '../../domain/media.js';
import { decodeMulaw, encodeMulaw } from '../../media/mulaw.js';
import { toBuffer, toSamples } from '../../media/transcode.js';

/**
 * Caller audio in the agent's format (μ-law or PCM16, at its rate) → the mono PCM16 samples a
 * LiveKit `AudioSource` at that rate takes. Opus stays inside LiveKit; the daemon only converts this.
 */
export function toCallerSamples(payload: Buffer, format: AudioFormat): Int16Array {
  return toSamples(format.encoding === 'mulaw' ? decodeMulaw(payload) : payload);
}

/** The agent's samples from a LiveKit `AudioStream` at the format's rate → a frame in that format (a copy). */
export function fromAgentAudio(samples: Int16Array, format: AudioFormat): Buffer {
  const pcm = toBuffer(samples);
  return format.encoding === 'mulaw' ? encodeMulaw(pcm) : Buffer.from(pcm);
}

/** An error for a log line: its code and a short message (LiveKit's errors carry no caller data). */
export function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof DaemonError) return { code: err.code, message: err.message.slice(0, 200) };
  if (err instanceof Error) return { message: `${err.name}: ${err.message}`.slice(0, 200) };
  return { message: String(err).slice(0, 200) };
}
