/**
 * Answering-machine detection as carriers describe theirs, judged on the audio the answering
 * endpoint actually sends (not on what the endpoint is): a greeting that goes on past the speech
 * threshold is a machine, a short "hello" followed by silence is a human, silence is unknown.
 * A human who talks at length is taken for a machine, as real detection does.
 *
 * Defaults are Twilio's `MachineDetection` tuning parameters: `MachineDetectionTimeout` 30 s
 * (Twilio's AMD page), and `MachineDetectionSpeechThreshold` 2400 ms,
 * `MachineDetectionSpeechEndThreshold` 1200 ms, `MachineDetectionSilenceTimeout` 5000 ms
 * (UNCONFIRMED: Twilio's published defaults as recalled, not re-read from its page).
 */
import type { Clock, Timers } from './clock.js';
import type { Leg } from './leg.js';

export type AmdVerdict = 'human' | 'machine' | 'unknown';

export interface AmdTimings {
  /** Speech longer than this is a machine. */
  readonly speechThresholdMs: number;
  /** Silence this long after speech ends it: a human. */
  readonly speechEndThresholdMs: number;
  /** No speech for this long after answer: unknown. */
  readonly silenceTimeoutMs: number;
  /** No verdict by then: unknown. */
  readonly timeoutMs: number;
}

export const TWILIO_AMD_TIMINGS: AmdTimings = Object.freeze({
  speechThresholdMs: 2400,
  speechEndThresholdMs: 1200,
  silenceTimeoutMs: 5000,
  timeoutMs: 30_000,
});

/**
 * Plivo's asynchronous detection (`machine_detection_time`, 2000–10000 ms, default 5000: "time
 * allotted to analyze"): the verdict is due by then, `Machine=false` if none was reached. Plivo
 * publishes no speech thresholds; Twilio's are used (UNCONFIRMED).
 */
export function plivoAmdTimings(detectionTimeMs: number): AmdTimings {
  return Object.freeze({
    speechThresholdMs: TWILIO_AMD_TIMINGS.speechThresholdMs,
    speechEndThresholdMs: TWILIO_AMD_TIMINGS.speechEndThresholdMs,
    silenceTimeoutMs: detectionTimeMs,
    timeoutMs: detectionTimeMs,
  });
}

/** How often the detector looks at what it heard, ms (one audio frame). */
const CHECK_MS = 20;

/** μ-law bytes within this of silence (0xff / 0x7f, linear 0) are not speech. */
function isSpeech(frame: Buffer): boolean {
  for (const byte of frame) {
    const magnitude = 0x7f - (byte & 0x7f);
    if (magnitude > 8) return true;
  }
  return false;
}

/**
 * Listens to what the answered `leg`'s endpoint says and resolves with the verdict (or `unknown`
 * should the leg end first).
 */
export function detectAnsweringMachine(
  leg: Leg,
  clock: Clock,
  timers: Timers,
  timings: AmdTimings = TWILIO_AMD_TIMINGS,
): Promise<AmdVerdict> {
  const startedAt = clock.nowMs();
  let speechStart: number | undefined;
  let lastSpeech: number | undefined;
  return new Promise<AmdVerdict>((resolve) => {
    const cancels: Array<() => void> = [];
    const done = (verdict: AmdVerdict): void => {
      for (const cancel of cancels.splice(0)) cancel();
      resolve(verdict);
    };
    cancels.push(
      leg.onAudio((frame) => {
        if (!isSpeech(frame)) return;
        const now = clock.nowMs();
        speechStart ??= now;
        lastSpeech = now;
      }),
    );
    void leg.ended.then(() => done('unknown'));
    const verdictNow = (now: number): AmdVerdict | undefined => {
      if (speechStart === undefined)
        return now - startedAt >= timings.silenceTimeoutMs ? 'unknown' : undefined;
      if (lastSpeech !== undefined && now - lastSpeech >= timings.speechEndThresholdMs)
        return lastSpeech - speechStart >= timings.speechThresholdMs ? 'machine' : 'human';
      if (now - speechStart >= timings.speechThresholdMs) return 'machine';
      return now - startedAt >= timings.timeoutMs ? 'unknown' : undefined;
    };
    const check = (): void => {
      const verdict = verdictNow(clock.nowMs());
      if (verdict !== undefined) done(verdict);
      else cancels.push(timers.after(CHECK_MS, check));
    };
    cancels.push(timers.after(CHECK_MS, check));
  });
}
