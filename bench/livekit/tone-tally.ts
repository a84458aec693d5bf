/**
 * How the LiveKit bench tells a lost frame: Opus and resampling change every byte, so a frame
 * cannot carry a stamp as in the WebSocket bench. The caller speaks a steady tone instead, and
 * each end cuts what it hears into 10 ms frames: a frame without the tone (silence that
 * libwebrtc sent or played for audio that came too late, or never) counts as lost.
 */

/** Samples in a 10 ms frame at 8 kHz. */
export const FRAME_SAMPLES = 80;

/** The caller's tone: 400 Hz is exactly 8 periods in a 20 ms frame at 8 kHz, so one frame repeats. */
export const TONE_HZ = 400;
export const TONE_AMPLITUDE = 0.3;

/** A frame counts as carrying the tone above a tenth of the tone's RMS. */
const MIN_RMS = (TONE_AMPLITUDE * 32767) / Math.SQRT2 / 10;

export interface ToneTally {
  /** Frames are counted only while recording (the measured window). */
  recording: boolean;
  frames: number;
  /** Frames without the tone. */
  silent: number;
  /** Frames with the tone, recording or not (how a step knows every call's path is up). */
  heardTone: number;
}

export function newTally(): ToneTally {
  return { recording: false, frames: 0, silent: 0, heardTone: 0 };
}

/** Counts `samples` (mono PCM16 at 8 kHz) as 10 ms frames. */
export function tallyFrame(tally: ToneTally, samples: ArrayLike<number>): void {
  for (let from = 0; from + FRAME_SAMPLES <= samples.length; from += FRAME_SAMPLES) {
    let sum = 0;
    for (let i = from; i < from + FRAME_SAMPLES; i++) {
      const s = samples[i] ?? 0;
      sum += s * s;
    }
    const toned = Math.sqrt(sum / FRAME_SAMPLES) >= MIN_RMS;
    if (toned) tally.heardTone += 1;
    if (!tally.recording) continue;
    tally.frames += 1;
    if (!toned) tally.silent += 1;
  }
}

export function resetTally(tally: ToneTally, recording: boolean): void {
  tally.recording = recording;
  tally.frames = 0;
  tally.silent = 0;
}
